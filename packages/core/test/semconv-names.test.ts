import { describe, expect, it } from 'vitest'
import { ATTR } from '../src/index.js'
import * as names from '../src/semconv-names.js'

// The lazily loaded modules read these constants instead of `ATTR` (see semconv-names.ts): a name
// that drifted from the table would make metrics, sampling or a backend mapper miss the attribute.
describe('semconv-names', () => {
  it('has each name under its ATTR key, with the same value', () => {
    const entries = Object.entries(names)
    expect(entries.length).toBeGreaterThan(20)
    for (const [key, value] of entries)
      expect([key, value]).toEqual([key, ATTR[key as keyof typeof ATTR]])
  })
})

describe('httpRequestAttributes', () => {
  it('records each request attribute under its ATTR name', async () => {
    const { httpRequestAttributes } = await import('../src/http.js')
    const attributes = httpRequestAttributes(
      new Request('https://example.com/chat', { headers: { 'user-agent': 'test' } }),
    )
    expect(Object.keys(attributes).sort()).toEqual(
      [
        ATTR.httpRequestMethod,
        ATTR.urlPath,
        ATTR.urlScheme,
        ATTR.serverAddress,
        ATTR.userAgentOriginal,
      ].sort(),
    )
  })
})
