// What the core README promises about options, checked from outside: a bad value throws a
// TokentrailError at creation naming the option and the expected form, for createTracer and every
// exporter factory; env values are honoured as OpenTelemetry reads them. Exports go to a real
// node:http receiver.
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { runInNewContext } from 'node:vm'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  consoleExporter,
  consoleMetricsExporter,
  createTracer,
  httpExporter,
  type OtlpExporterOptions,
  otlpExporter,
  otlpMetricsExporter,
  type TracerOptions,
} from '../src/index.js'
import { memoryExporter, memoryMetricExporter } from '../src/testing.js'
import { thrown } from './thrown.js'

describe('a nested option given as undefined is the option left out', () => {
  it('retry and limits fields: the defaults apply, to a real receiver (createTracer threw)', async () => {
    // What an app not under exactOptionalPropertyTypes may write (the declarations take it), and
    // what sampling, redaction and metrics already read as left out.
    const { url, received } = await receiver()
    const fromEnv = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined)
    const tracer = createTracer({
      serviceName: 'nested',
      exporters: [otlpExporter({ url: `${url}/v1/traces` })],
      metrics: false,
      retry: {
        maxRetries: fromEnv('TT_TEST_UNSET_RETRIES'),
        initialBackoffMs: undefined,
        maxBackoffMs: undefined,
        multiplier: undefined,
        maxRetryAfterMs: undefined,
      },
      limits: {
        maxStringLength: undefined,
        maxAttributes: fromEnv('TT_TEST_UNSET_ATTRIBUTES'),
        maxArrayLength: undefined,
        maxDepth: undefined,
      },
    })
    tracer.withSpan('limited', (span) => {
      for (let i = 0; i < 300; i++) span.setAttribute(`a${i}`, i)
    })
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    await tracer.shutdown()
    const span = JSON.parse(received[0]!.body).resourceSpans[0].scopeSpans[0].spans[0]
    // The default limit: 256 attributes.
    expect(span.attributes).toHaveLength(256)
    expect(span.droppedAttributesCount).toBe(44)
  })
})

const servers: Server[] = []

interface Received {
  url: string
  headers: Record<string, string | string[] | undefined>
  body: string
}

