// Options set to an empty string (an unset variable read with `?? ''`, a blank line in .env) and
// headers Node's http would refuse: each is a TokentrailError at creation naming the option, not
// a silent fall back to the default URL, an export that fails every time as a "network error",
// or a request without the key. An empty env variable still means unset, as in OpenTelemetry.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createTracer,
  getTracer,
  httpExporter,
  otlpExporter,
  otlpMetricsExporter,
  setTracer,
} from '../src/index.js'
import { thrown } from './thrown.js'

let server: Server
let url: string
let requests = 0

beforeAll(async () => {
  server = createServer((request, response) => {
    requests++
    request.resume()
    request.on('end', () => response.writeHead(200).end('{}'))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
afterEach(() => {
  vi.unstubAllEnvs()
})

describe('an empty string is an error naming the option, not "use the default"', () => {
  it("otlpExporter({ url: '' }) throws instead of sending to the env or default URL", () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1')
    expect(thrown(() => otlpExporter({ url: '' }))).toBe(
      'otlpExporter({ url }) must be an absolute http(s) URL such as http://localhost:4318, got ""',
    )
    expect(thrown(() => otlpMetricsExporter({ url: '' }))).toContain('otlpMetricsExporter({ url })')
  })

  it('a header whose value is empty is named, for every exporter', () => {
    const headers = { 'x-honeycomb-team': '' }
    expect(thrown(() => otlpExporter({ url, headers }))).toBe(
      'otlpExporter({ headers }): `x-honeycomb-team` is empty (is its variable set?)',
    )
    expect(thrown(() => otlpMetricsExporter({ url, headers }))).toContain(
      'otlpMetricsExporter({ headers }): `x-honeycomb-team` is empty',
    )
    expect(thrown(() => httpExporter({ url, headers }))).toContain(
      'httpExporter({ headers }): `x-honeycomb-team` is empty',
    )
  })

  it("httpExporter({ apiKey: '' }) throws instead of sending no Authorization header", () => {
    expect(thrown(() => httpExporter({ url, apiKey: '' }))).toBe(
      'httpExporter({ apiKey }) is empty (is its variable set?)',
    )
  })

  it('a serviceName of blanks throws as an empty one does', () => {
    expect(thrown(() => createTracer({ serviceName: '  ', exporters: [] }))).toBe(
      'serviceName must be a non-empty string',
    )
  })

  it("a sampleRate of '' or blanks throws, where it kept no trace at all (Number('') is 0)", () => {
    for (const rate of ['', ' '])
      expect(thrown(() => createTracer({ sampleRate: rate as never, exporters: [] }))).toBe(
        `sampleRate must be a number from 0 to 1 (the share of traces kept), got ${JSON.stringify(rate)}`,
      )
  })

  it('TOKENTRAIL_OTLP_PROFILE is read in any case, as the OpenTelemetry enum variables are', () => {
    vi.stubEnv('TOKENTRAIL_OTLP_PROFILE', 'Langfuse')
    const exporter = otlpExporter({ url: 'http://collector:4318/v1/traces' }) as {
      profile?: string
    }
    expect(exporter.profile).toBe('langfuse')
  })

  it('an empty env variable still means unset', () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', '')
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', '')
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', '')
    vi.stubEnv('OTEL_SERVICE_NAME', '')
    const exporter = otlpExporter() as { url?: string; headerNames?: string[] }
    expect(exporter.url).toBe('http://localhost:4318/v1/traces')
    expect(exporter.headerNames).toEqual(['content-type'])
    expect(createTracer({ exporters: [] }).serviceName).toBe('unknown_service')
  })
})

describe('a header Node would refuse at send time is an error at creation', () => {
  it('before, every export failed as a network error and was retried; now the option is named', async () => {
    const requestsBefore = requests
    for (const [headers, message] of [
      [{ '': 'x' }, 'otlpExporter({ headers }): "" is not a valid header name'],
      [{ 'x api key': 'x' }, 'otlpExporter({ headers }): "x api key" is not a valid header name'],
      [
        { 'x-api-key': 'abc\n' },
        'otlpExporter({ headers }): `x-api-key` holds a line break, a control character or one past U+00FF',
      ],
      [{ 'x-api-key': 'k€y' }, 'otlpExporter({ headers }): `x-api-key` holds a line break'],
    ] as const)
      expect(thrown(() => otlpExporter({ url, headers }))).toContain(message)
    expect(thrown(() => httpExporter({ url, apiKey: 'key\r\n' }))).toContain(
      'httpExporter: `authorization` holds a line break',
    )
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x api key=1')
    // Named by its place: in env, such a name is often a key written without its name.
    expect(thrown(() => otlpExporter({ url }))).toBe(
      'OTEL_EXPORTER_OTLP_HEADERS: entry 1 of 1 has no valid header name before its "=" (a value without its name?)',
    )
    // The value never appears in the message: headers hold keys.
    expect(thrown(() => otlpExporter({ url, headers: { k: 'secret\u0000' } }))).not.toContain(
      'secret',
    )
    expect(requests).toBe(requestsBefore)
  })

  it('valid headers, Latin-1 included, still go out', async () => {
    const tracer = createTracer({
      exporters: [otlpExporter({ url, headers: { 'x-team': 'équipe', 'x-n': 3 as never } })],
    })
    tracer.startSpan('a').end()
    expect(await tracer.flush({ timeoutMs: 2000 })).toEqual({ ok: true, pending: 0 })
    await tracer.shutdown()
  })
})

describe('setTracer with what is not a tracer', () => {
  it('throws naming what it got, instead of leaving every adapter without a tracer', () => {
    expect(thrown(() => setTracer(createTracer as never))).toBe(
      'setTracer() takes a tracer from createTracer({ … }) or undefined, got function',
    )
    expect(thrown(() => setTracer({} as never))).toContain('got an object without startSpan()')
    expect(thrown(() => setTracer(null as never))).toContain('got object')
    const tracer = createTracer({ exporters: [] })
    setTracer(tracer)
    expect(getTracer()).toBe(tracer)
    setTracer(undefined)
  })
})
