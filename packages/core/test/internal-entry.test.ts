import { describe, expect, it } from 'vitest'
import * as main from '../src/index.js'
import * as internal from '../src/internal.js'

// `@tokentrail/core/internal` is the adapters' narrow way in (see src/internal.ts): it must add
// nothing to the public API and hand out the very same functions and objects as the main entry,
// so an app that imports both still has one global tracer, one context and one set of flush hooks.
describe('the adapters entry (@tokentrail/core/internal)', () => {
  it('exports only names the main entry exports, each the same binding', () => {
    const mainExports = new Map(Object.entries(main))
    const entries = Object.entries(internal)
    expect(entries.length).toBeGreaterThan(10)
    for (const [name, value] of entries) {
      expect(mainExports.has(name), name).toBe(true)
      expect(value, name).toBe(mainExports.get(name))
    }
  })
})