async function receiver(): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.on('end', () => {
      received.push({ url: request.url ?? '', headers: request.headers, body })
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{}')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received }
}

afterEach(async () => {
  vi.unstubAllEnvs()
  for (const server of servers.splice(0)) {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  }
})

describe('createTracer checks the type of every option', () => {
  it('enabled: "false" (a string from config) throws instead of turning tracing on', () => {
    expect(thrown(() => createTracer({ enabled: 'false' as never }))).toBe(
      'enabled must be true or false, got "false"',
    )
  })

  it.each([
    ['recordInputs', { recordInputs: 'no' }, 'recordInputs must be true or false, got "no"'],
    ['recordOutputs', { recordOutputs: 0 }, 'recordOutputs must be true or false, got 0'],
    [
      'debug',
      { debug: 'yes' },
      'debug must be true, false or a function (message, error?) => void, got "yes"',
    ],
    [
      'warnings',
      { warnings: 1 },
      'warnings must be true, false or a function (message) => void, got 1',
    ],
    [
      'resource',
      { resource: 'env=prod' },
      'resource must be an object of attributes, got "env=prod"',
    ],
  ])('%s', (_name, options, message) => {
    expect(thrown(() => createTracer(options as never))).toBe(message)
  })

  it('metrics.exporters is checked like exporters', () => {
    expect(
      thrown(() => createTracer({ metrics: { exporters: otlpMetricsExporter() as never } })),
    ).toBe('metrics.exporters must be an array of exporters, such as [otlpMetricsExporter()]')
    expect(thrown(() => createTracer({ metrics: { exporters: [{} as never] } }))).toBe(
      'metrics.exporters[0] is not an exporter: it needs an export(snapshot, signal) method',
    )
  })

  it('exporters lists may be readonly (`as const`), and are copied: a later change is not taken', async () => {
    const exporter = memoryExporter()
    const spans = [exporter] as const
    const metrics = [memoryMetricExporter()] as const
    const mutable = [exporter]
    const tracer = createTracer({ exporters: spans, metrics: { exporters: metrics } })
    const other = createTracer({ exporters: mutable, metrics: false })
    mutable.push(memoryExporter())
    other.startSpan('one').end()
    await other.flush()
    expect(other.stats().exported).toBe(1)
    await tracer.shutdown()
    await other.shutdown()
  })

  it('an exporter of the other signal in a list is named at creation (each export failed on data it could not read)', () => {
    expect(thrown(() => createTracer({ exporters: [otlpMetricsExporter() as never] }))).toBe(
      'exporters[0] is otlpMetricsExporter(), which exports metrics: it goes in metrics.exporters',
    )
    expect(
      thrown(() =>
        createTracer({ exporters: [memoryExporter(), consoleMetricsExporter() as never] }),
      ),
    ).toBe(
      'exporters[1] is consoleMetricsExporter(), which exports metrics: it goes in metrics.exporters',
    )
    expect(
      thrown(() =>
        createTracer({ exporters: [], metrics: { exporters: [otlpExporter() as never] } }),
      ),
    ).toBe('metrics.exporters[0] is otlpExporter(), which exports spans: it goes in exporters')
    expect(
      thrown(() =>
        createTracer({
          exporters: [],
          metrics: {
            exporters: [memoryMetricExporter(), httpExporter({ url: 'http://x/ingest' }) as never],
          },
        }),
      ),
    ).toBe('metrics.exporters[1] is httpExporter(), which exports spans: it goes in exporters')
  })

  it('retry: false does not quietly keep the default retries', () => {
    expect(thrown(() => createTracer({ retry: false as never }))).toBe(
      'retry must be an object such as { maxRetries: 0 }, got false',
    )
    expect(thrown(() => createTracer({ limits: 4096 as never }))).toBe(
      'limits must be an object such as { maxStringLength: 4096 }, got 4096',
    )
  })

  it('Infinity and NaN are shown as themselves, not as null', () => {
    expect(thrown(() => createTracer({ exportTimeoutMs: Number.POSITIVE_INFINITY }))).toBe(
      'exportTimeoutMs must be a whole number ≥ 1, got Infinity',
    )
    expect(thrown(() => createTracer({ maxQueueSize: Number.NaN }))).toBe(
      'maxQueueSize must be a whole number ≥ 1, got NaN',
    )
  })

  it('OTEL_METRIC_EXPORT_INTERVAL Tokentrail cannot use is passed over, named with its value; tracing goes on', async () => {
    // Set for another OpenTelemetry SDK (`60s`, `0`): it turned tracing off before.
    vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', '60s')
    const warnings: string[] = []
    const tracer = createTracer({
      exporters: [memoryExporter()],
      warnings: (message) => warnings.push(message),
    })
    expect(tracer.enabled).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(warnings.join('\n')).toContain('OTEL_METRIC_EXPORT_INTERVAL=60s')
    expect(thrown(() => createTracer({ metrics: { exportIntervalMs: 0 } }))).toBe(
      'metrics.exportIntervalMs must be a whole number ≥ 1, got 0',
    )
  })

  it('an unknown key with no close match still reads as a sentence', () => {
    expect(thrown(() => otlpExporter({ timeoutMillis: 5 } as never))).toBe(
      'otlpExporter: unknown option `timeoutMillis`. Valid options: url, headers, protocol, compression, profile, toolDefinitions.',
    )
  })
})

describe('exporter factories check their options the same way', () => {
  it('otlpExporter({ headers: "k=v" }) throws; before, the string was spread into no usable header', () => {
    expect(
      thrown(() => otlpExporter({ url: 'http://x:1/v1/traces', headers: 'a=b' as never })),
    ).toBe('otlpExporter({ headers }) must be an object of header values, got a=b')
  })

  it('a header whose value is undefined (its env variable unset) is named', () => {
    const headers = { Authorization: undefined } as unknown as Record<string, string>
    expect(thrown(() => otlpExporter({ url: 'http://x:1/v1/traces', headers }))).toBe(
      'otlpExporter({ headers }): `Authorization` must be a string, got undefined (is its variable set?)',
    )
    expect(thrown(() => otlpMetricsExporter({ url: 'http://x:1/v1/metrics', headers }))).toContain(
      'otlpMetricsExporter({ headers }): `Authorization`',
    )
    expect(thrown(() => httpExporter({ url: 'http://x:1/ingest', headers }))).toContain(
      'httpExporter({ headers }): `Authorization`',
    )
  })

  it('consoleExporter and consoleMetricsExporter check pretty and write', () => {
    const message = 'consoleExporter: pretty must be true or false, write a function (line) => void'
    expect(thrown(() => consoleExporter({ pretty: 'yes' as never }))).toBe(message)
    expect(thrown(() => consoleExporter({ write: 'stdout' as never }))).toBe(message)
    expect(thrown(() => consoleMetricsExporter({ write: 1 as never }))).toBe(
      'consoleMetricsExporter: write must be a function (line) => void',
    )
  })

  it('memoryExporter and memoryMetricExporter take no options, and say so', () => {
    expect(thrown(() => memoryExporter({ spans: [] } as never))).toBe(
      'memoryExporter() takes no options, got `spans`',
    )
    expect(thrown(() => memoryMetricExporter({ x: 1 } as never))).toBe(
      'memoryMetricExporter() takes no options, got `x`',
    )
    expect(() => memoryExporter()).not.toThrow()
  })

  it('numeric header values are sent as text, to a real receiver', async () => {
    const { url, received } = await receiver()
    const tracer = createTracer({
      exporters: [otlpExporter({ url: `${url}/v1/traces`, headers: { 'x-tenant': 7 as never } })],
      metrics: false,
    })
    tracer.startSpan('one').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    expect(received[0]!.headers['x-tenant']).toBe('7')
    await tracer.shutdown()
  })

  // Before, otlpExporter('http://…/v1/traces') made an exporter for the default
  // http://localhost:4318 without a word (the string was read as options with none set), and
  // otlpExporter(null) failed with a TypeError about destructuring.
  it('a URL passed instead of options, or null, throws naming the factory; the URL is not shown', async () => {
    const { url, received } = await receiver()
    const secretUrl = `http://user:hunter2@127.0.0.1:${new URL(url).port}/v1/traces`
    for (const [make, name, example] of [
      [otlpExporter, 'otlpExporter', '{ url }'],
      [otlpMetricsExporter, 'otlpMetricsExporter', '{ url }'],
      [httpExporter, 'httpExporter', '{ url, apiKey }'],
    ] as const) {
      expect(thrown(() => make(secretUrl as never))).toBe(
        `${name}() takes an options object such as ${example}, got a string`,
      )
      expect(thrown(() => make(null as never))).toBe(
        `${name}() takes an options object such as ${example}, got null`,
      )
    }
    // A URL object: its `protocol` getter ("http:") was named as a bad `protocol` option, and
    // httpExporter said its url was missing.
    for (const [make, name, example] of [
      [otlpExporter, 'otlpExporter', '{ url }'],
      [otlpMetricsExporter, 'otlpMetricsExporter', '{ url }'],
      [httpExporter, 'httpExporter', '{ url, apiKey }'],
    ] as const)
      expect(thrown(() => make(new URL(secretUrl) as never))).toBe(
        `${name}() takes an options object such as ${example}, got a URL object (pass { url: url.href })`,
      )
    expect(thrown(() => consoleExporter('pretty' as never))).toBe(
      'consoleExporter() takes an options object such as { pretty: true }, got a string',
    )
    expect(thrown(() => consoleMetricsExporter([] as never))).toBe(
      'consoleMetricsExporter() takes an options object such as { write }, got an array',
    )
    // A Map or Set has no own keys: it read as options with none set, so a Map of the user's
    // settings exported to the default http://localhost:4318 without a word.
    const settings = new Map([['url', secretUrl]])
    expect(thrown(() => otlpExporter(settings as never))).toBe(
      'otlpExporter() takes an options object such as { url }, got a Map',
    )
    expect(thrown(() => httpExporter(new Set([secretUrl]) as never))).toBe(
      'httpExporter() takes an options object such as { url, apiKey }, got a Set',
    )
    // createTracer said only "takes an options object", and an array or a Map made a tracer from
    // env and defaults in silence.
    expect(thrown(() => createTracer('chat' as never))).toBe(
      "createTracer() takes an options object such as { serviceName: 'chat' }, got a string",
    )
    expect(thrown(() => createTracer(new Map([['serviceName', 'chat']]) as never))).toBe(
      "createTracer() takes an options object such as { serviceName: 'chat' }, got a Map",
    )
    expect(thrown(() => createTracer([otlpExporter({ url: secretUrl })] as never))).toBe(
      "createTracer() takes an options object such as { serviceName: 'chat' }, got an array",
    )
    // A nested option given as a Map was read as one with no keys: the defaults, without a word.
    expect(thrown(() => createTracer({ limits: new Map([['maxAttributes', 8]]) as never }))).toBe(
      'createTracer({ limits }) takes an options object, got a Map (pass Object.fromEntries(map))',
    )
    expect(
      thrown(() => createTracer({ redaction: { detectors: new Map([['ip', false]]) as never } })),
    ).toBe(
      'createTracer({ redaction.detectors }) takes an options object, got a Map (pass Object.fromEntries(map))',
    )
    expect(received).toEqual([])
  })

  // Before, a fetch Headers or a Map given as `headers` was read as an object with no keys: the
  // API key in it was never sent, without a word at creation (the backend's 401 came later), and
  // a Map of resource attributes left them out the same way.
  it('headers given as a Headers object or a Map, or resource as a Map, throw naming them; nothing is sent', async () => {
    const { url, received } = await receiver()
    const auth = { authorization: 'Bearer abcdefgh' }
    for (const [factory, make] of [
      ['otlpExporter', (headers: never) => otlpExporter({ url: `${url}/v1/traces`, headers })],
      [
        'otlpMetricsExporter',
        (headers: never) => otlpMetricsExporter({ url: `${url}/v1/metrics`, headers }),
      ],
      ['httpExporter', (headers: never) => httpExporter({ url: `${url}/spans`, headers })],
    ] as const) {
      expect(thrown(() => make(new Headers(auth) as never))).toBe(
        `${factory}({ headers }) must be an object of header values, got a Headers object (pass Object.fromEntries(headers))`,
      )
      expect(thrown(() => make(new Map(Object.entries(auth)) as never))).toBe(
        `${factory}({ headers }) must be an object of header values, got a Map (pass Object.fromEntries(map))`,
      )
      expect(thrown(() => make([['authorization', 'Bearer abcdefgh']] as never))).toBe(
        `${factory}({ headers }) must be an object of header values, got an array`,
      )
    }
    expect(
      thrown(() =>
        createTracer({
          exporters: [otlpExporter({ url: `${url}/v1/traces` })],
          resource: new Map([['deployment.environment.name', 'prod']]) as never,
        }),
      ),
    ).toBe('resource must be an object of attributes, got a Map (pass Object.fromEntries(map))')
    // A plain object still works, to a real receiver.
    const tracer = createTracer({
      exporters: [otlpExporter({ url: `${url}/v1/traces`, headers: auth })],
      resource: { 'deployment.environment.name': 'prod' },
      metrics: false,
    })
    tracer.startSpan('one').end()
    expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
    expect(received[0]!.headers.authorization).toBe('Bearer abcdefgh')
    await tracer.shutdown()
  })

  // The Headers check was `instanceof` the global Headers: undici's own package and node-fetch
  // export Headers classes of their own (`import { fetch, Headers } from 'undici'`), and a Map
  // made in another realm (node:vm) is no instance of this one's Map. Each was read as an object
  // with no keys: the API key never sent, unsaid. Objects with keys of their own still work.
  it('Headers of undici or node-fetch, a Map of another realm, a URLSearchParams throw too; a class instance, a null-prototype, frozen or proxied object still works', async () => {
    const { url, received } = await receiver()
    const auth = { authorization: 'Bearer abcdefgh' }
    // Not dependencies of core: loaded from where pnpm keeps the workspace's packages.
    const hoisted = createRequire(
      fileURLToPath(new URL('../../../node_modules/.pnpm/node_modules/', import.meta.url)),
    )
    const undici = hoisted('undici') as { Headers: typeof Headers }
    const nodeFetch = (await import(pathToFileURL(hoisted.resolve('node-fetch')).href)) as {
      Headers: typeof Headers
    }
    const make = (headers: never) => otlpExporter({ url: `${url}/v1/traces`, headers })
    const sayHeaders =
      'otlpExporter({ headers }) must be an object of header values, got a Headers object (pass Object.fromEntries(headers))'
    expect(new undici.Headers(auth) instanceof Headers).toBe(false)
    expect(thrown(() => make(new undici.Headers(auth) as never))).toBe(sayHeaders)
    expect(thrown(() => make(new nodeFetch.Headers(auth) as never))).toBe(sayHeaders)
    const otherRealm = runInNewContext('new Map([["authorization", "Bearer abcdefgh"]])')
    expect(thrown(() => make(otherRealm as never))).toBe(
      'otlpExporter({ headers }) must be an object of header values, got a Map (pass Object.fromEntries(map))',
    )
    expect(thrown(() => make(new URLSearchParams(auth) as never))).toBe(
      'otlpExporter({ headers }) must be an object of header values, got a URLSearchParams (pass Object.fromEntries(params))',
    )
    expect(
      thrown(() =>
        createTracer({
          exporters: [otlpExporter({ url: `${url}/v1/traces` })],
          resource: runInNewContext('new Map([["deployment.environment.name", "prod"]])'),
        }),
      ),
    ).toBe('resource must be an object of attributes, got a Map (pass Object.fromEntries(map))')
    class Auth {
      authorization = 'Bearer abcdefgh'
    }
    const nullProto = Object.assign(Object.create(null), { 'x-a': '1' })
    for (const headers of [
      new Auth(),
      Object.assign(nullProto, auth),
      Object.freeze({ ...auth }),
      new Proxy({ ...auth }, {}),
    ]) {
      const tracer = createTracer({
        exporters: [otlpExporter({ url: `${url}/v1/traces`, headers })],
        resource: Object.freeze({ 'deployment.environment.name': 'prod' }),
        metrics: false,
      })
      tracer.startSpan('one').end()
      expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
      expect(received.at(-1)!.headers.authorization).toBe('Bearer abcdefgh')
      await tracer.shutdown()
    }
    expect(received).toHaveLength(4)
  })

  // Before, toolDefinitions: 'false' (a string from config) was truthy: every span sent the tool
  // schemas as llm.tools.N.tool.json_schema.
  it('otlpExporter({ toolDefinitions }) takes true or false only', () => {
    expect(
      thrown(() => otlpExporter({ profile: 'phoenix', toolDefinitions: 'false' as never })),
    ).toBe('otlpExporter({ toolDefinitions }) must be true or false, got "false"')
  })
})

describe('service.name as OpenTelemetry resolves it', () => {
  function serviceNameIn(body: string): unknown {
    const resource = JSON.parse(body).resourceSpans[0].resource.attributes as {
      key: string
      value: { stringValue?: string }
    }[]
    return resource.find((a) => a.key === 'service.name')?.value.stringValue
  }

  async function exportedServiceName(options: Parameters<typeof createTracer>[0] = {}) {
    const { url, received } = await receiver()
    const tracer = createTracer({
      exporters: [otlpExporter({ url: `${url}/v1/traces` })],
      metrics: false,
      ...options,
    })
    tracer.startSpan('one').end()
    await tracer.flush({ timeoutMs: 5000 })
    await tracer.shutdown()
    return serviceNameIn(received[0]!.body)
  }

  it('OTEL_RESOURCE_ATTRIBUTES=service.name=… names the service when OTEL_SERVICE_NAME is unset', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', '')
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'service.name=billing,deployment.environment=prod')
    expect(await exportedServiceName()).toBe('billing')
  })

  it('OTEL_SERVICE_NAME wins over the resource attribute, and the option over both', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', 'chat-api')
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', 'service.name=billing')
    expect(await exportedServiceName()).toBe('chat-api')
    expect(await exportedServiceName({ serviceName: 'explicit' })).toBe('explicit')
  })

  it('resource: { "service.name" } in code names the service too', async () => {
    vi.stubEnv('OTEL_SERVICE_NAME', '')
    vi.stubEnv('OTEL_RESOURCE_ATTRIBUTES', '')
    expect(await exportedServiceName({ resource: { 'service.name': 'from-code' } })).toBe(
      'from-code',
    )
  })
})

