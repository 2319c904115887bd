import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createServer as createHttpsServer } from 'node:https'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { asyncContextNote } from '../src/commands/doctor.js'
import { type CliIO, type Collector, runCli, startCollector } from '../src/index.js'
import { closedPort, onCleanup, tempDir } from './helpers.js'

async function collector(token?: string): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), token })
  onCleanup(() => c.close())
  return c
}

async function doctor(env: Record<string, string>, args: string[] = [], io: Partial<CliIO> = {}) {
  let stdout = ''
  let stderr = ''
  const code = await runCli(['doctor', '--timeout', '3000', ...args], {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    env: { NODE_OPTIONS: '--experimental-async-context-frame', ...env },
    cwd: tempDir(),
    ...io,
  })
  return { code, stdout, stderr }
}

describe('tokentrail doctor', () => {
  it('healthy tokentrail dev: every check passes, the test trace is read back, exit 0', async () => {
    const c = await collector()
    const { code, stdout } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_SERVICE_NAME: 'chat-api',
    })
    expect(stdout).toMatch(
      new RegExp(
        [
          `otlp → ${c.url}/v1/traces`,
          '  ✓ DNS          127\\.0\\.0\\.1',
          `  ✓ connect      127\\.0\\.0\\.1:${new URL(c.url).port} in \\d+ ms`,
          '  ✓ test export  1 span accepted in \\d+ ms \\(trace ([0-9a-f]{32})\\)',
          '  ✓ arrived      the tokentrail dev collector \\(\\S+\\) stored test trace \\1',
        ].join('\n'),
      ),
    )
    expect(stdout).toContain('  service        chat-api\n')
    // Metrics go to the same collector by default, and are checked the same way.
    expect(stdout).toMatch(
      new RegExp(
        [
          `otlp-metrics → ${c.url}/v1/metrics`,
          '  ✓ DNS          127\\.0\\.0\\.1',
          `  ✓ connect      127\\.0\\.0\\.1:${new URL(c.url).port} in \\d+ ms`,
          '  ✓ test export  1 metric point accepted in \\d+ ms \\(tokentrail\\.doctor\\.check\\)',
          '  ✓ arrived      the tokentrail dev collector stored the test metric',
        ].join('\n'),
      ),
    )
    expect(stdout.trim().split('\n').at(-1)).toBe('✓ spans reach their destination')
    expect(code).toBe(0)
    const traceId = /stored test trace ([0-9a-f]{32})/.exec(stdout)![1]!
    const stored = c.store.getTrace(traceId)!
    expect(stored.spans[0]!.name).toBe('tokentrail doctor')
    expect(stored.spans[0]!.resource.serviceName).toBe('chat-api')
  })

  it('metrics endpoint on a wrong path or a closed port: spans pass, metrics fail, exit 1', async () => {
    const c = await collector()
    const wrongPath = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${c.url}/v1/metric`,
    })
    expect(wrongPath.stdout).toContain(`otlp-metrics → ${c.url}/v1/metric\n`)
    expect(wrongPath.stdout).toMatch(/ {2}✗ test export {2}404 Not Found.*\/v1\/metric/)
    expect(wrongPath.stdout.trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `^✗ spans reach their destination, but metrics would not arrive at ${c.url}/v1/metric: 404 Not Found`,
      ),
    )
    expect(wrongPath.code).toBe(1)

    const port = await closedPort()
    const closed = await doctor(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
        OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://127.0.0.1:${port}/v1/metrics`,
      },
      ['--json'],
    )
    const report = JSON.parse(closed.stdout)
    expect(report.ok).toBe(false)
    expect(report.exporters[0].ok).toBe(true)
    expect(report.metrics).toEqual([
      expect.objectContaining({
        name: 'otlp-metrics',
        url: `http://127.0.0.1:${port}/v1/metrics`,
        ok: false,
        checks: expect.arrayContaining([
          expect.objectContaining({
            name: 'connect',
            ok: false,
            detail: expect.stringContaining('connection refused'),
          }),
        ]),
      }),
    ])
    expect(closed.code).toBe(1)
  })

  it('closed port: connect fails, exit 1, and it says what to start', async () => {
    const port = await closedPort()
    const { code, stdout } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    })
    expect(stdout).toContain(
      `  ✗ connect      127.0.0.1:${port}: connection refused, nothing listens there (start the collector: npx tokentrail dev)`,
    )
    expect(stdout.trim().split('\n').at(-1)).toBe(
      `✗ spans would not arrive at http://127.0.0.1:${port}/v1/traces: 127.0.0.1:${port}: connection refused, nothing listens there (start the collector: npx tokentrail dev)`,
    )
    expect(code).toBe(1)
  })

  it('wrong path: the 404 of the test export names the path', async () => {
    const c = await collector()
    const { code, stdout } = await doctor({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${c.url}/traces`,
    })
    expect(stdout).toContain(
      '  ✗ test export  404 Not Found ("nothing at /traces"): wrong path? "/traces" is not /v1/traces; OTLP/HTTP traces go to <endpoint>/v1/traces',
    )
    expect(code).toBe(1)
  })

  it('lists the sampling, batching, timeout and redaction variables it reads; a hash key only as set', async () => {
    const c = await collector()
    const { stdout } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_TRACES_SAMPLER: 'traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '2000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '5000',
      TOKENTRAIL_REDACT_HASH_KEY: 'hash-key-secret-789',
    })
    // Before, only OTEL_TRACES_SAMPLER_ARG was listed: the sampler it qualifies was not.
    expect(stdout).toContain('OTEL_TRACES_SAMPLER=traceidratio')
    expect(stdout).toContain('OTEL_TRACES_SAMPLER_ARG=0.25')
    expect(stdout).toContain('OTEL_BSP_SCHEDULE_DELAY=2000')
    expect(stdout).toContain('OTEL_EXPORTER_OTLP_TIMEOUT=5000')
    expect(stdout).toContain('TOKENTRAIL_REDACT_HASH_KEY=(set; value not shown)')
    expect(stdout).not.toContain('hash-key-secret-789')
  })

  it('an endpoint with a password or a query token: shown masked, in text and --json', async () => {
    // Doctor's output goes to CI logs and bug reports. It printed the endpoint as configured, in
    // the config, environment, exporter and verdict lines, while the SDK's warnings masked it.
    const c = await collector()
    const { port } = new URL(c.url)
    const env = {
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://trace-user:pa55word-doctor@127.0.0.1:${port}/v1/traces?api_key=QTOKEN-traces`,
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `http://trace-user:pa55word-doctor@127.0.0.1:${port}/v1/metrics?api_key=QTOKEN-metrics`,
    }
    const text = await doctor(env)
    const json = await doctor(env, ['--json'])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(
      `otlp → http://trace-user:***@127.0.0.1:${port}/v1/traces?api_key=***`,
    )
    expect(text.stdout).toContain(
      `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://trace-user:***@127.0.0.1:${port}/v1/traces?api_key=***`,
    )
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr])
      expect(out).not.toMatch(/pa55word-doctor|QTOKEN/)
  })

  it('wrong token: 401, the header name shown and its value never', async () => {
    const c = await collector('right-token-123')
    const { code, stdout } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20wrong-token-456',
    })
    expect(stdout).toContain(
      '  ✗ test export  401 Unauthorized ("missing or wrong token: send Authorization: Bearer <token>"): check the token (headers option or OTEL_EXPORTER_OTLP_HEADERS)',
    )
    expect(stdout).toContain('headers: Authorization (values not shown)')
    expect(stdout).toContain('OTEL_EXPORTER_OTLP_HEADERS=(set: Authorization; values not shown)')
    expect(stdout).not.toContain('wrong-token-456')
    expect(code).toBe(1)
  })

  it('a header line pasted as it is sent (no `=`): the key is never printed', async () => {
    const c = await collector('right-token-123')
    const { stdout, stderr } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=a,Authorization: Bearer sk-pasted-key-789',
    })
    expect(stdout).toContain(
      'OTEL_EXPORTER_OTLP_HEADERS=(set: x-team, (malformed entry); values not shown)',
    )
    expect(stdout + stderr).not.toContain('sk-pasted-key-789')
  })

  it('right token: the trace is read back with the token from the headers', async () => {
    const c = await collector('right-token-123')
    const { code, stdout } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: c.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'Authorization=Bearer%20right-token-123',
    })
    expect(stdout).toMatch(/✓ arrived {6}the tokentrail dev collector/)
    expect(stdout).not.toContain('right-token-123')
    expect(code).toBe(0)
  })

  it('no endpoint: says no span would leave the app', async () => {
    const { code, stdout } = await doctor({})
    expect(stdout.trim().split('\n').at(-1)).toBe(
      '✗ no span would leave the app: no exporter: pass exporters, or set OTEL_EXPORTER_OTLP_ENDPOINT',
    )
    expect(code).toBe(1)
  })

  it('a bad env value: says the SDK would turn tracing off and why', async () => {
    // A key in it is masked, as everywhere a URL is shown.
    const { code, stdout } = await doctor({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'user:SECRET-KEY@collector:4318',
    })
    expect(stdout.trim().split('\n').at(-1)).toBe(
      '✗ the SDK would turn tracing off: OTEL_EXPORTER_OTLP_ENDPOINT must be an absolute http(s) URL such as http://localhost:4318, got "user:***@collector:4318": it has no http:// or https:// in front',
    )
    expect(stdout).not.toContain('SECRET-KEY')
    expect(code).toBe(1)
  })

  it("--config of a module that gives no tracer says so, not the env tracer as the module's", async () => {
    const dir = tempDir()
    const core = new URL('../../core/dist/index.js', import.meta.url).href
    writeFileSync(join(dir, 'none.mjs'), 'export const nothing = 1\n')
    writeFileSync(
      join(dir, 'set.mjs'),
      `import { createTracer, setTracer } from ${JSON.stringify(core)}
setTracer(createTracer({ serviceName: 'set-by-config', exporters: [] }))
`,
    )
    const slot = Symbol.for('tokentrail.tracer.default')
    const g = globalThis as Record<symbol, unknown>
    const saved = g[slot]
    try {
      g[slot] = undefined
      const env = {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9',
        OTEL_SERVICE_NAME: 'from-env',
      }
      const none = await doctor(env, ['--config', 'none.mjs', '--json'], { cwd: dir })
      expect(JSON.parse(none.stdout).verdict).toBe(
        `--config ${join(dir, 'none.mjs')} gives no tracer: export it (as its default export or \`tracer\`) or pass it to setTracer()`,
      )
      expect(none.code).toBe(1)
      const missing = await doctor(env, ['--config', 'nope.mjs', '--json'], { cwd: dir })
      expect(JSON.parse(missing.stdout).verdict).toMatch(/^cannot load --config .*nope\.mjs: /)
      const set = await doctor(env, ['--config', 'set.mjs', '--json'], { cwd: dir })
      expect(JSON.parse(set.stdout).config.serviceName).toBe('set-by-config')
    } finally {
      g[slot] = saved
    }
  })

  it('--json for CI, and --config loads the module that makes the tracer', async () => {
    const c = await collector()
    const dir = tempDir()
    const core = new URL('../../core/dist/index.js', import.meta.url).href
    writeFileSync(
      join(dir, 'tracing.mjs'),
      `import { createTracer, otlpExporter } from ${JSON.stringify(core)}
export const tracer = createTracer({ serviceName: 'from-config', sampleRate: 0.5, recordOutputs: false,
  exporters: [otlpExporter({ url: ${JSON.stringify(`${c.url}/v1/traces`)}, headers: { 'x-team': 'secret-team' } })] })
`,
    )
    const { code, stdout } = await doctor({}, ['--config', 'tracing.mjs', '--json'], { cwd: dir })
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({
      ok: true,
      source: join(dir, 'tracing.mjs'),
      config: {
        enabled: true,
        serviceName: 'from-config',
        sampleRate: 0.5,
        recordOutputs: false,
        exporters: [{ name: 'otlp', url: `${c.url}/v1/traces`, headers: ['x-team'] }],
      },
      exporters: [
        {
          ok: true,
          checks: expect.arrayContaining([expect.objectContaining({ name: 'arrived', ok: true })]),
        },
      ],
    })
    expect(stdout).not.toContain('secret-team')
    expect(code).toBe(0)
  })

  it.skipIf(!existsSync('/usr/bin/openssl'))(
    'TLS: a self-signed certificate fails the handshake check, before any export',
    async () => {
      const dir = tempDir()
      execFileSync(
        '/usr/bin/openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      )
      let requests = 0
      const server = createHttpsServer(
        { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
        (_q, res) => {
          requests++
          res.end('{}')
        },
      )
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      onCleanup(() => new Promise((resolve) => server.close(resolve)))
      const port = (server.address() as { port: number }).port
      const { code, stdout } = await doctor({
        OTEL_EXPORTER_OTLP_ENDPOINT: `https://127.0.0.1:${port}`,
      })
      expect(stdout).toContain(`  ✓ connect      127.0.0.1:${port} in `)
      expect(stdout).toContain('  ✗ TLS          handshake failed (DEPTH_ZERO_SELF_SIGNED_CERT)')
      expect(requests).toBe(0)
      expect(code).toBe(1)
    },
  )

  it('says what AsyncContextFrame saves on Node 22 when it is off, nothing otherwise', () => {
    expect(asyncContextNote('22.23.3', [], undefined)).toMatch(
      /^Node 22\.23\.3 runs AsyncLocalStorage on promise hooks unless AsyncContextFrame is on; measured, that adds about 2\.6 ms of CPU time to each traced Hono chat request \(see "Node 22: turn on AsyncContextFrame" in Tokentrail's README\)/,
    )
    expect(asyncContextNote('22.23.3', ['--experimental-async-context-frame'], '')).toBeUndefined()
    expect(asyncContextNote('22.23.3', [], '--experimental-async-context-frame')).toBeUndefined()
    expect(asyncContextNote('24.1.0', [], undefined)).toBeUndefined()
  })
})
