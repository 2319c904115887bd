import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  createAsyncStorage,
  createTracer,
  getActiveSpan,
  getTracer,
  hasAsyncContext,
  NOOP_SPAN,
  redactSecretsInText,
  runWithSpan,
  setTracer,
  TokentrailError,
} from '../src/index.js'
import { memoryExporter } from '../src/testing.js'
import { buildSpanTree, flattenSpanTree } from '../src/tree.js'

function setup(options: Parameters<typeof createTracer>[0] = {}) {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: 'test', exporters: [exporter], ...options })
  return { exporter, tracer }
}

afterEach(() => {
  vi.unstubAllEnvs()
  setTracer(undefined)
})

describe('spans', () => {
  it('records name, kind, ids, attributes, events and timings', async () => {
    const { exporter, tracer } = setup()
    const span = tracer.startSpan('work', { kind: 'queue', attributes: { 'job.id': 7 } })
    span
      .setAttribute('a', 'x')
      .setAttributes({ b: true, c: [1, 2] })
      .addEvent('step', { n: 1 })
    span.end()
    await tracer.flush()
    const [data] = exporter.spans
    expect(data).toMatchObject({
      name: 'work',
      kind: 'queue',
      status: 'ok',
      attributes: { 'job.id': 7, a: 'x', b: true, c: [1, 2] },
      resource: { serviceName: 'test' },
    })
    expect(data!.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(data!.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(data!.parentSpanId).toBeUndefined()
    expect(data!.events[0]).toMatchObject({ name: 'step', attributes: { n: 1 } })
    expect(data!.endTime).toBeGreaterThanOrEqual(data!.startTime)
    expect(Math.abs(data!.startTime - Date.now())).toBeLessThan(5000)
  })

  it('ends once: later end calls and writes change nothing', async () => {
    const { exporter, tracer } = setup()
    const span = tracer.startSpan('once')
    span.end({ status: 'cancelled' })
    span.setAttribute('late', 1)
    span.end({ status: 'error' })
    await tracer.flush()
    expect(exporter.spans).toHaveLength(1)
    expect(exporter.spans[0]!.status).toBe('cancelled')
    expect(exporter.spans[0]!.attributes.late).toBeUndefined()
  })

  it('records an error with type, message, stack and an exception event', async () => {
    const { exporter, tracer } = setup()
    class QuotaError extends Error {
      override name = 'QuotaError'
    }
    tracer.startSpan('fails').recordError(new QuotaError('over quota')).end()
    await tracer.flush()
    const span = exporter.span('fails')
    expect(span.status).toBe('error')
    expect(span.error).toMatchObject({ type: 'QuotaError', message: 'over quota' })
    expect(span.error!.stack).toContain('over quota')
    expect(span.events[0]).toMatchObject({
      name: 'exception',
      attributes: { 'exception.type': 'QuotaError', 'exception.message': 'over quota' },
    })
  })

  it('counts attributes and events refused at the limit on the span and in stats, and says it once', async () => {
    const warnings: string[] = []
    const { exporter, tracer } = setup({
      limits: { maxAttributes: 2 },
      warnings: (message) => warnings.push(message),
    })
    const span = tracer.startSpan('full', { attributes: { a: 1, b: 2, c: 3 } })
    span.setAttribute('a', 10).addEvent('1').addEvent('2').recordError(new Error('late'))
    span.end()
    tracer.startSpan('fits', { attributes: { a: 1 } }).end()
    await tracer.flush()
    expect(exporter.span('full')).toMatchObject({
      attributes: { a: 10, b: 2 },
      droppedAttributesCount: 1,
      droppedEventsCount: 1,
    })
    expect(exporter.span('fits').droppedAttributesCount).toBeUndefined()
    expect(tracer.stats().limits).toEqual({ attributesDropped: 1, eventsDropped: 1 })
    expect(warnings).toEqual([
      expect.stringMatching(/^span "full" dropped 1 attribute and 1 event: /),
    ])
  })

  it('sanitises hostile attribute values instead of throwing', async () => {
    const { exporter, tracer } = setup({ limits: { maxStringLength: 100, maxAttributes: 20 } })
    const cyclic: Record<string, unknown> = { name: 'loop' }
    cyclic.self = cyclic
    const span = tracer.startSpan('hostile')
    span.setAttributes({
      cyclic,
      big: 2n ** 70n,
      small: 5n,
      fn: () => 1,
      sym: Symbol('s'),
      undef: undefined,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      long: 'x'.repeat(1000),
      date: new Date(0),
      mixed: [1, 'a', null],
      nul: null,
      nested: { deeper: { list: [1n, () => 2] } },
    })
    for (let i = 0; i < 50; i++) span.setAttribute(`k${i}`, i)
    span.end()
    await tracer.flush()
    const attributes = exporter.span('hostile').attributes
    expect(JSON.parse(attributes.cyclic as string)).toEqual({ name: 'loop', self: '[Circular]' })
    expect(attributes.big).toBe('1180591620717411303424')
    expect(attributes.small).toBe(5)
    expect(attributes.fn).toContain('Function')
    expect(attributes.sym).toBe('Symbol(s)')
    expect('undef' in attributes).toBe(false)
    expect('nul' in attributes).toBe(false)
    expect(attributes.nan).toBe('NaN')
    expect(attributes.inf).toBe('Infinity')
    // Cut to the limit (100), the marker included.
    expect(attributes.long).toMatch(/^x{78}…\[truncated 922 chars\]$/)
    expect(attributes.date).toBe('1970-01-01T00:00:00.000Z')
    expect(JSON.parse(attributes.mixed as string)).toEqual([1, 'a', null])
    expect(JSON.parse(attributes.nested as string)).toEqual({
      deeper: { list: ['1', '[Function anonymous]'] },
    })
    expect(Object.keys(attributes)).toHaveLength(20)
  })

  it('ends open children as cancelled when asked, and runs onEnding hooks first', async () => {
    const { exporter, tracer } = setup()
    const root = tracer.startSpan('request', { kind: 'http' })
    const llm = tracer.startSpan('chat', { parent: root, kind: 'llm' })
    const infos: unknown[] = []
    llm.onEnding((span, info) => {
      infos.push(info)
      span.setAttribute('partial.text', 'Hel')
    })
    const done = tracer.startSpan('done', { parent: root })
    done.end()
    root.end({ endOpenChildren: true })
    await tracer.flush()
    expect(exporter.span('chat')).toMatchObject({
      status: 'cancelled',
      attributes: { 'partial.text': 'Hel', 'tokentrail.closed_by_parent': true },
    })
    expect(exporter.span('done').status).toBe('ok')
    expect(exporter.span('chat').endTime).toBe(exporter.span('request').endTime)
    expect(infos).toEqual([
      { status: 'cancelled', closedByParent: true, endTime: exporter.span('request').endTime },
    ])
  })

  // Past 64 callbacks they are counted in a map (removing one was a scan and a splice: quadratic
  // for thousands of AI SDK calls open under one span). Same behaviour either way.
  it('runs each onEnding callback still added, in order and as often as added, however many', async () => {
    const { exporter, tracer } = setup()
    const { offEnding } = await import('../src/internal.js')
    for (const many of [4, 500]) {
      const root = tracer.startSpan(`root ${many}`)
      const ran: number[] = []
      const callbacks = Array.from({ length: many }, (_, i) => () => void ran.push(i))
      for (const callback of callbacks) root.onEnding(callback)
      // Added twice: removed once (by the loop below), the first still runs once; the last (kept
      // for 500) runs twice.
      root.onEnding(callbacks[0]!)
      root.onEnding(callbacks[many - 1]!)
      // The first half end first, as calls that began first do; every third of the rest too.
      for (let i = 0; i < many; i++) if (i < many / 2 || i % 3 === 0) offEnding(root, callbacks[i]!)
      offEnding(root, () => {})
      root.end()
      // As a list would: each removal takes the last time that callback was added.
      const list = [...callbacks.keys(), 0, many - 1]
      for (let i = 0; i < many; i++)
        if (i < many / 2 || i % 3 === 0) list.splice(list.lastIndexOf(i), 1)
      expect(ran).toEqual(list)
    }
    await tracer.flush()
    expect(exporter.spans).toHaveLength(2)
  })

  it('ends every child still open, in the order they opened, however many came and went', async () => {
    const { exporter, tracer } = setup()
    const cancelled = async (open: (root: ReturnType<typeof tracer.startSpan>) => void) => {
      exporter.reset()
      const root = tracer.startSpan('root')
      open(root)
      root.end({ endOpenChildren: true })
      await tracer.flush()
      return exporter.spans.filter((s) => s.status === 'cancelled').map((s) => s.name)
    }
    const child = (root: ReturnType<typeof tracer.startSpan>, name: string) =>
      tracer.startSpan(name, { parent: root })
    // One child, alone.
    expect(await cancelled((root) => child(root, 'a'))).toEqual(['a'])
    // One that ended, then another.
    expect(
      await cancelled((root) => {
        child(root, 'a').end()
        child(root, 'b')
      }),
    ).toEqual(['b'])
    // Two open, the first ends, then more open; and a grandchild under the last.
    expect(
      await cancelled((root) => {
        const a = child(root, 'a')
        child(root, 'b')
        a.end()
        child(root, 'c')
        tracer.startSpan('c.1', { parent: child(root, 'd') })
      }),
    ).toEqual(['b', 'c', 'c.1', 'd'])
  })

  it('builds a span tree with offsets and depths for waterfalls', async () => {
    const { exporter, tracer } = setup()
    await tracer.withSpan('root', async () => {
      await tracer.withSpan('a', async () => {
        await tracer.withSpan('a.1', async () => {})
      })
      await tracer.withSpan('b', async () => {})
    })
    await tracer.flush()
    const [root, ...others] = buildSpanTree(exporter.spans)
    expect(others).toHaveLength(0)
    expect(flattenSpanTree([root!]).map((n) => `${n.depth}:${n.span.name}`)).toEqual([
      '0:root',
      '1:a',
      '2:a.1',
      '1:b',
    ])
    expect(root!.offset).toBe(0)
    expect(root!.children[1]!.offset).toBeGreaterThanOrEqual(root!.children[0]!.offset)
  })
})

describe('withSpan and context', () => {
  it('makes the span active across await, timers and streams', async () => {
    const { exporter, tracer } = setup()
    expect(hasAsyncContext()).toBe(true)
    await tracer.withSpan('root', async (root) => {
      expect(getActiveSpan()).toBe(root)
      await new Promise((resolve) => setTimeout(resolve, 1))
      expect(tracer.getActiveSpan()).toBe(root)
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          tracer.startSpan('in-timer').end()
          resolve()
        }, 1),
      )
      const stream = new ReadableStream({
        pull(controller) {
          tracer.startSpan('in-stream').end()
          controller.enqueue(1)
          controller.close()
        },
      })
      for await (const _ of stream as unknown as AsyncIterable<number>) {
      }
    })
    await tracer.flush()
    const root = exporter.span('root')
    expect(exporter.span('in-timer').parentSpanId).toBe(root.spanId)
    expect(exporter.span('in-stream').parentSpanId).toBe(root.spanId)
    expect(getActiveSpan()).toBeUndefined()
  })

  it('keeps concurrent traces apart', async () => {
    const { exporter, tracer } = setup()
    await Promise.all(
      ['a', 'b', 'c'].map((name) =>
        tracer.withSpan(name, async () => {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5))
          await tracer.withSpan(`${name}.child`, async () => {})
        }),
      ),
    )
    await tracer.flush()
    for (const name of ['a', 'b', 'c']) {
      expect(exporter.span(`${name}.child`).parentSpanId).toBe(exporter.span(name).spanId)
      expect(exporter.span(`${name}.child`).traceId).toBe(exporter.span(name).traceId)
    }
  })

  it('rethrows the same error object, sync and async, and marks the span', async () => {
    const { exporter, tracer } = setup()
    const syncError = new TypeError('sync')
    const asyncError = new RangeError('async')
    expect(() =>
      tracer.withSpan('sync', () => {
        throw syncError
      }),
    ).toThrow(syncError)
    await expect(
      tracer.withSpan('async', async () => {
        throw asyncError
      }),
    ).rejects.toBe(asyncError)
    expect(tracer.withSpan('value', () => 42)).toBe(42)
    await tracer.flush()
    expect(exporter.span('sync')).toMatchObject({ status: 'error', error: { type: 'TypeError' } })
    expect(exporter.span('async')).toMatchObject({ status: 'error', error: { message: 'async' } })
    expect(exporter.span('value').status).toBe('ok')
  })

  // A chained copy lost a subclass's methods (an SDK's `APIPromise.withResponse()`, which its
  // type still promised) and rejected unhandled where the app had handled fn's own promise.
  it("returns fn's own promise, and the span has ended when an awaiting caller goes on", async () => {
    const { exporter, tracer } = setup()
    class ApiPromise<T> extends Promise<T> {
      withResponse() {
        return 'response'
      }
    }
    const own = ApiPromise.resolve('body') as ApiPromise<string> & { requestId?: string }
    own.requestId = 'req_1'
    let ended = false
    const returned = tracer.withSpan('sdk call', (span) => {
      span.onEnding(() => {
        ended = true
      })
      return own
    })
    expect(returned).toBe(own)
    expect(returned.withResponse()).toBe('response')
    expect(await returned).toBe('body')
    expect(ended).toBe(true)

    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      const failure = new Error('job failed')
      const handledByApp: string[] = []
      // Left alone, as a background job is: the app handled the promise inside fn.
      tracer.withSpan('background job', () => {
        const job = Promise.reject(failure)
        job.catch((error: Error) => handledByApp.push(error.message))
        return job
      })
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(handledByApp).toEqual(['job failed'])
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
    await tracer.flush()
    expect(exporter.span('background job')).toMatchObject({
      status: 'error',
      error: { message: 'job failed' },
    })
  })

  // A lazy thenable (a Prisma/Knex/Drizzle query runs only when awaited, and a batch takes it only
  // as itself) was run at once and replaced by a Promise, only when tracing was on.
  it('returns a thenable that is no Promise as it is, unrun, as the disabled tracer does', async () => {
    for (const options of [{}, { sampleRate: 0 }, { enabled: false }]) {
      const { exporter, tracer } = setup(options)
      let runs = 0
      const query = {
        // biome-ignore lint/suspicious/noThenProperty: a lazy query builder is a thenable
        then(resolve: (value: string) => void) {
          runs++
          resolve('rows')
        },
      }
      const returned = tracer.withSpan('build query', () => query)
      expect(returned).toBe(query)
      expect(runs).toBe(0)
      expect(await returned).toBe('rows')
      await tracer.flush()
      if (options.sampleRate === undefined && options.enabled === undefined)
        expect(exporter.span('build query').status).toBe('ok')
    }
    // A Promise of another realm still ends its span as it settles.
    const { exporter, tracer } = setup()
    const { runInNewContext } = await import('node:vm')
    const foreign = runInNewContext('new Promise((resolve) => setTimeout(() => resolve(7), 20))', {
      setTimeout,
    })
    expect(await tracer.withSpan('foreign', () => foreign)).toBe(7)
    await tracer.flush()
    const span = exporter.span('foreign')
    expect(span.endTime - span.startTime).toBeGreaterThanOrEqual(15)
  })

  it('takes an explicit parent, and null for a new trace', async () => {
    const { exporter, tracer } = setup()
    const parent = tracer.startSpan('parent')
    await tracer.withSpan('active', async () => {
      tracer.startSpan('explicit', { parent }).end()
      tracer.startSpan('fresh', { parent: null }).end()
    })
    parent.end()
    await tracer.flush()
    expect(exporter.span('explicit').parentSpanId).toBe(exporter.span('parent').spanId)
    expect(exporter.span('fresh').parentSpanId).toBeUndefined()
    expect(exporter.span('fresh').traceId).not.toBe(exporter.span('active').traceId)
  })

  it('createAsyncStorage gives other packages their own slot that follows await', async () => {
    const a = createAsyncStorage<{ user: string }>('tokentrail.test.slot')
    const again = createAsyncStorage<{ user: string }>('tokentrail.test.slot')
    expect(a.isAsync).toBe(true)
    await a.run({ user: 'ada' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1))
      expect(again.get()).toEqual({ user: 'ada' })
    })
    expect(a.get()).toBeUndefined()
  })

  it('runWithSpan activates an existing span', async () => {
    const { exporter, tracer } = setup()
    const root = tracer.startSpan('root')
    await runWithSpan(root, async () => {
      await Promise.resolve()
      tracer.startSpan('child').end()
    })
    root.end()
    await tracer.flush()
    expect(exporter.span('child').parentSpanId).toBe(exporter.span('root').spanId)
  })
})