describe('docs/backends.md env lines, against a receiver that has only /v1/traces', () => {
  async function tracesOnlyReceiver() {
    const requests: string[] = []
    const server = createServer((request, response) => {
      request.resume()
      request.on('end', () => {
        requests.push(request.url ?? '')
        const found = new URL(request.url ?? '/', 'http://receiver').pathname.endsWith('/v1/traces')
        response.writeHead(found ? 200 : 404, { 'content-type': 'application/json' })
        response.end(found ? '{}' : '{"error":"not found"}')
      })
    })
    servers.push(server)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
  }

  async function llmCallFlushed() {
    const warnings: string[] = []
    const tracer = createTracer({ warnings: (m) => warnings.push(m) })
    tracer
      .startSpan('chat gpt-4o', {
        kind: 'llm',
        attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.usage.input_tokens': 3 },
      })
      .end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    await tracer.shutdown()
    return { result, warnings }
  }

  it('Langfuse (OTEL_EXPORTER_OTLP_ENDPOINT=…/api/public/otel): traces only, every flush ok', async () => {
    const { url, requests } = await tracesOnlyReceiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `${url}/api/public/otel`)
    const { result, warnings } = await llmCallFlushed()
    expect(result).toEqual({ ok: true, pending: 0 })
    expect(warnings).toEqual([])
    expect(requests).toEqual(['/api/public/otel/v1/traces'])
  })

  it('metrics still go there when asked for, and a 404 at /v1/metrics is said plainly', async () => {
    const { url, requests } = await tracesOnlyReceiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `${url}/api/public/otel`)
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'otlp')
    const { result, warnings } = await llmCallFlushed()
    // The spans arrived: the flush is ok; the metrics' failure is said (below) and counted.
    expect(result.ok).toBe(true)
    expect(requests).toContain('/api/public/otel/v1/metrics')
    expect(warnings).toEqual([
      `metrics not delivered to ${url}/api/public/otel/v1/metrics: 404 Not Found: nothing takes metrics at "/api/public/otel/v1/metrics" (a wrong path, or a backend that takes no metrics). Their totals go out with the next export; \`npx tokentrail doctor\` checks the setup.`,
    ])
  })

  it('a base URL with a query keeps it after the signal path (it went into the query)', async () => {
    const { url, requests } = await tracesOnlyReceiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `${url}/otel/?tenant=a1`)
    await llmCallFlushed()
    expect([...new Set(requests)].sort()).toEqual([
      '/otel/v1/metrics?tenant=a1',
      '/otel/v1/traces?tenant=a1',
    ])
  })

  it('an OTLP endpoint of another backend still gets metrics from the same variable', async () => {
    const { url, requests } = await tracesOnlyReceiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', url)
    await llmCallFlushed()
    expect(requests).toContain('/v1/metrics')
  })

  it('httpExporter: a 404 is not explained with OTLP paths', async () => {
    const { url } = await tracesOnlyReceiver()
    const warnings: string[] = []
    const tracer = createTracer({
      exporters: [httpExporter({ url: `${url}/ingest` })],
      warnings: (m) => warnings.push(m),
      metrics: false,
    })
    tracer.startSpan('one').end()
    const result = await tracer.flush({ timeoutMs: 5000 })
    expect(result.reason).toBe(
      `${url}/ingest: 1 span not delivered: 404 Not Found: nothing takes traces at this URL (a wrong path, or a backend that takes no traces)`,
    )
    expect(warnings[0]).not.toContain('/v1/traces')
    await tracer.shutdown()
  })
})

