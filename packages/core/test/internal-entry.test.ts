import { describe, expect, it } from 'vitest'
import * as main from '../src/index.js'
import * as internal from '../src/internal.js'

// `@tokentrail/core/internal` is the adapters' narrow way in (see src/internal.ts): it must add
// nothing to the public API and hand out the very same functions and objects as the main entry,
// so an app that imports both still has one global tracer, one context and one set of flush hooks.
describe('the adapters entry (@tokentrail/core/internal)', () => {
  it('exports only names the main entry exports, each the same binding', () => {
    const names = Object.keys(internal)
    expect(names.length).toBeGreaterThan(10)
    for (const name of names) {
      expect(Object.hasOwn(main, name), name).toBe(true)
      expect(internal[name as keyof typeof internal], name).toBe(main[name as keyof typeof main])
    }
  })
})
