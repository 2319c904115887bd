// Values the span API cannot use: a carrier passed as `parent` where extractTraceContext(carrier)
// belonged, ids that are not hex, a NaN or string time. Before, they made a span with no trace id
// (silently counted as not sampled), or a batch body no receiver accepts (`"startTimeUnixNano":
// "NaN…`, `traceId: "zz"`), losing the good spans sent with it. Now the span goes on with a safe
// value and the tracer says once what was wrong. A real node:http receiver reads the body.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createTracer, extractTraceContext, otlpExporter } from '../src/index.js'

let server: Server
let url: string
const bodies: string[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => (body += chunk))
    request.on('end', () => {
      bodies.push(body)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  bodies.length = 0
})

interface WireSpan {
  name: string
  traceId: string
  parentSpanId?: string
  startTimeUnixNano: string
  endTimeUnixNano: string
  events: { timeUnixNano: string }[]
  attributes: { key: string }[]
}

function wireSpans(): WireSpan[] {
  return bodies.flatMap((body) =>
    (
      JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: WireSpan[] }[] }[] }
    ).resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
  )
}

describe('a parent that is not a span or a span context', () => {
  it('starts a new trace, is sent with the batch, and is said once', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    const carrier = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }
    tracer.startSpan('good before').end()
    tracer.startSpan('raw carrier', { parent: carrier as never }).end()
    tracer.startSpan('bad ids', { parent: { traceId: 'zz', spanId: 'yy', traceFlags: 1 } }).end()
    tracer.startSpan('a string', { parent: 'garbage' as never }).end()
    tracer.startSpan('extracted', { parent: extractTraceContext(carrier) }).end()
    // The no-op span of a disabled tracer from another copy of the package: a new trace, unsaid.
    const otherNoop = {
      spanContext: () => ({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 }),
    }
    tracer.startSpan('other copy no-op', { parent: otherNoop as never }).end()
    tracer.startSpan('good after').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const spans = wireSpans()
    expect(spans.map((s) => s.name)).toEqual([
      'good before',
      'raw carrier',
      'bad ids',
      'a string',
      'extracted',
      'other copy no-op',
      'good after',
    ])
    for (const span of spans) expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(spans.filter((s) => s.parentSpanId)).toEqual([
      expect.objectContaining({ name: 'extracted', traceId: '0af7651916cd43dd8448eb211c80319c' }),
    ])
    expect(tracer.stats().notSampled).toBe(0)
    expect(warnings).toEqual([
      'tracer.startSpan() on span "raw carrier": options.parent must be a span or a SpanContext (a 32-hex traceId, a 16-hex spanId, numeric traceFlags), got an object with keys [traceparent]; the span started a new trace. To continue a trace from headers or a queue job, pass extractTraceContext(carrier). Said once per tracer.',
    ])
    await tracer.shutdown()
  })
})