describe('redaction env values are named when bad', () => {
  it('a bad redaction env value names the variable, not the option', () => {
    vi.stubEnv('TOKENTRAIL_REDACT', 'all')
    vi.stubEnv('TOKENTRAIL_REDACT_REPLACE', 'mask')
    expect(thrown(() => createTracer({ exporters: [memoryExporter()] }))).toBe(
      `TOKENTRAIL_REDACT_REPLACE must be 'label' or 'hash', got "mask"`,
    )
    vi.stubEnv('TOKENTRAIL_REDACT_REPLACE', 'hash')
    vi.stubEnv('TOKENTRAIL_REDACT_HASH_KEY', 'short')
    expect(thrown(() => createTracer({ exporters: [memoryExporter()] }))).toBe(
      'TOKENTRAIL_REDACT_HASH_KEY must be a string of at least 16 characters',
    )
  })
})

describe('a wrong URL is told with what is wrong', () => {
  it('https:// to a plain-http receiver says the TLS handshake failed', async () => {
    const { url } = await receiver()
    const warnings: string[] = []
    const tracer = createTracer({
      exporters: [otlpExporter({ url: `${url.replace('http:', 'https:')}/v1/traces` })],
      warnings: (m) => warnings.push(m),
      metrics: false,
    })
    tracer.startSpan('one').end()
    const result = await tracer.flush({ timeoutMs: 500 })
    expect(result.ok).toBe(false)
    expect(warnings[0]).toContain(
      'TLS handshake failed (https:// to a port that speaks plain http?) [EPROTO]',
    )
    await tracer.shutdown({ timeoutMs: 10 })
  })
})

