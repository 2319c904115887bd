// Never silent when the code that words delivery problems cannot load (a split chunk the app's
// host no longer serves, seen in a browser): a failure or a drop is still said, once, plainly.
// Before, a 404 from the receiver and spans dropped for a full queue printed nothing at all.
import { describe, expect, it } from 'vitest'
import { LazyDeliveryLog } from '../src/lazy-delivery-log.js'

const unloadable = () => () =>
  Promise.reject(new Error('Failed to fetch dynamically imported module'))

describe('LazyDeliveryLog whose messages cannot load', () => {
  it('says a failure once, with its reason, and nothing for successes', async () => {
    const said: string[] = []
    const log = new LazyDeliveryLog(
      'https://otlp.example/v1/traces?key=***',
      { warn: (m) => said.push(m), debug: undefined },
      3,
      unloadable as never,
    )
    await log.attemptSucceeded(1, 0, 12, 0)
    expect(said).toEqual([])
    await log.attemptFailed(2, 0, 'https://otlp.example/v1/traces?key=*** answered 404', undefined)
    await log.dropped('queueFull', 10, 2048)
    expect(said).toHaveLength(1)
    expect(said[0]).toMatch(
      /^spans not delivered to https:\/\/otlp\.example\/v1\/traces\?key=\*\*\*: https:\/\/otlp\.example\/v1\/traces\?key=\*\*\* answered 404\. The code that says more could not load \(Failed to fetch dynamically imported module\)/,
    )
  })
})