describe('a start or end time that is not a finite number', () => {
  it('takes the current time (NaN, a string, a negative or huge number), keeps the batch body valid JSON, and is said once per option', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    const before = Date.now()
    tracer.startSpan('good').end()
    tracer.startSpan('start NaN', { startTime: Number.NaN }).end()
    tracer.startSpan('start string', { startTime: 'now' as never }).end()
    tracer.startSpan('end NaN').end({ endTime: Number.NaN })
    tracer.startSpan('negative', { startTime: -5 }).end({ endTime: -1 })
    tracer.startSpan('huge', { startTime: 1e20 }).end({ endTime: 1e21 })
    tracer.startSpan('event times').addEvent('negative', {}, -3).addEvent('huge', {}, 1e21).end()
    tracer.startSpan('dates', { startTime: new Date(before - 1000) }).end({
      endTime: new Date(before + 1000),
    })
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const spans = wireSpans()
    expect(spans).toHaveLength(8)
    for (const span of spans) {
      expect(span.startTimeUnixNano).toMatch(/^\d{19}$/)
      expect(span.endTimeUnixNano).toMatch(/^\d{19}$/)
      for (const event of span.events) expect(event.timeUnixNano).toMatch(/^\d{19}$/)
    }
    const dates = spans.find((s) => s.name === 'dates')!
    expect(Number(BigInt(dates.startTimeUnixNano) / 1_000_000n)).toBe(before - 1000)
    expect(Number(BigInt(dates.endTimeUnixNano) / 1_000_000n)).toBe(before + 1000)
    expect(warnings).toEqual([
      'tracer.startSpan() on span "start NaN": options.startTime must be epoch milliseconds (a number from 0 to 1e16, or a Date), got NaN; the current time was used. Said once per tracer.',
      'span.end() on span "end NaN": options.endTime must be epoch milliseconds (a number from 0 to 1e16, or a Date), got NaN; the current time was used. Said once per tracer.',
    ])
    await tracer.shutdown()
  })

  // Each was taken in silence: an object name became "[object Object]" (and an event's attributes,
  // given first as OpenTelemetry's addEvent takes no such form, were lost), an end before the start
  // became a 0 ms span.
  it('says a name that is not a string, and an end before the start, once each', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    const start = Date.now() - 1000
    tracer.startSpan({ name: 'obj' } as never).end()
    tracer.withSpan(404 as never, () => {})
    tracer
      .startSpan('events')
      .addEvent({ attempt: 2 } as never)
      .addEvent(7 as never)
      .end()
    // Less than a second before (a clock's rounding, a parent's end): ends at its start, unsaid.
    tracer.startSpan('rounded', { startTime: start + 0.4 }).end({ endTime: start })
    const parent = tracer.startSpan('parent', { startTime: start })
    tracer.startSpan('child', { parent, startTime: start + 500 })
    parent.end({ endTime: start + 100, endOpenChildren: true })
    tracer.startSpan('backwards', { startTime: start }).end({ endTime: start - 60_000 })
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const spans = wireSpans()
    expect(spans.map((s) => s.name)).toEqual([
      '[object Object]',
      '404',
      'events',
      'rounded',
      'child',
      'parent',
      'backwards',
    ])
    const backwards = spans.find((s) => s.name === 'backwards')!
    expect(backwards.endTimeUnixNano).toBe(backwards.startTimeUnixNano)
    expect(warnings).toEqual([
      'tracer.startSpan() on span "[object Object]": the name must be a string, got an object with keys [name]; the span was named with its text. Said once per tracer.',
      'tracer.withSpan() on span "404": the name must be a string, got 404; the span was named with its text. Said once per tracer.',
      'span.addEvent() on span "events": the name must be a string (addEvent(name, attributes?)), got an object with keys [attempt]; the event was named with its text. Said once per tracer.',
      `span.end() on span "backwards": options.endTime is before the span's start (epoch milliseconds, on the clock its start was read from), got ${start - 60_000}; the span ends at its start, lasting 0 ms. Said once per tracer.`,
    ])
    await tracer.shutdown()
  })
})

interface KindedSpan extends WireSpan {
  kind: number
  status: { code?: number }
  attributes: { key: string; value: { stringValue?: string } }[]
}

describe("a kind or status that is not one of the span API's", () => {
  it('made-up kinds (Object method names too) keep the batch valid: the span is internal, said once', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('good', { kind: 'llm' }).end()
    for (const kind of ['constructor', '__proto__', 'toString', 'server', 'a"b'])
      tracer.startSpan(kind, { kind: kind as never }).end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    await tracer.shutdown()
    // Before, `constructor` wrote a function's text into the JSON body: the receiver could not
    // parse it and the whole batch, the good span with it, was lost.
    const spans = wireSpans() as KindedSpan[]
    expect(spans.map((s) => [s.name, s.kind])).toEqual([
      ['good', 3],
      ['constructor', 1],
      ['__proto__', 1],
      ['toString', 1],
      ['server', 1],
      ['a"b', 1],
    ])
    for (const span of spans.slice(1))
      expect(span.attributes.find((a) => a.key === 'tokentrail.span.kind')).toBeUndefined()
    expect(warnings).toEqual([
      'tracer.startSpan() on span "constructor": options.kind must be one of llm, tool, http, queue, internal, got "constructor"; the span is internal. Said once per tracer.',
    ])
  })

  it('a status other than ok, error or cancelled ends with the default status, said once', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('failed').end({ status: 'failed' as never })
    tracer
      .startSpan('failed with error')
      .recordError(new Error('x'))
      .end({ status: 'failed' as never })
    tracer.startSpan('cancelled').end({ status: 'cancelled' })
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const spans = wireSpans() as KindedSpan[]
    // OTLP status codes: 2 error, else unset; cancelled is unset plus tokentrail.span.status.
    const said = (s: KindedSpan) =>
      s.attributes.find((a) => a.key === 'tokentrail.span.status')?.value.stringValue
    expect(spans.map((s) => [s.name, s.status.code ?? 0, said(s)])).toEqual([
      ['failed', 0, undefined],
      ['failed with error', 2, undefined],
      ['cancelled', 0, 'cancelled'],
    ])
    expect(warnings).toEqual([
      `span.end() on span "failed": options.status must be 'ok', 'error' or 'cancelled', got "failed"; the span ended with its default status: error when an error was recorded on it, else ok. Said once per tracer.`,
    ])
    await tracer.shutdown()
  })
})

