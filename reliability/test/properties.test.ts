// Property-based tests: span attributes, events, errors, names and AI SDK metadata of every kind of
// value never throw and always encode to valid OTLP/HTTP JSON that the collector accepts whole.
import { traceModel, withTraceMetadata } from '@tokentrail/ai-sdk'
import { otlpToSpans } from '@tokentrail/cli'
import { createTracer, type SpanData } from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { memoryExporter } from '@tokentrail/core/testing'
import { generateText } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FULL, recordFigure } from '../src/figures.js'
import { otlpProblems } from '../src/otlp-check.js'

const RUNS = FULL ? 2000 : 300

/** A fresh hostile object per run, named for fast-check's report (which could not print it). */
function made(label: string, make: () => object) {
  return fc
    .constant(null)
    .map(() => Object.defineProperty(make(), fc.toStringMethod, { value: () => label }))
}

/** Every kind of value a caller might hand over, including ones JSON cannot hold. */
const hostileValue = fc.oneof(
  fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
  }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -0,
    2 ** 64,
    -(2 ** 63) - 1,
    10n ** 30n,
    Symbol('s'),
    () => 1,
    new Error('boom'),
    new Date(Number.NaN),
    new Uint8Array(3),
    new ArrayBuffer(4),
    Promise.resolve(1),
    new WeakMap(),
    /re/g,
    [1, 'a', true],
    [Number.NaN, 1],
    'x'.repeat(70_000),
    `a${'😀'.repeat(40_000)}`,
    ['b', `a${'😀'.repeat(40_000)}`],
  ),
  made('cyclic object', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    cyclic.list = [cyclic]
    return cyclic
  }),
  made('5000-deep object', () => {
    let deep: unknown = 'bottom'
    for (let i = 0; i < 5000; i++) deep = { deep }
    return deep as object
  }),
  made('throwing toJSON and getter', () => ({
    toJSON() {
      throw new Error('no JSON')
    },
    get boom() {
      throw new Error('getter')
    },
  })),
  made(
    'Proxy whose ownKeys throws',
    () =>
      new Proxy(
        {},
        {
          ownKeys: () => {
            throw new Error('trap')
          },
        },
      ),
  ),
)
const hostileKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', '', 'authorization', 'x'.repeat(5000)),
)
const attributesArb = fc.dictionary(hostileKey, hostileValue, { maxKeys: 12 })

function wellFormedStrings(value: unknown, path = '$'): string[] {
  if (typeof value === 'string')
    return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)
      ? [`${path}: lone surrogate`]
      : []
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [
      ...wellFormedStrings(k, `${path}.<key>`),
      ...wellFormedStrings(v, `${path}.${k}`),
    ])
  return []
}

/** Encodes spans as the OTLP exporter sends them and checks the body strictly, then decodes it as the collector does. */
function expectValidOtlp(spans: readonly SpanData[]) {
  const body = encodeOtlpTraces(spans)
  expect(otlpProblems(body)).toEqual([])
  const parsed = JSON.parse(body)
  expect(wellFormedStrings(parsed)).toEqual([])
  const decoded = otlpToSpans(parsed)
  expect(decoded).toHaveLength(spans.length)
}

let cases = 0

describe('span data of every kind of value', () => {
  it('setAttribute, setAttributes, addEvent, recordError, updateName and start options never throw; OTLP stays valid', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: fc.oneof(fc.string({ unit: 'binary' }), hostileValue),
          start: attributesArb,
          attributes: fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 10 }),
          bulk: fc.oneof(attributesArb, hostileValue),
          events: fc.array(
            fc.tuple(fc.oneof(fc.string(), hostileValue), fc.oneof(attributesArb, hostileValue)),
            {
              maxLength: 4,
            },
          ),
          error: hostileValue,
          rename: fc.oneof(fc.string({ unit: 'binary' }), hostileValue),
        }),
        async (input) => {
          const exporter = memoryExporter()
          const tracer = createTracer({
            serviceName: 'props',
            exporters: [exporter],
            metrics: false,
          })
          cases++
          tracer.withSpan('root', () => {
            const span = tracer.startSpan(input.name as string, { attributes: input.start as any })
            for (const [key, value] of input.attributes) span.setAttribute(key, value)
            span.setAttributes(input.bulk as any)
            for (const [name, attributes] of input.events)
              span.addEvent(name as string, attributes as any)
            span.recordError(input.error)
            span.updateName(input.rename as string)
            span.end()
          })
          await tracer.flush()
          expect(exporter.spans).toHaveLength(2)
          expectValidOtlp(exporter.spans)
        },
      ),
      { numRuns: RUNS },
    )
  })

  it('AI SDK metadata of every kind, through a real generateText, never throws and stays valid OTLP', async () => {
    const exporter = memoryExporter()
    const tracer = createTracer({ serviceName: 'props-ai', exporters: [exporter], metrics: false })
    const model = traceModel(
      new MockLanguageModelV4({
        doGenerate: async () => ({
          content: [{ type: 'text', text: 'ok' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined },
            outputTokens: { total: 1, text: 1, reasoning: undefined },
          },
          warnings: [],
        }),
      }),
      { tracer },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            userId: hostileValue,
            sessionId: hostileValue,
            tags: fc.oneof(fc.array(hostileValue, { maxLength: 5 }), hostileValue),
            attributes: fc.oneof(attributesArb, hostileValue),
          }),
          hostileValue,
        ),
        fc.string({ unit: 'binary', maxLength: 200 }),
        async (metadata, prompt) => {
          exporter.reset()
          cases++
          const result = await withTraceMetadata(metadata as any, () =>
            generateText({ model, prompt: prompt || ' ' }),
          )
          expect(result.text).toBe('ok')
          await tracer.flush()
          expect(exporter.spans.length).toBeGreaterThan(0)
          expectValidOtlp(exporter.spans)
        },
      ),
      { numRuns: Math.round(RUNS / 2) },
    )
    recordFigure('Bad input', ['check', 'cases', 'result'], {
      check: 'span attributes, events, errors, names, AI SDK metadata (fast-check)',
      cases,
      result: 'no throw, every body valid OTLP JSON, decoded whole by the collector',
    })
  })
})
