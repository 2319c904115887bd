import { describe, expect, it } from 'vitest'
import {
  createTracer,
  extractBaggage,
  extractTraceContext,
  injectBaggage,
  injectTraceContext,
  NOOP_SPAN,
  parseTraceparent,
  parseTracestate,
} from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

const VALID = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

describe('traceparent', () => {
  it('parses a valid header', () => {
    expect(parseTraceparent(VALID)).toEqual({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
      isRemote: true,
    })
    expect(parseTraceparent(VALID.replace(/01$/, '00'))!.traceFlags).toBe(0)
  })

  it.each([
    ['empty', ''],
    ['uppercase', VALID.toUpperCase()],
    ['version ff', VALID.replace(/^00/, 'ff')],
    ['zero trace id', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['zero span id', '00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01'],
    ['short trace id', '00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01'],
    ['version 00 with extra', `${VALID}-extra`],
    ['bad separators', VALID.replaceAll('-', '_')],
    ['not hex', '00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01'],
    ['huge', `00-${'a'.repeat(10_000)}`],
    ['number', 42],
    ['object', { toString: () => VALID }],
  ])('ignores a malformed header: %s', (_name, value) => {
    expect(parseTraceparent(value)).toBeUndefined()
  })

  it('accepts a future version with extra fields', () => {
    expect(
      parseTraceparent(`01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-ever`),
    ).toMatchObject({
      spanId: 'b7ad6b7169203331',
    })
  })
})

describe('tracestate', () => {
  it('keeps valid lists and drops invalid ones whole', () => {
    expect(parseTracestate('congo=t61rcWkgMzE,rojo=00f067aa0ba902b7')).toBe(
      'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    )
    expect(parseTracestate('tenant@vendor=x')).toBe('tenant@vendor=x')
    expect(parseTracestate('Bad=1')).toBeUndefined()
    expect(parseTracestate('a=1,a=2')).toBeUndefined()
    expect(
      parseTracestate(Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')),
    ).toBeUndefined()
  })

  it('trims to at most 512 characters, dropping long members first', () => {
    const long = `big=${'x'.repeat(200)}`
    const members = [long, ...Array.from({ length: 30 }, (_, i) => `k${i}=${'v'.repeat(10)}`)]
    const kept = parseTracestate(members.join(','))!
    expect(kept.length).toBeLessThanOrEqual(512)
    expect(kept).not.toContain('big=')
    expect(kept.startsWith('k0=')).toBe(true)
  })
})

describe('inject and extract', () => {
  const setup = () => {
    const exporter = memoryExporter()
    return { exporter, tracer: createTracer({ exporters: [exporter] }) }
  }

  it('round-trips through Headers and plain header objects, case-insensitively', () => {
    const { tracer } = setup()
    const span = tracer.startSpan('client')
    const headers = injectTraceContext(new Headers(), span)
    expect(headers.get('traceparent')).toBe(`00-${span.traceId}-${span.spanId}-01`)
    expect(extractTraceContext(headers)).toMatchObject({
      traceId: span.traceId,
      spanId: span.spanId,
    })
    expect(extractTraceContext({ TraceParent: VALID, TraceState: 'a=1' })).toMatchObject({
      spanId: 'b7ad6b7169203331',
      traceState: 'a=1',
    })
    expect(extractTraceContext({ traceparent: [VALID] })).toMatchObject({
      spanId: 'b7ad6b7169203331',
    })
  })

  it('a malformed header starts a new trace and drops tracestate, without throwing', async () => {
    const { exporter, tracer } = setup()
    const parent = extractTraceContext({ traceparent: '00-zz-zz-01', tracestate: 'a=1' })
    expect(parent).toBeUndefined()
    tracer.startSpan('server', { parent }).end()
    const hostile = {
      get: () => {
        throw new Error('getter bomb')
      },
    }
    expect(extractTraceContext(hostile)).toBeUndefined()
    expect(extractTraceContext(null)).toBeUndefined()
    await tracer.flush()
    expect(exporter.span('server').parentSpanId).toBeUndefined()
    expect(exporter.span('server').traceState).toBeUndefined()
  })

  it('continues a remote trace, keeping tracestate and the sampled flag', async () => {
    const { exporter, tracer } = setup()
    const parent = extractTraceContext(
      new Headers({ traceparent: VALID, tracestate: 'vendor=abc' }),
    )
    const span = tracer.startSpan('server', { parent, kind: 'http' })
    const outgoing = injectTraceContext({} as Record<string, string>, span)
    expect(outgoing.tracestate).toBe('vendor=abc')
    span.end()
    const unsampled = extractTraceContext({ traceparent: VALID.replace(/01$/, '00') })
    expect(tracer.startSpan('not sampled', { parent: unsampled }).isRecording).toBe(false)
    await tracer.flush()
    expect(exporter.span('server')).toMatchObject({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
      traceState: 'vendor=abc',
    })
    expect(exporter.spans).toHaveLength(1)
  })

  it('a queue job payload carries the trace from producer to consumer', async () => {
    const { exporter, tracer } = setup()
    const queue: { data: { prompt: string; _traceContext: Record<string, string> } }[] = []
    await tracer.withSpan('POST /api/jobs', { kind: 'http' }, async () => {
      await tracer.withSpan('enqueue summarize', { kind: 'queue' }, async (span) => {
        queue.push({ data: { prompt: 'hi', _traceContext: injectTraceContext({}, span) } })
      })
    })
    // later, in a worker (a fresh async context, no active span)
    const job = JSON.parse(JSON.stringify(queue.shift()))
    await tracer.withSpan(
      'process summarize',
      { kind: 'queue', parent: extractTraceContext(job.data._traceContext) },
      async () => {
        await tracer.withSpan('chat gpt-4o', { kind: 'llm' }, async () => {})
      },
    )
    await tracer.flush()
    const traceIds = new Set(exporter.spans.map((s) => s.traceId))
    expect(traceIds.size).toBe(1)
    expect(exporter.span('process summarize').parentSpanId).toBe(
      exporter.span('enqueue summarize').spanId,
    )
    expect(exporter.span('chat gpt-4o').parentSpanId).toBe(
      exporter.span('process summarize').spanId,
    )
  })

  it('injects nothing for a disabled tracer span', () => {
    expect(injectTraceContext({}, NOOP_SPAN)).toEqual({})
  })
})

describe('baggage', () => {
  it('round-trips and skips malformed members', () => {
    const carrier = injectBaggage({} as Record<string, string>, {
      userId: 'ada lovelace',
      'bad key': 'x',
    })
    expect(carrier.baggage).toBe('userId=ada%20lovelace')
    expect(extractBaggage({ baggage: 'a=1,b=%E0%A4%A,=x,c=3;prop=1, d = 4 ' })).toEqual({
      a: '1',
      c: '3',
      d: '4',
    })
    expect(extractBaggage({ baggage: 'x'.repeat(10_000) })).toEqual({})
  })
})
