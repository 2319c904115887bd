// The `redact` hook hands back spans the encoders write as they are: an attribute value it sets
// that setAttribute would never store (null, NaN, an object, a bigint) failed the encoding of the
// whole batch it joined (every span in it retried, then dropped), or made a body the receiver
// refused. Such values are now taken as setAttribute takes them. Real tracer, real receiver, both
// OTLP encodings.
import { afterEach, describe, expect, it } from 'vitest'
import { createTracer, otlpExporter } from '../src/index.js'
import { closeReceivers, startReceiver } from './http-receiver.js'

// As a collector does: a body that is not JSON is refused.
const refuseBadJson = startReceiver.bind(null, (request, response, _count, body) => {
  const json = request.headers['content-type']?.includes('json')
  if (json)
    try {
      JSON.parse(body.toString('utf8'))
    } catch {
      response.statusCode = 400
      response.end('{"message":"invalid JSON"}')
      return
    }
  response.end(json ? '{}' : '')
})

afterEach(closeReceivers)

describe('redact hook: attribute values the encoders cannot write', () => {
  for (const protocol of ['http/json', 'http/protobuf'] as const)
    it(`sends the batch, with the values as setAttribute takes them (${protocol})`, async () => {
      const receiver = await refuseBadJson()
      const tracer = createTracer({
        serviceName: 'redact-values',
        exporters: [otlpExporter({ url: receiver.url, protocol })],
        retry: { maxRetries: 0 },
        redact: (span) =>
          span.name === 'checkout'
            ? {
                ...span,
                attributes: {
                  ...span.attributes,
                  'user.email': null,
                  'cart.ratio': Number.NaN,
                  'cart.meta': { items: 2 },
                  'cart.total': 12n,
                } as never,
                events: [{ name: 'note', time: span.endTime, attributes: { by: null } as never }],
              }
            : span,
      })
      tracer.startSpan('before').end()
      await tracer.flush()
      tracer.startSpan('request a').end()
      tracer.startSpan('checkout', { attributes: { 'user.email': 'a@b.c' } }).end()
      tracer.startSpan('request b').end()
      const result = await tracer.flush()
      await tracer.shutdown()
      expect(result.ok).toBe(true)
      const sent = Buffer.concat(receiver.requests.map((r) => r.body)).toString('latin1')
      for (const name of ['request a', 'checkout', 'request b', 'cart.meta', 'cart.total'])
        expect(sent).toContain(name)
      expect(sent).not.toContain('a@b.c')
      if (protocol === 'http/json') {
        const last = receiver.requests.at(-1)!.body.toString('utf8')
        expect(last).toContain('{"key":"cart.meta","value":{"stringValue":"{\\"items\\":2}"}}')
        expect(last).toContain('{"key":"cart.ratio","value":{"stringValue":"NaN"}}')
        expect(last).toContain('{"key":"cart.total","value":{"intValue":"12"}}')
        expect(last).not.toContain('user.email')
      }
    })
})