describe('an option a method does not take', () => {
  it('is said once per method and key, naming the likely one, and the call goes on', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    const options = { atributes: { plan: 'pro' } } as never
    tracer.startSpan('one', options).end({ stauts: 'error' } as never)
    tracer.startSpan('two', options).end({ stauts: 'error' } as never)
    tracer.startSpan('root', { root: true } as never).end()
    expect(await tracer.flush({ timeout: 5000 } as never)).toEqual({ ok: true, pending: 0 })
    expect(await tracer.flush({ timeoutMs: 'soon' as never })).toEqual({ ok: true, pending: 0 })
    expect(wireSpans().map((s) => s.name)).toEqual(['one', 'two', 'root'])
    await tracer.shutdown({ timeoutMs: 1000, force: true } as never)
    expect(warnings).toEqual([
      'tracer.startSpan(): unknown option `atributes` — did you mean `attributes`? It was ignored. Valid options: parent, kind, attributes, startTime. Said once per tracer.',
      'span.end(): unknown option `stauts` — did you mean `status`? It was ignored. Valid options: status, endTime, endOpenChildren. Said once per tracer.',
      'tracer.startSpan(): unknown option `root` — did you mean `parent`? It was ignored. Valid options: parent, kind, attributes, startTime. Said once per tracer.',
      'tracer.flush(): unknown option `timeout` — did you mean `timeoutMs`? It was ignored. Valid options: timeoutMs, metrics. Said once per tracer.',
      'tracer.flush(): options.timeoutMs must be a number of milliseconds (0 or more), got "soon"; the exporter timeout (10000 ms) bounded it instead. Said once per tracer.',
      'tracer.shutdown(): unknown option `force`. It was ignored. Valid options: timeoutMs. Said once per tracer.',
    ])
  })

  // Before, these were dropped without a word: the attribute or name the user set was missing from
  // the trace, and nothing said why.
  it('an attribute key, name or attributes argument the span cannot use is said once each', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    for (let i = 0; i < 2; i++) {
      const span = tracer.startSpan(`keys ${i}`)
      span
        .setAttribute(42 as never, 'x')
        .setAttribute('', 'y')
        .setAttribute('kept', 1)
      span.setAttributes('plan=pro' as never)
      span.updateName({ name: 'renamed' } as never)
      span.end()
    }
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(wireSpans().map((s) => [s.name, s.attributes.map((a) => a.key)])).toEqual([
      ['keys 0', ['kept']],
      ['keys 1', ['kept']],
    ])
    expect(warnings).toEqual([
      'span.setAttribute() on span "keys 0": the key must be a non-empty string, got 42; the attribute was not set. Said once per tracer.',
      'span.setAttributes() on span "keys 0": the argument must be an object of attributes, got "plan=pro"; nothing was set. Said once per tracer.',
      'span.updateName() on span "keys 0": the name must be a string, got an object with keys [name]; the span kept its name. Said once per tracer.',
    ])
    await tracer.shutdown()
  })

  // Before, an array set its indexes as keys ('0', '1'), and a Map nothing, without a word.
  it('setAttributes given an array or a Map sets nothing and says so', async () => {
    for (const [given, shown] of [
      [['plan', 'pro'], 'an array of 2'],
      [new Map([['plan', 'pro']]), 'a Map of 1'],
    ] as const) {
      const warnings: string[] = []
      const tracer = createTracer({
        serviceName: 'input',
        exporters: [otlpExporter({ url })],
        warnings: (message) => warnings.push(message),
      })
      tracer
        .startSpan('listed')
        .setAttributes(given as never)
        .setAttribute('kept', 1)
        .end()
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
      expect(
        wireSpans()
          .at(-1)!
          .attributes.map((a) => a.key),
      ).toEqual(['kept'])
      expect(warnings).toEqual([
        `span.setAttributes() on span "listed": the argument must be an object of attributes, got ${shown}; nothing was set. Said once per tracer.`,
      ])
      await tracer.shutdown()
    }
  })

  // Before, withSpan's options were said as `tracer.startSpan()`'s (a method the user never
  // called), and a later startSpan typo of the same key was then never said at all.
  it('names withSpan for its own options, apart from startSpan', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    const options = { atributes: { plan: 'pro' } } as never
    expect(await tracer.withSpan('wrapped', options, async () => 'done')).toBe('done')
    tracer.withSpan('wrapped again', options, () => {})
    tracer.startSpan('direct', options).end()
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(wireSpans().map((s) => s.name)).toEqual(['wrapped', 'wrapped again', 'direct'])
    expect(warnings).toEqual([
      'tracer.withSpan(): unknown option `atributes` — did you mean `attributes`? It was ignored. Valid options: parent, kind, attributes, startTime. Said once per tracer.',
      'tracer.startSpan(): unknown option `atributes` — did you mean `attributes`? It was ignored. Valid options: parent, kind, attributes, startTime. Said once per tracer.',
    ])
    await tracer.shutdown()
  })
  // Before, startSpan's and withSpan's `attributes` option was handed to setAttributes(), so a
  // string was said as `span.setAttributes()`'s argument (a method the user never called), an
  // empty string or 0 was passed over without a word, and withSpan's wrong `kind` or `parent` was
  // said as startSpan's.
  it('says a wrong start option as the option of the method it was given to', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('started', { attributes: 'plan=pro' as never }).end()
    tracer.startSpan('started empty', { attributes: '' as never }).end()
    expect(
      await tracer.withSpan(
        'wrapped',
        { attributes: ['plan'] as never, kind: 'chain' as never },
        async (span) => {
          span.setAttribute('kept', 1)
          return 'done'
        },
      ),
    ).toBe('done')
    expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    expect(wireSpans().map((s) => [s.name, s.attributes.map((a) => a.key)])).toEqual([
      ['started', []],
      ['started empty', []],
      ['wrapped', ['kept']],
    ])
    expect(warnings).toEqual([
      'tracer.startSpan() on span "started": options.attributes must be an object of attributes, got "plan=pro"; nothing was set. Said once per tracer.',
      'tracer.withSpan() on span "wrapped": options.kind must be one of llm, tool, http, queue, internal, got "chain"; the span is internal. Said once per tracer.',
      'tracer.withSpan() on span "wrapped": options.attributes must be an object of attributes, got an array of 1; nothing was set. Said once per tracer.',
    ])
    await tracer.shutdown()
  })
})

