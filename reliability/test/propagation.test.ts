// Malformed, hostile and random `traceparent`/`tracestate`/`baggage`: never a throw, and a request
// whose traceparent is invalid starts a new trace, through the real Hono `tracing()` middleware.
import {
  createTracer,
  extractBaggage,
  extractTraceContext,
  parseTracestate,
} from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { tracing } from '@tokentrail/hono'
import fc from 'fast-check'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { FULL, recordFigure } from '../src/figures.js'

const RUNS = FULL ? 5000 : 1000
const HEX = '0123456789abcdef'

/** The W3C Trace Context rules, written out independently of core's parser. */
function validTraceparent(value: string): { traceId: string; spanId: string } | undefined {
  const v = value.trim()
  const parts = v.split('-')
  if (parts.length < 4) return undefined
  const [version, traceId, spanId, flags] = parts as [string, string, string, string]
  const isHex = (s: string, n: number) => s.length === n && [...s].every((c) => HEX.includes(c))
  if (!isHex(version, 2) || version === 'ff') return undefined
  if (!isHex(traceId, 32) || /^0+$/.test(traceId)) return undefined
  if (!isHex(spanId, 16) || /^0+$/.test(spanId)) return undefined
  if (!isHex(flags, 2)) return undefined
  if (version === '00' && v.length !== 55) return undefined
  if (version !== '00' && v.length > 55 && v[55] !== '-') return undefined
  return { traceId, spanId }
}

const hex = (n: number) => fc.string({ unit: fc.constantFrom(...HEX), minLength: n, maxLength: n })
/** Header-safe text: what a client can actually put in a header value. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('-', '0', 'f', '\t', ',', '=', ';', '%', 'ÿ'),
    ),
    maxLength,
  })
const traceparentArb = fc.oneof(
  headerText(80),
  fc
    .tuple(hex(32), hex(16), fc.constantFrom('00', '01', '03', 'ff'))
    .map(([trace, span, flags]) => `00-${trace}-${span}-${flags}`),
  // Near misses of a valid header: each part valid or broken.
  fc
    .tuple(
      fc.oneof(fc.constantFrom('00', 'ff', '01', 'cc', '0', '000', 'FF', 'zz'), hex(2)),
      fc.oneof(
        hex(32),
        fc.constant('0'.repeat(32)),
        hex(31),
        hex(33),
        hex(32).map((s) => s.toUpperCase()),
      ),
      fc.oneof(
        hex(16),
        fc.constant('0'.repeat(16)),
        hex(15),
        hex(16).map((s) => s.toUpperCase()),
      ),
      fc.oneof(hex(2), fc.constantFrom('0', '001', 'zz', '')),
      fc.oneof(
        fc.constant(''),
        headerText(10).map((s) => `-${s}`),
        headerText(10),
      ),
      fc.constantFrom('', ' ', '\t'),
    )
    .map(
      ([version, trace, span, flags, rest, pad]) =>
        `${pad}${version}-${trace}-${span}-${flags}${rest}${pad}`,
    ),
  headerText(600),
)
const tracestateArb = fc.oneof(
  headerText(100),
  fc
    .array(
      fc.tuple(headerText(20), headerText(20)).map(([k, v]) => `${k}=${v}`),
      { maxLength: 40 },
    )
    .map((m) => m.join(',')),
  fc.constant(`a=${'x'.repeat(10_000)}`),
)
const baggageArb = fc.oneof(
  headerText(200),
  fc
    .array(
      fc.tuple(headerText(15), headerText(30), headerText(10)).map(([k, v, p]) => `${k}=${v};${p}`),
      {
        maxLength: 200,
      },
    )
    .map((m) => m.join(',')),
  fc.constant(`k=${'%E0%A4%A'.repeat(2000)}`),
)

describe('propagation headers', () => {
  it('extract never throws on any carrier or value, and matches the W3C rules', () => {
    fc.assert(
      fc.property(
        traceparentArb,
        fc.oneof(tracestateArb, fc.anything()),
        fc.oneof(baggageArb, fc.anything()),
        (traceparent, tracestate, baggage) => {
          const carriers = [
            { traceparent, tracestate, baggage },
            { TraceParent: [traceparent], TRACESTATE: tracestate, Baggage: baggage },
          ]
          for (const carrier of carriers) {
            const context = extractTraceContext(carrier as Record<string, unknown>)
            const expected = validTraceparent(traceparent)
            if (expected) expect(context).toMatchObject({ ...expected, isRemote: true })
            else expect(context).toBeUndefined()
            expect(typeof extractBaggage(carrier as Record<string, unknown>)).toBe('object')
          }
          const state = parseTracestate(tracestate)
          if (state !== undefined) expect(state.length).toBeLessThanOrEqual(512)
        },
      ),
      { numRuns: RUNS },
    )
    for (const carrier of [null, undefined, 1, 'x', [], new Map(), Object.create(null)])
      expect(() => extractTraceContext(carrier as any)).not.toThrow()
  })

  it('through the Hono middleware: the request is served, and an invalid traceparent starts a new trace', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ serviceName: 'prop', exporters: [exporter], metrics: false })
    const app = new Hono()
    app.use(tracing({ tracer, flush: false }))
    app.get('/echo', (c) => c.text(c.var.traceId))
    let continued = 0
    let fresh = 0
    await fc.assert(
      fc.asyncProperty(
        traceparentArb,
        tracestateArb,
        baggageArb,
        async (traceparent, tracestate, baggage) => {
          exporter.reset()
          const response = await app.request('/echo', {
            headers: { traceparent, tracestate, baggage },
          })
          expect(response.status).toBe(200)
          const traceId = await response.text()
          await tracer.flush()
          const expected = validTraceparent(new Headers({ traceparent }).get('traceparent')!)
          const sampled =
            expected && (Number.parseInt(traceparent.trim().slice(53, 55), 16) & 1) === 1
          if (expected) {
            expect(traceId === '' || traceId === expected.traceId).toBe(true)
            if (sampled) {
              expect(exporter.spans[0]).toMatchObject({
                traceId: expected.traceId,
                parentSpanId: expected.spanId,
              })
              continued++
            }
          } else {
            expect(traceId).toMatch(/^[0-9a-f]{32}$/)
            expect(traceparent.includes(traceId)).toBe(false)
            expect(exporter.spans[0]!.parentSpanId).toBeUndefined()
            expect(exporter.spans[0]!.traceState).toBeUndefined()
            fresh++
          }
        },
      ),
      { numRuns: RUNS },
    )
    expect(fresh).toBeGreaterThan(RUNS / 4)
    expect(continued).toBeGreaterThan(0)
    recordFigure('Bad input', ['check', 'cases', 'result'], {
      check: 'traceparent/tracestate/baggage: extract + real Hono middleware (fast-check)',
      cases: RUNS * 2,
      result: `no throw; ${fresh} invalid → new trace, ${continued} valid → continued`,
    })
  })
})