// The declarations accept `undefined` for these options (an app under exactOptionalPropertyTypes
// passes `process.env.X` straight in): undefined must mean what leaving the option out means.
describe('an option given as undefined is the option left out', () => {
  it('createTracer, otlpExporter and startSpan: env and defaults apply, to a real receiver', async () => {
    const { url, received } = await receiver()
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', url)
    vi.stubEnv('OTEL_SERVICE_NAME', 'from-env')
    vi.stubEnv('OTEL_METRICS_EXPORTER', 'none')
    const keys: (keyof TracerOptions)[] = [
      'serviceName',
      'exporters',
      'sampleRate',
      'enabled',
      'debug',
      'warnings',
      'redact',
      'recordInputs',
      'recordOutputs',
      'resource',
      'maxQueueSize',
      'maxBatchSize',
      'flushIntervalMs',
      'exportTimeoutMs',
      'retry',
      'metrics',
      'sampling',
      'redaction',
      'limits',
    ]
    const fromEnv = createTracer(Object.fromEntries(keys.map((key) => [key, undefined])))
    const exporterKeys: (keyof OtlpExporterOptions)[] = [
      'url',
      'headers',
      'protocol',
      'compression',
      'profile',
      'toolDefinitions',
    ]
    const given = createTracer({
      exporters: [otlpExporter(Object.fromEntries(exporterKeys.map((key) => [key, undefined])))],
      metrics: false,
    })
    for (const tracer of [fromEnv, given]) {
      await tracer.withSpan('outer', async () => {
        tracer
          .startSpan('inner', {
            parent: undefined,
            kind: undefined,
            attributes: undefined,
            startTime: undefined,
          })
          .end()
      })
      expect(await tracer.flush({ timeoutMs: 5000 })).toEqual({ ok: true, pending: 0 })
      await tracer.shutdown()
    }
    expect(received.map((r) => r.url)).toEqual(['/v1/traces', '/v1/traces'])
    for (const { body } of received) {
      const request = JSON.parse(body)
      const { resource, scopeSpans } = request.resourceSpans[0]
      expect(resource.attributes).toContainEqual({
        key: 'service.name',
        value: { stringValue: 'from-env' },
      })
      const spans = scopeSpans[0].spans
      const outer = spans.find((s: { name: string }) => s.name === 'outer')
      const inner = spans.find((s: { name: string }) => s.name === 'inner')
      // Under the active span, kind internal (1), started now.
      expect(inner.parentSpanId).toBe(outer.spanId)
      expect(inner.kind).toBe(1)
      expect(BigInt(inner.startTimeUnixNano)).toBeGreaterThanOrEqual(
        BigInt(outer.startTimeUnixNano),
      )
    }
  })
})
