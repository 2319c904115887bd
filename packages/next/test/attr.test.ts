import { ATTR as CORE_ATTR } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import * as ATTR from '../src/attr.js'

// The adapter writes these names instead of reading core's `ATTR` table (see src/attr.ts): a name
// that drifted from it would put the attribute where no backend, metric or sampler looks for it.
describe('attr', () => {
  it('has each name under its core ATTR key, with the same value', () => {
    const entries = Object.entries(ATTR)
    expect(entries.length).toBeGreaterThan(3)
    for (const [key, value] of entries)
      expect([key, value]).toEqual([key, CORE_ATTR[key as keyof typeof CORE_ATTR]])
  })
})