describe('sampling', () => {
  it('keeps or drops whole traces, and the rate holds roughly', async () => {
    const { exporter, tracer } = setup({ sampleRate: 0.5, maxQueueSize: 10_000 })
    for (let i = 0; i < 2000; i++) {
      tracer.withSpan('root', () => {
        tracer.startSpan('child').end()
      })
    }
    await tracer.flush()
    const roots = exporter.spans.filter((s) => s.name === 'root')
    const children = exporter.spans.filter((s) => s.name === 'child')
    expect(roots.length).toBeGreaterThan(850)
    expect(roots.length).toBeLessThan(1150)
    expect(children.length).toBe(roots.length)
    const kept = new Set(roots.map((s) => s.traceId))
    for (const child of children) expect(kept.has(child.traceId)).toBe(true)
    expect(tracer.stats().notSampled).toBe(2 * (2000 - roots.length))
  })

  it('decides from the trace id, so two services agree', () => {
    const a = setup({ sampleRate: 0.3 }).tracer
    const b = setup({ sampleRate: 0.3 }).tracer
    for (let i = 0; i < 200; i++) {
      const span = a.startSpan('x')
      const remote = {
        traceId: span.traceId,
        spanId: span.spanId,
        traceFlags: span.isRecording ? 1 : 0,
      }
      // b follows the remote sampled flag
      expect(b.startSpan('y', { parent: remote }).isRecording).toBe(span.isRecording)
    }
  })

  it('rate 0 records nothing but keeps ids for propagation', async () => {
    const { exporter, tracer } = setup({ sampleRate: 0 })
    const span = tracer.startSpan('dropped')
    expect(span.isRecording).toBe(false)
    expect(span.spanContext().traceFlags).toBe(0)
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
    span.end()
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
  })
})

