import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTracer, otlpExporter, type SpanData, type Tracer } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

// A real OTLP/HTTP receiver on loopback that keeps every request body as raw bytes.
const bodies: Buffer[] = []
const server = createServer((request, response) => {
  const chunks: Buffer[] = []
  request.on('data', (chunk: Buffer) => chunks.push(chunk))
  request.on('end', () => {
    bodies.push(Buffer.concat(chunks))
    response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
  })
})
let url = ''
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

const digit = fc.constantFrom(...'0123456789')
const digits = (n: number) => fc.array(digit, { minLength: n, maxLength: n }).map((d) => d.join(''))
const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')
const word = (min: number, max: number, chars = alnum) =>
  fc.array(chars, { minLength: min, maxLength: max }).map((c) => c.join(''))

function luhnDigit(body: string): string {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = Number(body[body.length - 1 - i])
    if (i % 2 === 0) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
  }
  return String((10 - (sum % 10)) % 10)
}

function ibanCheck(country: string, bban: string): string {
  const moved = `${bban}${country}00`
  let remainder = 0
  for (const ch of moved) {
    const value = /[A-Z]/.test(ch) ? ch.charCodeAt(0) - 55 : Number(ch)
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97
  }
  return String(98 - remainder).padStart(2, '0')
}

const b64url = (text: string) => Buffer.from(text).toString('base64url')