describe('a flush or shutdown given a number', () => {
  it('reads it as timeoutMs (it was ignored: a hung receiver held flush(300) for the export timeout)', async () => {
    const held: import('node:http').ServerResponse[] = []
    const hung = createServer((_request, response) => void held.push(response))
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve))
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [
        otlpExporter({
          url: `http://127.0.0.1:${(hung.address() as AddressInfo).port}/v1/traces`,
        }),
      ],
      exportTimeoutMs: 120_000,
      warnings: (message) => warnings.push(message),
    })
    try {
      tracer.startSpan('held').end()
      const result = await tracer.flush(300)
      expect(result).toMatchObject({ ok: false, pending: 1 })
      expect(result.reason).toMatch(/time/)
      await tracer.shutdown(200)
      expect(warnings).toHaveLength(2)
      expect(warnings[0]).toMatch(/^flush timed out after 300 ms: 1 span for /)
      expect(warnings[1]).toMatch(/tracer\.shutdown\(\) ran out of time \(200 ms\)/)
    } finally {
      for (const response of held) response.destroy()
      hung.closeAllConnections()
      await new Promise<void>((resolve) => hung.close(() => resolve()))
    }
  }, 15_000)

  it('anything else that is not an options object is said once and ignored', async () => {
    const warnings: string[] = []
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: (message) => warnings.push(message),
    })
    tracer.startSpan('one').end()
    expect(await tracer.flush('soon' as never)).toEqual({ ok: true, pending: 0 })
    expect(await tracer.flush(true as never)).toEqual({ ok: true, pending: 0 })
    await tracer.shutdown('now' as never)
    expect(wireSpans().map((s) => s.name)).toEqual(['one'])
    expect(warnings).toEqual([
      'tracer.flush() takes an options object { timeoutMs, metrics } or a timeout in milliseconds, got "soon"; it was ignored. Said once per tracer.',
      'tracer.shutdown() takes an options object { timeoutMs } or a timeout in milliseconds, got "now"; it was ignored. Said once per tracer.',
    ])
  })
})

describe("OpenTelemetry's positional end time", () => {
  it('span.end(time) with epoch milliseconds or a Date ends the span then (it was ignored)', async () => {
    const tracer = createTracer({ serviceName: 'input', exporters: [otlpExporter({ url })] })
    const start = Date.now() - 5000
    tracer.startSpan('number', { startTime: start }).end(start + 1234)
    tracer.startSpan('date', { startTime: start }).end(new Date(start + 2345))
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    const ended = Object.fromEntries(
      wireSpans().map((s) => [s.name, Number(BigInt(s.endTimeUnixNano) / 1_000_000n) - start]),
    )
    expect(ended).toEqual({ number: 1234, date: 2345 })
    await tracer.shutdown()
  })
})

describe('a warnings function that throws', () => {
  it('never reaches the app: the notice is given up, the span goes on', async () => {
    const tracer = createTracer({
      serviceName: 'input',
      exporters: [otlpExporter({ url })],
      warnings: () => {
        throw new Error('the log sink is down')
      },
    })
    tracer.startSpan('raw carrier', { parent: {} as never }).end({ endTime: Number.NaN })
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    // An unhandled rejection from the notice would fail this run.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(wireSpans().map((s) => s.name)).toEqual(['raw carrier'])
    await tracer.shutdown()
  })
})