describe('configuration', () => {
  it('fails at creation naming the bad option', () => {
    expect(() => createTracer({ sampleRate: 7 })).toThrow(
      /sampleRate must be a number from 0 to 1.*7/,
    )
    expect(() => createTracer({ maxQueueSize: -1 })).toThrow(/maxQueueSize must be a whole number/)
    expect(() => createTracer({ exporters: [{} as never] })).toThrow(
      /exporters\[0\] is not an exporter/,
    )
    try {
      createTracer({ sampleRate: 7 })
    } catch (error) {
      expect(TokentrailError.isInstance(error)).toBe(true)
      expect((error as Error).name).toBe('TokentrailError')
    }
  })

  it('reads OTEL_* env, and explicit options win', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-env')
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0')
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'deployment.environment=test,team=ai')
    const exporter = memoryExporter()
    const fromEnv = createTracer({ exporters: [exporter] })
    expect(fromEnv.serviceName).toBe('from-env')
    expect(fromEnv.startSpan('x').isRecording).toBe(false)
    const explicit = createTracer({ exporters: [exporter], serviceName: 'explicit', sampleRate: 1 })
    expect(explicit.serviceName).toBe('explicit')
    explicit.startSpan('kept').end()
    await explicit.flush()
    expect(exporter.span('kept').resource.attributes).toEqual({
      'deployment.environment': 'test',
      team: 'ai',
      'service.instance.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      'telemetry.sdk.name': 'tokentrail',
      'telemetry.sdk.language': expect.stringMatching(/^(nodejs|webjs)$/),
      'telemetry.sdk.version': expect.stringMatching(/^\d+\.\d+\.\d+/),
    })
  })

  it("reads OpenTelemetry's OTEL_TRACES_SAMPLER with its argument; an unknown sampler is passed over", async () => {
    const kept = (sampler: string | undefined, arg?: string) => {
      vi.stubEnv('OTEL_TRACES_SAMPLER', sampler)
      vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', arg)
      const tracer = createTracer({ exporters: [memoryExporter()] })
      let n = 0
      for (let i = 0; i < 400; i++) if (tracer.startSpan('x').isRecording) n++
      return n
    }
    expect(kept('always_off')).toBe(0)
    expect(kept('parentbased_always_off', '1')).toBe(0)
    expect(kept('always_on', '0')).toBe(400)
    expect(kept('parentbased_always_on')).toBe(400)
    expect(kept('traceidratio')).toBe(400)
    const half = kept('parentbased_traceidratio', '0.5')
    expect(half).toBeGreaterThan(120)
    expect(half).toBeLessThan(280)
    expect(kept(undefined, '0')).toBe(0)
    // An option in code still wins over the environment.
    vi.stubEnv('OTEL_TRACES_SAMPLER', 'always_off')
    expect(
      createTracer({ exporters: [memoryExporter()], sampleRate: 1 }).startSpan('x').isRecording,
    ).toBe(true)
    // One set for another SDK: passed over (said once, see otel-env), the default keeps all.
    expect(kept('jaeger_remote', '0.1')).toBe(400)
  })

  it('rejects bad env values with the variable name', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url')
    expect(() => createTracer()).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http\(s\) URL/,
    )
    // A key in a URL that is wrong is masked in the message, which goes to the logs.
    for (const [url, said] of [
      [
        '123456:glc_SECRET@otlp-gateway.grafana.net/otlp',
        'got "123456:***@otlp-gateway.grafana.net/otlp": it has no http:// or https:// in front',
      ],
      ['admin:SECRET@collector:4318', 'got "admin:***@collector:4318": it has no http://'],
      [
        'https://otel.example:99999/?api_key=SECRET',
        'got "https://otel.example:99999/?api_key=***"',
      ],
    ]) {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', url)
      let message = ''
      try {
        createTracer()
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).toContain(said)
      expect(message).not.toContain('SECRET')
    }
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://localhost:4318')
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'novalue')
    // Named by its place, never quoted: a header entry is often a key.
    expect(() => createTracer()).toThrow(/OTEL_EXPORTER_OTLP_HEADERS.*entry 1 of 1 has no "="/)
  })

  it('is a no-op when disabled, by option or env, or with no exporter', async () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true')
    const exporter = memoryExporter()
    for (const tracer of [
      createTracer({ exporters: [exporter] }),
      createTracer({ exporters: [exporter], enabled: false }),
      createTracer({ exporters: [], enabled: true }),
    ]) {
      expect(tracer.enabled).toBe(false)
      expect(tracer.startSpan('x')).toBe(NOOP_SPAN)
      expect(await tracer.withSpan('y', async () => 'result')).toBe('result')
      expect(await tracer.flush()).toEqual({ ok: true, pending: 0 })
    }
    vi.stubEnv('OTEL_SDK_DISABLED', 'false')
    vi.stubEnv('TOKENTRAIL_ENABLED', 'false')
    expect(createTracer({ exporters: [exporter] }).enabled).toBe(false)
    expect(exporter.spans).toHaveLength(0)
  })

  it('the default tracer comes from env; a bad env gives a no-op tracer, not a throw', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:4318')
    expect(getTracer().enabled).toBe(true)
    setTracer(undefined)
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '::bad::')
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect(getTracer().enabled).toBe(false)
    expect(error).toHaveBeenCalledWith(expect.stringContaining('OTEL_EXPORTER_OTLP_ENDPOINT'))
    error.mockRestore()
  })
})