/** Values of every kind the configured rules promise to catch, in the forms they document. */
const pii = fc.oneof(
  fc
    .tuple(
      word(1, 12, fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789')),
      fc.constantFrom('', '.', '+', '_', '-'),
      word(1, 8, fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789')),
      word(1, 10, fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789')),
      word(2, 6, fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz')),
    )
    .map(([a, sep, b, domain, tld]) => `${a}${sep}${b}@${domain}.${tld}`),
  fc
    .tuple(
      fc.integer({ min: 1, max: 99 }),
      digits(3),
      digits(3),
      digits(4),
      fc.constantFrom(' ', '-', '.'),
    )
    .map(([cc, a, b, c, sep]) => `+${cc} ${a}${sep}${b}${sep}${c}`),
  fc.tuple(digits(3), digits(3), digits(4)).map(([a, b, c]) => `(${a}) ${b}-${c}`),
  fc
    .tuple(fc.constantFrom('4', '51', '37', '6011'), digits(14), fc.constantFrom('', ' ', '-'))
    .map(([prefix, rest, sep]) => {
      const body = (prefix + rest).slice(0, 15)
      const card = body + luhnDigit(body)
      return sep === '' ? card : card.match(/.{1,4}/g)!.join(sep)
    }),
  fc
    .tuple(fc.constantFrom('DE', 'FR', 'GB', 'NL', 'ES', 'IT'), digits(18), fc.boolean())
    .map(([country, bban, spaced]) => {
      const iban = `${country}${ibanCheck(country, bban)}${bban}`
      return spaced ? iban.match(/.{1,4}/g)!.join(' ') : iban
    }),
  word(36, 36).map((w) => `ghp_${w}`),
  word(16, 16, fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')).map((w) => `AKIA${w}`),
  word(20, 30).map((w) => `xoxb-${w}`),
  fc
    .tuple(word(3, 12), word(20, 43))
    .map(([sub, sig]) => `${b64url('{"alg":"HS256"}')}.${b64url(`{"sub":"${sub}"}`)}.${sig}`),
  fc
    .tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 })))
    .map((o) => o.join('.')),
  fc
    .array(fc.integer({ min: 0x1000, max: 0xffff }), { minLength: 8, maxLength: 8 })
    .map((g) => g.map((n) => n.toString(16)).join(':')),
  digits(8).map((d) => `CUST-${d}`),
)

// Arbitrary text around each value, kept apart by " | " (the detectors match whole tokens: a
// number glued to other digits is not a card).
const filler = fc.string({ maxLength: 40 })
const sentence = fc
  .tuple(filler, pii, filler)
  .map(([before, value, after]) => ({ text: `${before} | ${value} | ${after}`, value }))

function tracerWith(replace: 'label' | 'hash'): {
  tracer: Tracer
  memory: ReturnType<typeof memoryExporter>
} {
  const memory = memoryExporter()
  const tracer = createTracer({
    serviceName: 'redaction-properties',
    // Every wire form the OTLP exporter has: JSON and protobuf, with each backend's extra keys.
    exporters: [
      otlpExporter({ url, protocol: 'http/json', profile: 'otel' }),
      otlpExporter({ url, protocol: 'http/protobuf', profile: 'otel' }),
      otlpExporter({ url, protocol: 'http/json', profile: 'langfuse' }),
      otlpExporter({ url, protocol: 'http/protobuf', profile: 'phoenix' }),
      otlpExporter({ url, protocol: 'http/protobuf', profile: 'datadog' }),
      memory,
    ],
    flushIntervalMs: 600_000,
    metrics: false,
    redaction: {
      replace,
      patterns: [{ name: 'CUSTOMER', pattern: /CUST-\d{8}/ }],
      paths: ['gen_ai.input.messages[*].parts[*].content'],
    },
  })
  return { tracer, memory }
}

function everyString(span: SpanData): string[] {
  const out = [span.name]
  const add = (attributes: Record<string, unknown> | undefined) => {
    for (const value of Object.values(attributes ?? {}))
      if (typeof value === 'string') out.push(value)
      else if (Array.isArray(value)) out.push(...value.filter((v) => typeof v === 'string'))
  }
  add(span.attributes)
  for (const event of span.events) {
    out.push(event.name)
    add(event.attributes)
  }
  if (span.error) out.push(span.error.message, span.error.stack ?? '')
  return out
}

describe('redaction properties (fast-check)', () => {
  for (const replace of ['label', 'hash'] as const)
    it(`no configured value survives in any exported byte, attribute, event, error message or stack (${replace}), and the app's values are unchanged`, async () => {
      const { tracer, memory } = tracerWith(replace)
      await fc.assert(
        fc.asyncProperty(
          fc.array(sentence, { minLength: 1, maxLength: 6 }),
          word(12, 12),
          async (sentences, marker) => {
            bodies.length = 0
            memory.reset()
            const texts = sentences.map((s) => s.text)
            const secretContent = `private-${marker}`
            const input = {
              messages: [{ role: 'user', parts: [{ type: 'text', content: secretContent }] }],
              nested: { notes: texts },
            }
            const snapshot = structuredClone(input)
            const error = new Error(`failed for ${texts[0]}`)
            const errorMessage = error.message
            let caught: unknown
            try {
              await tracer.withSpan(`handle ${texts.at(-1)}`, { kind: 'http' }, async (span) => {
                span.setAttributes({
                  'app.note': texts[0],
                  'app.notes': texts,
                  'app.input': input.nested,
                  'gen_ai.input.messages': input.messages,
                })
                span.addEvent(texts[1 % texts.length]!, { detail: texts.join(' / ') })
                throw error
              })
            } catch (thrown) {
              caught = thrown
            }
            await tracer.flush()
            // The app sees its own values, unredacted: same error object and message, same input.
            expect(caught).toBe(error)
            expect(error.message).toBe(errorMessage)
            expect(input).toEqual(snapshot)
            const bytes = Buffer.concat(bodies)
            expect(bodies.length).toBe(5)
            const exported = memory.spans.flatMap(everyString).join('\n')
            for (const value of [...sentences.map((s) => s.value), secretContent]) {
              expect(bytes.includes(Buffer.from(value))).toBe(false)
              expect(exported.includes(value)).toBe(false)
            }
          },
        ),
        { numRuns: 300 },
      )
      const counts = tracer.stats().redaction!
      // Not apiKey or jwt: the default credential scrub, which runs first, replaces the keys and
      // tokens these sentences hold wherever they are (event names too, since 2026-12-07); those
      // detectors' own shapes are checked in redaction.test.ts.
      for (const rule of ['email', 'phone', 'creditCard', 'iban', 'ip', 'CUSTOMER'])
        expect(counts[rule], rule).toBeGreaterThan(0)
      await tracer.shutdown()
    }, 120_000)
})
