// A team that already runs OpenTelemetry sets the same OTEL_* variables for every service. Here
// they are checked as the OpenTelemetry specification and @opentelemetry/* read them, with spans
// arriving from an OpenTelemetry service (its W3CTraceContextPropagator) and going to a real
// node:http receiver.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { resolveConfig } from '../src/config.js'
import { createTracer, extractTraceContext, otlpExporter } from '../src/index.js'

const servers: Server[] = []
const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

async function receiver(
  answerAfterMs = 0,
): Promise<{ url: string; spans: () => string[]; bodies: string[]; paths: string[] }> {
  const bodies: string[] = []
  const paths: string[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.on('end', () => {
      paths.push(request.url ?? '')
      if (request.url === '/v1/traces') bodies.push(body)
      setTimeout(
        () => response.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
        answerAfterMs,
      )
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const spans = () =>
    bodies.flatMap((body) =>
      JSON.parse(body).resourceSpans.flatMap((r: any) =>
        r.scopeSpans.flatMap((s: any) => s.spans.map((span: any) => span.name)),
      ),
    )
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, bodies, paths }
}

afterEach(async () => {
  vi.unstubAllEnvs()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

/** Request headers as an OpenTelemetry service sends them for a span with these trace flags. */
function fromOpenTelemetry(traceFlags: number): Headers {
  const carrier: Record<string, string> = {}
  const span = trace.wrapSpanContext({
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags,
    isRemote: false,
  })
  new W3CTraceContextPropagator().inject(
    trace.setSpan(ROOT_CONTEXT, span),
    carrier,
    defaultTextMapSetter,
  )
  return new Headers(carrier)
}

/**
 * In a fresh Node process with `env` (and the receiver's endpoint): the env tracer sends one span
 * `kept` (after `before`, a statement run first); what it answered, and its `[tokentrail]` lines.
 */
async function sendOne(url: string, env: Record<string, string>, before = '') {
  const script = `import * as core from ${JSON.stringify(dist)}
    const tracer = core.getTracer()
    ${before}
    tracer.startSpan('kept').end()
    console.log(JSON.stringify({ recording: tracer.enabled, flushed: (await tracer.flush()).ok }))
    await tracer.shutdown()`
  const { stdout, stderr } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      encoding: 'utf8',
      timeout: 20_000,
      env: { PATH: process.env.PATH, OTEL_EXPORTER_OTLP_ENDPOINT: url, ...env },
    },
  )
  return {
    result: JSON.parse(stdout) as unknown,
    lines: stderr.split('\n').filter((line) => line.includes('[tokentrail]')),
  }
}

describe('OTEL_TRACES_SAMPLER under a caller that decided already', () => {
  // What each sampler does with a sampled (01) and a not-sampled (00) remote parent, as the
  // specification defines them: the plain names ignore the parent, parentbased_ ones follow it.
  const cases: [string, boolean, boolean][] = [
    ['always_off', false, false],
    ['always_on', true, true],
    ['parentbased_always_off', true, false],
    ['parentbased_always_on', true, false],
  ]
  for (const [sampler, underSampled, underNotSampled] of cases)
    it(`${sampler}: ${underSampled ? 'kept' : 'dropped'} under 01, ${underNotSampled ? 'kept' : 'dropped'} under 00`, async () => {
      const server = await receiver()
      vi.stubEnv('OTEL_TRACES_SAMPLER', sampler)
      const tracer = createTracer({
        serviceName: 'downstream',
        metrics: false,
        exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
      })
      for (const [flags, name] of [
        [1, 'under 01'],
        [0, 'under 00'],
      ] as const) {
        const parent = extractTraceContext(fromOpenTelemetry(flags))
        expect(parent?.traceFlags).toBe(flags)
        const span = tracer.startSpan(name, { kind: 'http', parent })
        tracer.runInSpan(span, () => tracer.startSpan(`${name} child`).end())
        span.end()
      }
      expect((await tracer.flush()).ok).toBe(true)
      const expected = [
        ...(underSampled ? ['under 01 child', 'under 01'] : []),
        ...(underNotSampled ? ['under 00 child', 'under 00'] : []),
      ]
      expect(server.spans().sort()).toEqual(expected.sort())
      expect(tracer.stats().notSampled).toBe(4 - expected.length)
      await tracer.shutdown()
    })

  it('traceidratio decides by the trace id whatever the caller says; parentbased_traceidratio follows it', async () => {
    vi.stubEnv('OTEL_TRACES_SAMPLER_ARG', '0')
    for (const [sampler, kept] of [
      ['traceidratio', 0],
      ['parentbased_traceidratio', 1],
    ] as const) {
      vi.stubEnv('OTEL_TRACES_SAMPLER', sampler)
      const server = await receiver()
      const tracer = createTracer({
        serviceName: 'downstream',
        metrics: false,
        exporters: [otlpExporter({ url: `${server.url}/v1/traces` })],
      })
      tracer.startSpan('request', { parent: extractTraceContext(fromOpenTelemetry(1)) }).end()
      await tracer.flush()
      expect(server.spans()).toHaveLength(kept)
      await tracer.shutdown()
    }
  })
})

describe('OpenTelemetry batch, timeout and limit variables', () => {
  const tracerFor = (url: string, options: Parameters<typeof createTracer>[0] = {}) =>
    createTracer({
      serviceName: 'env',
      metrics: false,
      warnings: false,
      exporters: [otlpExporter({ url: `${url}/v1/traces` })],
      ...options,
    })

  it('OTEL_EXPORTER_OTLP_TIMEOUT bounds each export request (the _TRACES_ one wins)', async () => {
    const server = await receiver(3000)
    vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '20000')
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '300')
    const tracer = tracerFor(server.url, { retry: { maxRetries: 0 } })
    tracer.startSpan('slow receiver').end()
    const started = performance.now()
    const result = await tracer.flush({ timeoutMs: 2500 })
    expect(performance.now() - started).toBeLessThan(2000)
    expect(result.ok).toBe(false)
    expect(result.reason).toContain('no answer within 300 ms')
    await tracer.shutdown({ timeoutMs: 100 })
  })

  it('OTEL_BSP_SCHEDULE_DELAY and OTEL_BSP_MAX_EXPORT_BATCH_SIZE shape the batches', async () => {
    const server = await receiver()
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '50')
    vi.stubEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '2')
    const tracer = tracerFor(server.url)
    for (let i = 0; i < 5; i++) tracer.startSpan(`s${i}`).end()
    // No flush: the 50 ms schedule sends them (the default waits 2 s).
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(server.spans().sort()).toEqual(['s0', 's1', 's2', 's3', 's4'])
    expect(server.bodies).toHaveLength(3)
    await tracer.shutdown()
  })

  it('OTEL_BSP_MAX_QUEUE_SIZE bounds the queue; an explicit option wins', async () => {
    const server = await receiver()
    vi.stubEnv('OTEL_BSP_MAX_QUEUE_SIZE', '3')
    const tracer = tracerFor(server.url)
    // Three go out at once (a full batch), three wait, four have no room.
    for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`).end()
    await tracer.flush()
    expect(tracer.stats().dropped.queueFull).toBe(4)
    expect(server.spans()).toHaveLength(6)
    const explicit = tracerFor(server.url, { maxQueueSize: 10 })
    for (let i = 0; i < 10; i++) explicit.startSpan(`e${i}`).end()
    await explicit.flush()
    expect(explicit.stats().dropped.queueFull).toBe(0)
    await Promise.all([tracer.shutdown(), explicit.shutdown()])
  })

  it('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT cuts attribute strings (the _SPAN_ one wins)', async () => {
    const server = await receiver()
    vi.stubEnv('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', '100')
    vi.stubEnv('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', '8')
    const tracer = tracerFor(server.url)
    tracer.startSpan('chat', { attributes: { prompt: 'abcdefghijklmnopqrstuvwxyz' } }).end()
    await tracer.flush()
    const [span] = JSON.parse(server.bodies[0]!).resourceSpans[0].scopeSpans[0].spans
    const prompt = span.attributes.find((a: any) => a.key === 'prompt').value.stringValue
    // At most 8 characters, as OpenTelemetry's limit says; too few for the `[truncated N chars]` marker.
    expect(prompt).toBe('abcdefg…')
    await tracer.shutdown()
  })

  // LangSmith's and Braintrust's OTLP endpoints take traces only: metrics sent there were refused
  // with a 404 warning on every export.
  it.each([
    ['LangSmith', 'https://api.smith.langchain.com/otel', 0],
    ['Braintrust', 'https://api.braintrust.dev/otel', 0],
    ['Langfuse', 'https://cloud.langfuse.com/api/public/otel', 0],
    ['a collector', 'http://collector:4318', 1],
  ])('OTEL_EXPORTER_OTLP_ENDPOINT of %s: %i metrics exporters from env', (_, url, count) => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', url)
    expect(resolveConfig({ exporters: [] }).metrics.exporters).toHaveLength(count)
  })

  it('a value Tokentrail cannot use is treated as not set, as OpenTelemetry says; an option still throws', () => {
    vi.stubEnv('OTEL_BSP_MAX_QUEUE_SIZE', 'lots')
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '0')
    vi.stubEnv('OTEL_EXPORTER_OTLP_TIMEOUT', '2500')
    vi.stubEnv('OTEL_BSP_SCHEDULE_DELAY', '0.5')
    const config = resolveConfig({ exporters: [] })
    expect(config.maxQueueSize).toBe(2048)
    // The next variable in line decides.
    expect(config.exportTimeoutMs).toBe(2500)
    expect(config.flushIntervalMs).toBe(2000)
    for (const set of [
      'OTEL_BSP_MAX_QUEUE_SIZE=lots',
      'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT=0',
      'OTEL_BSP_SCHEDULE_DELAY=0.5',
    ])
      expect(config.envIgnored).toContain(set)
    expect(() => createTracer({ exporters: [], maxQueueSize: 0 })).toThrow(
      'maxQueueSize must be a whole number ≥ 1, got 0',
    )
  })

  it.each([
    ['OTEL_SDK_DISABLED', '1', 'OTEL_SDK_DISABLED=1 (only true disables, as in OpenTelemetry)'],
    ['OTEL_SDK_DISABLED', 'yes', 'OTEL_SDK_DISABLED=yes (only true disables'],
    ['OTEL_TRACES_SAMPLER', 'xray', 'OTEL_TRACES_SAMPLER=xray (Tokentrail has always_on'],
    ['OTEL_TRACES_SAMPLER_ARG', '10%', 'OTEL_TRACES_SAMPLER_ARG=10% (a number from 0 to 1)'],
    [
      'OTEL_TRACES_EXPORTER',
      'zipkin,otlp',
      'OTEL_TRACES_EXPORTER=zipkin (Tokentrail sends to otlp or console)',
    ],
    ['OTEL_RESOURCE_ATTRIBUTES', 'team=50%off,region=eu', 'OTEL_RESOURCE_ATTRIBUTES ('],
  ])(
    '%s=%j, as OpenTelemetry says, is passed over and said, tracing left on',
    (name, value, said) => {
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://collector:4318')
      vi.stubEnv(name, value)
      const config = resolveConfig({})
      expect(config.enabled).toBe(true)
      expect(config.sampleRate).toBe(1)
      expect(config.exporters).toHaveLength(1)
      expect(config.envIgnored).toContain(said)
    },
  )

  it('OTEL_SDK_DISABLED: true in any case disables, false or nothing does not', () => {
    for (const [value, enabled] of [
      ['TRUE', false],
      [' true ', false],
      ['false', true],
      ['', true],
    ] as const) {
      vi.stubEnv('OTEL_SDK_DISABLED', value)
      const config = resolveConfig({ exporters: [] })
      expect(config.enabled, value).toBe(enabled)
      expect(config.envIgnored, value).toBeUndefined()
    }
  })

  it('TOKENTRAIL_ENABLED, when set, wins over OTEL_SDK_DISABLED (set for the OpenTelemetry SDK)', () => {
    vi.stubEnv('OTEL_SDK_DISABLED', 'true')
    expect(resolveConfig({ exporters: [] }).enabled).toBe(false)
    vi.stubEnv('TOKENTRAIL_ENABLED', 'true')
    expect(resolveConfig({ exporters: [] }).enabled).toBe(true)
    vi.stubEnv('OTEL_SDK_DISABLED', 'false')
    vi.stubEnv('TOKENTRAIL_ENABLED', 'false')
    expect(resolveConfig({ exporters: [] }).enabled).toBe(false)
    expect(resolveConfig({ exporters: [], enabled: true }).enabled).toBe(true)
  })

  it('OTEL_TRACES_EXPORTER=otlp,otlp: one exporter, not every span sent twice', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://collector:4318')
    vi.stubEnv('OTEL_TRACES_EXPORTER', 'otlp, OTLP')
    expect(resolveConfig({}).exporters).toHaveLength(1)
  })

  it('a service.name in the resource option (code) wins over OTEL_SERVICE_NAME (env)', () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-env')
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'service.name=from-env-resource')
    expect(
      resolveConfig({ exporters: [], resource: { 'service.name': 'from-code' } }).serviceName,
    ).toBe('from-code')
    expect(resolveConfig({ exporters: [], serviceName: 'option' }).serviceName).toBe('option')
    // Env against env, as OpenTelemetry: OTEL_SERVICE_NAME wins.
    expect(resolveConfig({ exporters: [] }).serviceName).toBe('from-env')
    vi.stubEnv('OTEL_SERVICE_NAME', undefined)
    expect(resolveConfig({ exporters: [] }).serviceName).toBe('from-env-resource')
  })

  it('OTEL_SDK_DISABLED=1 and OTEL_TRACES_SAMPLER=xray: spans still arrive, said once in one line', async () => {
    const server = await receiver()
    const { result, lines } = await sendOne(server.url, {
      OTEL_SDK_DISABLED: '1',
      OTEL_TRACES_SAMPLER: 'xray',
    })
    expect(result).toEqual({ recording: true, flushed: true })
    expect(server.spans()).toEqual(['kept'])
    expect(lines).toEqual([
      '[tokentrail] OpenTelemetry settings Tokentrail cannot use, treated as not set: OTEL_SDK_DISABLED=1 (only true disables, as in OpenTelemetry), OTEL_TRACES_SAMPLER=xray (Tokentrail has always_on, always_off and traceidratio, also as parentbased_…). Tracing is not affected; the option in code or the next variable decides, else the default.',
    ])
  })

  it('OTEL_BSP_SCHEDULE_DELAY=0, which @opentelemetry/sdk-trace-base takes, leaves tracing on and is said once', async () => {
    const server = await receiver()
    const { result, lines } = await sendOne(
      server.url,
      { OTEL_BSP_SCHEDULE_DELAY: '0', OTEL_EXPORTER_OTLP_TIMEOUT: '0' },
      'core.createTracer({ exporters: [core.otlpExporter()] })',
    )
    expect(result).toEqual({ recording: true, flushed: true })
    expect(server.spans()).toEqual(['kept'])
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('OTEL_BSP_SCHEDULE_DELAY=0')
    expect(lines[0]).toContain('OTEL_EXPORTER_OTLP_TIMEOUT=0')
    expect(lines[0]).toContain('Tracing is not affected')
    expect(lines.join('\n')).not.toContain('tracing is off')
  })
})

describe('OpenTelemetry variables Tokentrail does not read', () => {
  async function run(env: Record<string, string>, script: string) {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', `import * as core from ${JSON.stringify(dist)}\n${script}`],
      { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, ...env } },
    )
    return { stdout, stderr: stderr.split('\n').filter((line) => line.includes('[tokentrail]')) }
  }

  it('are said once per process, naming each with what to use instead', async () => {
    const server = await receiver()
    const { stderr } = await run(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
        OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '64',
        OTEL_PROPAGATORS: 'tracecontext,baggage,b3',
        OTEL_EXPORTER_OTLP_CERTIFICATE: '/etc/ssl/collector-ca.pem',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'delta',
        // Read, so not named: the batch and timeout variables, and a propagator list we follow.
        OTEL_BSP_SCHEDULE_DELAY: '1000',
        OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      },
      `const tracer = core.getTracer()
       core.createTracer({ exporters: [core.otlpExporter()] })
       tracer.startSpan('x').end()
       await tracer.shutdown()`,
    )
    expect(stderr).toHaveLength(1)
    const [line] = stderr
    expect(line).toContain('OpenTelemetry settings Tokentrail does not read')
    expect(line).toContain(
      'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT=64 (createTracer({ limits: { maxAttributes } })',
    )
    expect(line).toContain(
      'OTEL_PROPAGATORS=tracecontext,baggage,b3 (Tokentrail always reads and writes W3C',
    )
    expect(line).toContain('OTEL_EXPORTER_OTLP_CERTIFICATE=/etc/ssl/collector-ca.pem (')
    expect(line).toContain('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta (')
    expect(line).not.toContain('OTEL_BSP')
    expect(line).not.toContain('OTEL_EXPORTER_OTLP_TIMEOUT')
    expect(server.spans()).toEqual(['x'])
  })

  it('nothing is said for variables it follows, or with warnings off', async () => {
    const server = await receiver()
    const quiet = await run(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
        OTEL_PROPAGATORS: 'tracecontext,baggage',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'cumulative',
        OTEL_LOG_LEVEL: 'info',
      },
      'await core.getTracer().shutdown()',
    )
    expect(quiet.stderr).toEqual([])
    const off = await run(
      { OTEL_SPAN_EVENT_COUNT_LIMIT: '10', TOKENTRAIL_WARNINGS: 'false' },
      'core.createTracer({ exporters: [core.otlpExporter()] })',
    )
    expect(off.stderr).toEqual([])
  })
})

describe('metrics variables meant for other OpenTelemetry SDKs', () => {
  async function run(env: Record<string, string>) {
    const script = `import { getTracer } from ${JSON.stringify(dist)}
      const tracer = getTracer()
      tracer.startSpan('chat', { kind: 'llm', attributes: { 'gen_ai.operation.name': 'chat' } }).end()
      const result = await tracer.flush()
      console.log(JSON.stringify({ ok: result.ok }))
      await tracer.shutdown()`
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH, ...env } },
    )
    return {
      ok: JSON.parse(stdout).ok as boolean,
      lines: stderr.split('\n').filter((line) => line.includes('[tokentrail]')),
    }
  }

  it('OTEL_METRICS_EXPORTER=prometheus leaves the traces on and says the metrics are off, once', async () => {
    const server = await receiver()
    const { ok, lines } = await run({
      OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
      OTEL_METRICS_EXPORTER: 'prometheus',
    })
    expect(ok).toBe(true)
    expect(server.spans()).toEqual(['chat'])
    expect(server.paths).not.toContain('/v1/metrics')
    expect(lines).toEqual([
      expect.stringContaining(
        'OTEL_METRICS_EXPORTER names "prometheus", which Tokentrail does not send GenAI metrics to (it sends otlp and console): they are off. Traces are not affected',
      ),
    ])
  })

  it('OTEL_METRICS_EXPORTER=otlp,prometheus keeps the OTLP metrics', async () => {
    const server = await receiver()
    const { ok, lines } = await run({
      OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
      OTEL_METRICS_EXPORTER: 'otlp,prometheus',
    })
    expect(ok).toBe(true)
    expect(server.spans()).toEqual(['chat'])
    expect(server.paths).toContain('/v1/metrics')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain('names "prometheus"')
    expect(lines[0]).not.toContain('they are off')
  })

  it('a grpc protocol set for every signal leaves the traces their own http protocol', async () => {
    const server = await receiver()
    const { ok, lines } = await run({
      OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    })
    expect(ok).toBe(true)
    expect(server.spans()).toEqual(['chat'])
    expect(lines).toEqual([
      expect.stringContaining(
        'GenAI metrics are off: OTEL_EXPORTER_OTLP_PROTOCOL must be "http/protobuf" or "http/json", got "grpc"',
      ),
    ])
  })

  it('trace exporters passed in code are not refused for the metrics env', async () => {
    for (const [name, value] of [
      ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc'],
      ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'collector:4317'],
      ['OTEL_METRICS_EXPORTER', 'prometheus'],
    ] as const) {
      vi.unstubAllEnvs()
      vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1')
      vi.stubEnv(name, value)
      const server = await receiver()
      const warnings: string[] = []
      const tracer = createTracer({
        serviceName: 'explicit',
        warnings: (line) => warnings.push(line),
        exporters: [otlpExporter({ url: `${server.url}/v1/traces`, protocol: 'http/json' })],
      })
      tracer.startSpan(name).end()
      expect((await tracer.flush()).ok).toBe(true)
      expect(server.spans()).toEqual([name])
      expect(warnings.join('\n')).toContain(name)
      await tracer.shutdown()
    }
  })

  it('grpc for the traces themselves still turns tracing off, said as before', async () => {
    const server = await receiver()
    const script = `import { getTracer } from ${JSON.stringify(dist)}
      console.log(getTracer().startSpan('x').isRecording)`
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        encoding: 'utf8',
        timeout: 20_000,
        env: {
          PATH: process.env.PATH,
          OTEL_EXPORTER_OTLP_ENDPOINT: server.url,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        },
      },
    )
    expect(stdout.trim()).toBe('false')
    expect(stderr).toContain('[tokentrail] tracing is off: OTEL_EXPORTER_OTLP_PROTOCOL must be')
  })
})