describe('redaction', () => {
  it('never exports credentials, but keeps token counts', async () => {
    const { exporter, tracer } = setup()
    tracer
      .startSpan('request')
      .setAttributes({
        'http.request.header.authorization': 'Bearer abc.def.ghi',
        'http.request.header.cookie': 'session=1',
        'provider.apiKey': 'sk-1234567890abcdefghijkl',
        'db.password': 'hunter2',
        'app.client_secret': 'x',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 3,
        settings: {
          apiKey: 'sk-abcdefghijklmnopqrstuvwx',
          baseURL: 'http://x',
          headers: { Authorization: 'Basic Zm9vOmJhcg==' },
        },
        note: 'called with Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig and key sk-proj-abcdefghijklmnopqrstuvwxyz',
      })
      .end()
    await tracer.flush()
    const { attributes } = exporter.span('request')
    expect(attributes['http.request.header.authorization']).toBe('[REDACTED]')
    expect(attributes['http.request.header.cookie']).toBe('[REDACTED]')
    expect(attributes['provider.apiKey']).toBe('[REDACTED]')
    expect(attributes['db.password']).toBe('[REDACTED]')
    expect(attributes['app.client_secret']).toBe('[REDACTED]')
    expect(attributes['gen_ai.usage.input_tokens']).toBe(12)
    expect(attributes['gen_ai.usage.output_tokens']).toBe(3)
    expect(JSON.parse(attributes.settings as string)).toEqual({
      apiKey: '[REDACTED]',
      baseURL: 'http://x',
      headers: { Authorization: '[REDACTED]' },
    })
    expect(attributes.note).toBe('called with [REDACTED] and key [REDACTED]')
    expect(JSON.stringify(exporter.spans)).not.toMatch(/abc\.def|sk-|hunter2|eyJ/)
  })

  // A credential word after another in camelCase (or first, with one after it) has no separator
  // to be found by: these went out as they were, as keys and as object keys.
  it('knows credential names in camelCase, and still keeps token counts', async () => {
    const { exporter, tracer } = setup()
    const secret = 'v4lue-that-must-not-leave'
    const names = [
      'dbPassword',
      'newPassword',
      'secretKey',
      'secretAccessKey',
      'webhookSecret',
      'openaiApiKey',
      'sshPrivateKey',
      'proxyAuthorization',
      'githubAccessToken',
    ]
    tracer
      .startSpan('camel')
      .setAttributes({
        ...Object.fromEntries(names.map((name) => [`app.${name}`, secret])),
        config: Object.fromEntries(names.map((name) => [name, secret])),
        inputTokens: 12,
        maxTokens: 512,
        primaryKey: 'user_id',
        cookieConsent: 'yes',
      })
      .end()
    await tracer.flush()
    const { attributes } = exporter.span('camel')
    for (const name of names) expect(attributes[`app.${name}`], name).toBe('[REDACTED]')
    expect(JSON.stringify(exporter.spans)).not.toContain(secret)
    expect(attributes).toMatchObject({
      inputTokens: 12,
      maxTokens: 512,
      primaryKey: 'user_id',
      cookieConsent: 'yes',
    })
  })

  it('redacts xAI (xai-) and Groq (gsk_) keys in short and long text, as OpenAI and Google keys are', async () => {
    const { exporter, tracer } = setup()
    const xai = `xai-${'A1b2C3d4'.repeat(10)}`
    const groq = `gsk_${'Z9y8X7w6'.repeat(6)}`
    const span = tracer.startSpan('call')
    span.recordError(new Error(`Incorrect API key provided: ${xai}`))
    span.setAttributes({
      short: `key ${groq}`,
      // Past 256 characters the text is first searched for the keys' literals.
      long: `${'lorem ipsum '.repeat(40)}then ${xai} and ${groq} ${'dolor '.repeat(40)}`,
      // Look-alikes are left alone.
      words: `a taxi-driver and a task_list ${'x'.repeat(300)}`,
    })
    span.end()
    await tracer.flush()
    const exported = exporter.span('call')
    expect(exported.attributes.short).toBe('key [REDACTED]')
    expect(exported.attributes.long).toContain('then [REDACTED] and [REDACTED] ')
    expect(exported.attributes.words).toContain('a taxi-driver and a task_list')
    expect(exported.events[0]!.attributes!['exception.message']).toBe(
      'Incorrect API key provided: [REDACTED]',
    )
    expect(JSON.stringify(exporter.spans)).not.toMatch(/xai-A1b2|gsk_Z9y8/)
  })

  it('replaces a value under a credential name in a text of any length, in any case, after a `-` or a space', () => {
    // Past 256 characters a name was looked for only with a capital `Key`/`Passw` or a `_` before
    // it: `x-api-key: …`, `password=…`, `secret: …`, `authorization: …` went out as they were.
    const forms: [text: string, kept: string][] = [
      ['x-api-key: 3f9a8b7c6d5e4f3a2b1c0d9e', 'x-api-key: [REDACTED]'],
      ['password=hunter2', 'password=[REDACTED]'],
      ['secret: abcdef0123456789', 'secret: [REDACTED]'],
      ['authorization: abcdef0123456789', 'authorization: [REDACTED]'],
      ['x-auth-token= abcdef0123456789', 'x-auth-token= [REDACTED]'],
      ['"Secret": "abcdef0123456789"', '"Secret": "[REDACTED]"'],
      ['{\\"passwd\\":\\"pw-7c1e9a2b44\\"}', '{\\"passwd\\":\\"[REDACTED]\\"}'],
      ['X-API-KEY = abcdef0123456789', 'X-API-KEY = [REDACTED]'],
      ['Token: abcdef0123456789', 'Token: abcdef0123456789'], // a bare `token` is not a credential's name
      ['max_tokens=5 and primary_key: user_id', 'max_tokens=5 and primary_key: user_id'],
      ['the key: it opens the door', 'the key: it opens the door'],
    ]
    const before = 'Some context for the model. '.repeat(20)
    for (const [form, kept] of forms) {
      expect(redactSecretsInText(`${form} and more`)).toBe(`${kept} and more`)
      expect(redactSecretsInText(`${before}${form} and more`)).toBe(`${before}${kept} and more`)
      expect(redactSecretsInText(`${before}${form}`)).toBe(`${before}${kept}`)
    }
  })

  it('a long prompt with `chunk_size` or `task_id` in it is not searched with the key regex', async () => {
    // The literal check before the regex looks for `gsk_`, not `k_`, which code and JSON hold.
    const { exporter, tracer } = setup()
    const prompt = `${'Split the file; '.repeat(40)}{"chunk_size": 512, "task_id": 7}`
    const test = vi.spyOn(RegExp.prototype, 'test')
    try {
      redactSecretsInText(prompt)
      expect(test).not.toHaveBeenCalled()
    } finally {
      test.mockRestore()
    }
    tracer.startSpan('call', { attributes: { prompt } }).end()
    await tracer.flush()
    expect(exporter.span('call').attributes.prompt).toBe(prompt)
  })

  it('never exports a credential from an error: its exception event and event attributes are redacted too', async () => {
    const { exporter, tracer } = setup()
    const span = tracer.startSpan('tool')
    const error = new Error('upstream refused key sk-proj-abcdefghijklmnopqrstuvwxyz')
    span.recordError(error)
    span.addEvent('retry', { header: 'Bearer abcdefghijklmnop.qrs', apiKey: 'plain', attempt: 2 })
    span.addEvent('tick', { attempt: 1 })
    span.end()
    await tracer.flush()
    const exported = exporter.span('tool')
    expect(exported.events[0].attributes!['exception.message']).toBe(
      'upstream refused key [REDACTED]',
    )
    expect(exported.events[1].attributes).toEqual({
      header: '[REDACTED]',
      apiKey: '[REDACTED]',
      attempt: 2,
    })
    expect(exported.events[2].attributes).toEqual({ attempt: 1 })
    expect(JSON.stringify(exporter.spans)).not.toMatch(/sk-proj|abcdefghijklmnop|"plain"/)
    // The app's own error is left as it was.
    expect(error.message).toContain('sk-proj-abcdefghijklmnopqrstuvwxyz')
  })

  it('drops prompt or output text when switched off', async () => {
    const run = async (options: { recordInputs?: boolean; recordOutputs?: boolean }) => {
      const { exporter, tracer } = setup(options)
      tracer
        .startSpan('chat', { kind: 'llm' })
        .setAttributes({
          'gen_ai.input.messages': '[{"role":"user"}]',
          'gen_ai.system_instructions': 'be nice',
          'tokentrail.output.text': 'Hello',
          'gen_ai.usage.output_tokens': 2,
        })
        .end()
      await tracer.flush()
      return Object.keys(exporter.span('chat').attributes).sort()
    }
    expect(await run({ recordInputs: false })).toEqual([
      'gen_ai.usage.output_tokens',
      'tokentrail.output.text',
    ])
    expect(await run({ recordOutputs: false })).toEqual([
      'gen_ai.input.messages',
      'gen_ai.system_instructions',
      'gen_ai.usage.output_tokens',
    ])
  })

  it('runs the redact hook last; null drops the span and counts it', async () => {
    const { exporter, tracer } = setup({
      redact: (span) =>
        span.name === 'secret'
          ? null
          : {
              ...span,
              attributes: {
                ...span.attributes,
                email: String(span.attributes.email).replace(/.+@/, '***@'),
              },
            },
    })
    tracer.startSpan('user').setAttribute('email', 'ada@example.com').end()
    tracer.startSpan('secret').end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['user'])
    expect(exporter.span('user').attributes.email).toBe('***@example.com')
    expect(tracer.stats().dropped.redacted).toBe(1)
  })

  it('drops (and counts) a span whose redact hook throws, instead of leaking it', async () => {
    const { exporter, tracer } = setup({
      redact: () => {
        throw new Error('bug in hook')
      },
    })
    tracer.startSpan('x').end()
    await tracer.flush()
    expect(exporter.spans).toHaveLength(0)
    expect(tracer.stats().dropped.redactError).toBe(1)
  })
})

describe('processor', () => {
  it('bounds the queue and counts drops', async () => {
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    const exported: number[] = []
    const tracer = createTracer({
      maxQueueSize: 10,
      maxBatchSize: 5,
      exporters: [
        {
          name: 'slow',
          async export(spans) {
            await gate
            exported.push(spans.length)
            return { code: 'success' }
          },
        },
      ],
    })
    for (let i = 0; i < 100; i++) tracer.startSpan(`s${i}`).end()
    // Spans that end before the span-end code has loaded (a fresh tracer) go on in order once it has.
    await vi.waitFor(() => expect(tracer.stats().dropped.queueFull).toBe(85))
    const stats = tracer.stats()
    // one batch of 5 in flight, 10 queued, the rest dropped
    expect(stats.started).toBe(100)
    expect(stats.queued).toBe(10)
    release()
    expect(await tracer.flush({ timeoutMs: 1000 })).toEqual({
      ok: false,
      pending: 0,
      reason:
        'the slow exporter: 85 spans dropped since the last flush: the queue was full (maxQueueSize 10)',
    })
    expect(exported.reduce((a, b) => a + b, 0)).toBe(15)
    expect(tracer.stats().exported).toBe(15)
  })

  it('flush resolves within its bound when the exporter never answers, and never rejects', async () => {
    const tracer = createTracer({
      exportTimeoutMs: 60_000,
      exporters: [{ name: 'hang', export: () => new Promise(() => {}) }],
    })
    tracer.startSpan('x').end()
    const started = performance.now()
    const result = await tracer.flush({ timeoutMs: 50 })
    expect(result.ok).toBe(false)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('an exporter that throws is contained and retried, never reaching user code', async () => {
    let calls = 0
    const debug = vi.fn()
    const tracer = createTracer({
      debug,
      retry: { maxRetries: 2, initialBackoffMs: 1 },
      exporters: [
        {
          name: 'broken',
          export() {
            calls++
            throw new Error('exporter bug')
          },
        },
      ],
    })
    tracer.withSpan('x', () => {})
    await tracer.flush({ timeoutMs: 2000 })
    expect(calls).toBe(3)
    expect(tracer.stats()).toMatchObject({ failed: 1, retried: 2, exported: 0 })
    // One line per attempt, and the exporter's own bug reported once.
    expect(debug.mock.calls.map((c) => c[0])).toEqual([
      expect.stringMatching(
        /^export attempt 1\/3 to the broken exporter: 1 span, exporter bug; next attempt in/,
      ),
      expect.stringMatching(/^export attempt 2\/3 /),
      expect.stringMatching(/^export attempt 3\/3 .*giving up on them$/),
      'broken export failed (reported once)',
    ])
  })

  it('a throw in the send loop (as workerd does across requests) fails the batch, flush still settles', async () => {
    const { exporter, tracer } = setup()
    tracer.startSpan('lost').end()
    vi.stubGlobal('AbortController', () => {
      throw new Error('Cannot perform I/O on behalf of a different request')
    })
    try {
      expect(await tracer.flush({ timeoutMs: 1000 })).toEqual({
        ok: false,
        pending: 0,
        reason: expect.stringMatching(/^the memory exporter: 1 span not delivered: /),
      })
    } finally {
      vi.unstubAllGlobals()
    }
    tracer.startSpan('next').end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['next'])
    expect(tracer.stats()).toMatchObject({ failed: 1, exported: 1, flushTimeouts: 0 })
  })

  it('flush waits for the spans queued before it, not for a queue other requests keep filling', async () => {
    const gates: (() => void)[] = []
    const sent: string[] = []
    const tracer = createTracer({
      maxBatchSize: 1,
      exporters: [
        {
          name: 'gated',
          export: async (spans) => {
            await new Promise<void>((resolve) => gates.push(resolve))
            sent.push(spans[0]!.name)
            return { code: 'success' }
          },
        },
      ],
    })
    tracer.startSpan('mine').end()
    const flushed = tracer.flush({ timeoutMs: 5000 })
    tracer.startSpan('theirs 1').end()
    tracer.startSpan('theirs 2').end()
    await vi.waitFor(() => expect(gates).toHaveLength(1))
    gates[0]!() // 'mine' delivered; 'theirs 1' goes out next and hangs
    // Not delivered yet: 'theirs 1' on the wire and 'theirs 2' queued.
    expect(await flushed).toEqual({ ok: true, pending: 2 })
    expect(sent).toEqual(['mine'])
  })

  it('counts a flush that hits its bound', async () => {
    const tracer = createTracer({
      exporters: [{ name: 'hang', export: () => new Promise(() => {}) }],
    })
    tracer.startSpan('x').end()
    await tracer.flush({ timeoutMs: 10 })
    expect(tracer.stats().flushTimeouts).toBe(1)
  })

  it('shutdown flushes, then drops and counts later spans', async () => {
    const { exporter, tracer } = setup()
    tracer.startSpan('before').end()
    await tracer.shutdown()
    tracer.startSpan('after').end()
    await tracer.flush()
    expect(exporter.spans.map((s) => s.name)).toEqual(['before'])
    expect(tracer.stats().dropped.shutdown).toBe(1)
  })

  it('exports by interval without an explicit flush', async () => {
    const { exporter, tracer } = setup({ flushIntervalMs: 10 })
    tracer.startSpan('timed').end()
    await vi.waitFor(() => expect(exporter.spans).toHaveLength(1), { timeout: 2000, interval: 5 })
    expect(tracer.stats().exported).toBe(1)
  })
})
