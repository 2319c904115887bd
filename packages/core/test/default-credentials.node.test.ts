// Credentials in free text leave no process by default. The scrub every span gets knew bearer
// tokens and OpenAI/Anthropic/Google/xAI/Groq keys only: AWS key ids, GitHub and Slack tokens,
// Stripe live keys, JWTs, PEM private keys, passwords in connection strings and URLs, query
// tokens and `NAME=value` env lines went out as they were — in attributes, in an error's message
// and stack, and in event attributes. And a key that `maxStringLength` cut in half kept its first
// half. Spans go over OTLP/HTTP JSON to a real node:http server and through the console exporter.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { consoleExporter, createTracer, otlpExporter } from '../src/index.js'

let server: Server
let url: string
const bodies: string[] = []

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      bodies.push(body)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

// [the text as it appears in practice, the part of it that must not leave]
const credentials: [string, string][] = [
  ['AWS key id AKIAIOSFODNN7EXAMPLE', 'IOSFODNN7EXAMPLE'],
  ['aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'wJalrXUtnFEMI'],
  ['GITHUB_TOKEN is ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'abcdefghijklmnopqrst'],
  ['slack xoxb-123456789012-abcdefghijkl', '123456789012-abcdef'],
  ['stripe sk_live_51HcdefghijklmnopqrstuvWX', '51Hcdefghijklmno'],
  [
    'cookie eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
    'SflKxwRJSMeKKF2QT4fw',
  ],
  [
    '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\nVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n-----END RSA PRIVATE KEY-----',
    'u1SU1LfVLPHCozMxH2Mo',
  ],
  ['connect ECONNREFUSED postgres://app:hunter2-db-pass@db.internal:5432/prod', 'hunter2-db-pass'],
  // Cookies and credentials inside JSON text (a tool's arguments) and header lines.
  ['{"headers":{"cookie":"sid=s3ss10nV4lue99"}}', 's3ss10nV4lue99'],
  ['Cookie: sid=C00kieVal77x', 'C00kieVal77x'],
  ['{"credentials":"hunter2-Cr3dXy","service_credential":"Zq9-Cr3dAb"}', 'Cr3d'],
  ['mongodb+srv://reader:S3cretMongoPw@cluster0.example.net/db', 'S3cretMongoPw'],
  [
    'GET https://api.example.com/v1/data?api_key=q1w2e3r4t5y6u7i8&page=2 failed',
    'q1w2e3r4t5y6u7i8',
  ],
  [
    'blob https://acct.blob.core.windows.net/c/f?sv=2022&sig=AbCdEf0123456789%2Bxyz',
    'AbCdEf0123456789',
  ],
  // A signature after a parameter the credential-name rule has already replaced: the query went
  // on past that `[REDACTED]` (its `]` was taken for a Markdown link's end).
  ['https://x.com/a?api_key=123&sig=S1gAbCdEf0123&page=3', 'S1gAbCdEf0123'],
  ['https://s3.example.com/o?password=1&X-Amz-Signature=deadbeefcafe0123', 'deadbeefcafe0123'],
  ['https://x.com/cb?client_secret=1&signature=Zy98wvUtsr7654', 'Zy98wvUtsr7654'],
  ['env: OPENAI_API_KEY=zz-not-prefixed-secret-123 NODE_ENV=production', 'zz-not-prefixed-secret'],
  ['{"user":"bob","password":"pw-7c1e9a2b44","apiKey":"plain-key-value-1"}', 'pw-7c1e9a2b44'],
  // A lower-case name after a `-` or a space: in a text over 256 characters (here the prompt) it
  // was looked for only with a capital `Key`/`Passw` or a `_` before it.
  [
    'curl -H "x-api-key: ak-9f8e7d6c5b4a39281706" https://api.example.com',
    'ak-9f8e7d6c5b4a39281706',
  ],
  ['login with password=hunter2-login then retry', 'hunter2-login'],
  ['webhook secret: whsec-3a9f0c7e1d2b4a68 in the config', 'whsec-3a9f0c7e1d2b4a68'],
  ['header authorization: dXNlcjpwYXNzd29yZA9f8e set', 'dXNlcjpwYXNzd29yZA9f8e'],
  ['X-Auth-Token = tok9f8e7d6c5b4a3928 was refused', 'tok9f8e7d6c5b4a3928'],
]

// What must stay: no credential in it.
const benign = [
  'primary_key: user_id, max_tokens: 512, input_tokens=12',
  'see https://docs.example.com/guide?page=2&sort=asc#setup and user@example.com',
  'the task-list and the check-in desk; sk-short is not a key',
]

async function exported(
  write: (tracer: ReturnType<typeof createTracer>) => void,
  options = {},
): Promise<{ body: string; printed: string }> {
  const lines: string[] = []
  const tracer = createTracer({
    serviceName: 'default-credentials',
    exporters: [otlpExporter({ url }), consoleExporter({ write: (line) => lines.push(line) })],
    metrics: false,
    ...options,
  })
  const before = bodies.length
  write(tracer)
  await tracer.shutdown()
  return { body: bodies.slice(before).join('\n'), printed: lines.join('\n') }
}

describe('the default credential scrub', () => {
  it.each(credentials)('replaces %j in attributes, errors and events', async (text, secret) => {
    const { body, printed } = await exported((tracer) => {
      const long = `${'Some context for the model. '.repeat(20)}${text}${' And more.'.repeat(20)}`
      const span = tracer.startSpan('tool call', {
        attributes: { 'tool.output': text, 'gen_ai.input.messages': JSON.stringify([long]) },
      })
      span.addEvent('retry', { detail: text, args: ['--verbose', text] })
      // A list of texts (a command's arguments, stop sequences, tags): each item as a text is.
      span.setAttribute('process.command_args', ['node', text, 'app.js'])
      span.recordError(new Error(`request failed: ${text}`))
      span.end()
    })
    expect(body).toContain('[REDACTED]')
    for (const [where, out] of [
      ['OTLP body', body],
      ['console', printed],
    ])
      expect(out.includes(secret), `${where} holds ${secret}`).toBe(false)
  })

  it('leaves text without credentials as it was', async () => {
    const { body } = await exported((tracer) => {
      benign.forEach((text, i) => {
        tracer
          .startSpan(`s${i}`, { attributes: { text, long: `${text} ${'x '.repeat(200)}` } })
          .end()
      })
    })
    for (const text of benign) expect(body).toContain(JSON.stringify(text).slice(1, -1))
  })

  it('replaces a key that maxStringLength cut in half', async () => {
    const key = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'
    for (const keep of [5, 10, 14, 20]) {
      // The cut falls `keep` characters into the key.
      const text = `${'a'.repeat(200)} key ${key} and more`
      const cutAt = text.indexOf(key) + keep
      // The limit holds the marker too: the text is cut where the marker leaves room.
      const marker = `…[truncated ${text.length - cutAt} chars]`
      const { body } = await exported(
        (tracer) => tracer.startSpan('s', { attributes: { text } }).end(),
        { limits: { maxStringLength: cutAt + marker.length } },
      )
      expect(body).toMatch(/…\[truncated \d+ chars\]/)
      // `[REDACTED]` is longer than a 5-character half key: the value is cut again to the limit.
      const value: string = JSON.parse(
        body,
      ).resourceSpans[0].scopeSpans[0].spans[0].attributes.find(
        (a: { key: string }) => a.key === 'text',
      ).value.stringValue
      expect(value.length, `cut after ${keep}`).toBeLessThanOrEqual(cutAt + marker.length)
      // A half key shorter than `[REDACTED]` is replaced, then the value is cut to the limit again,
      // which may take the mark with it: the half key is gone either way.
      if (keep >= 10) expect(body).toContain('[REDACTED]')
      expect(body.includes(key.slice(0, keep)), `cut after ${keep}`).toBe(false)
      expect(body.includes(key.slice(3, keep)), `cut after ${keep}`).toBe(false)
    }
  })

  it('replaces credentials in resource attributes, given in code or in OTEL_RESOURCE_ATTRIBUTES', async () => {
    vi.stubEnv(
      'OTEL_RESOURCE_ATTRIBUTES',
      'deployment.environment=prod,db.password=EnvResPw123,ci.callback=https%3A%2F%2Fu%3AEnvUrlPw456%40h.example%2Fx',
    )
    try {
      const { body, printed } = await exported((tracer) => tracer.startSpan('s').end(), {
        resource: {
          'api.key': 'OptResKey123',
          'vcs.url': 'https://ci:OptUrlPw456@git.example/x',
          'process.command_args': ['node', 'app.js', '--token=sk-proj-AbCdEfGhIjKlMnOpQrStUv'],
        },
      })
      for (const secret of [
        'EnvResPw123',
        'EnvUrlPw456',
        'OptResKey123',
        'OptUrlPw456',
        'AbCdEfGhIjKlMnOp',
      ])
        expect(body.includes(secret), `${secret} in the resource`).toBe(false)
      expect(body).toContain('https://ci:[REDACTED]@git.example/x')
      expect(body).toContain('https://u:[REDACTED]@h.example/x')
      expect(body).toContain('"deployment.environment"')
      expect(printed.includes('OptUrlPw456')).toBe(false)
    } finally {
      vi.unstubAllEnvs()
    }
  })

  // The first tracer of a process scrubbed its resource once the span-end code had loaded; a span
  // that ended before (in the tick the tracer was made) kept the resource as it was, and sent it.
  it('scrubs the resource of a span that ended before the span-end code loaded, in a fresh process', async () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))
    const script = `import { createTracer, otlpExporter } from ${JSON.stringify(dist)}
      const tracer = createTracer({
        exporters: [otlpExporter({ url: ${JSON.stringify(url)} })],
        resource: { 'db.url': 'postgres://app:FreshPw123@db/x', note: 'OPENAI_API_KEY=sk-FreshKey123456789012345' },
      })
      tracer.startSpan('first tick').end()
      console.log(JSON.stringify(await tracer.flush()))`
    const before = bodies.length
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 20_000 },
    )
    expect(JSON.parse(stdout)).toMatchObject({ ok: true })
    const body = bodies.slice(before).join('\n')
    expect(body).toContain('first tick')
    expect(body).not.toContain('FreshPw123')
    expect(body).not.toContain('FreshKey123')
    expect(body).toContain('postgres://app:[REDACTED]@db/x')
  })

  // Event names are text the app makes as span names are (`retry ${url}`): they went out as written.
  it('replaces credentials in event names as in span names', async () => {
    const { body } = await exported((tracer) => {
      const span = tracer.startSpan('call')
      span.addEvent('retry with Bearer EventToken1234567890abcdefgh')
      span.addEvent('invoke_agent Basic Researcher')
      span.end()
    })
    expect(body.includes('EventToken')).toBe(false)
    expect(body).toContain('"name":"retry with [REDACTED]"')
    expect(body).toContain('"name":"invoke_agent Basic Researcher"')
  })

  // The hook ran after the scrub, and its values went out as it wrote them.
  it('scrubs what the redact hook wrote, as setAttribute values are', async () => {
    const { body, printed } = await exported(
      (tracer) => tracer.startSpan('call', { attributes: { kept: 'plain' } }).end(),
      {
        redact: (span: { attributes: Record<string, unknown> }) => ({
          ...span,
          attributes: {
            ...span.attributes,
            password: 'HookPw123',
            'http.request.header.authorization': 'Bearer HookToken1234567890abcd',
            note: 'connect with postgres://app:HookUrlPw9@db/x',
          },
        }),
      },
    )
    for (const secret of ['HookPw123', 'HookToken1234567890', 'HookUrlPw9']) {
      expect(body.includes(secret), `${secret} on the wire`).toBe(false)
      expect(printed.includes(secret), `${secret} printed`).toBe(false)
    }
    expect(body).toContain('postgres://app:[REDACTED]@db/x')
    expect(body).toContain('"plain"')
    // Changed in place, returned or not.
    for (const returns of [true, false]) {
      const inPlace = await exported((tracer) => tracer.startSpan('call').end(), {
        redact: (span: { attributes: Record<string, unknown> }) => {
          span.attributes.note = 'Bearer InPlaceToken1234567890'
          span.attributes.obj = { a: 1 }
          return returns ? span : undefined
        },
      })
      expect(inPlace.body.includes('InPlaceToken'), `returns ${returns}`).toBe(false)
      expect(inPlace.body).toContain('{\\"a\\":1}')
    }
  })

  it('replaces a URL password that maxStringLength cut before its @', async () => {
    const password = 'S3cretDbPassw0rd'
    for (const keep of [2, 6, 12]) {
      // Plain text, and a string inside an object attribute (cut so the JSON fits).
      const text = `${'a'.repeat(120)} postgres://app:${password}@db.internal:5432/app and more`
      const cutAt = text.indexOf(password) + keep
      const marker = `…[truncated ${text.length - cutAt} chars]`
      const { body } = await exported(
        (tracer) =>
          tracer
            .startSpan('s', {
              attributes: { text, config: { dsn: text.slice(40) } },
            })
            .end(),
        { limits: { maxStringLength: cutAt + marker.length } },
      )
      expect(body).toMatch(/…\[truncated \d+ chars\]/)
      expect(body.includes(password.slice(0, keep)), `cut after ${keep}`).toBe(false)
      expect(body).toContain('postgres://app:[')
    }
    // A URL cut inside its path keeps what it shows: only a cut before the host ends is a password.
    const path = `${'a'.repeat(120)} https://example.com/docs/getting-started/install and more`
    const { body } = await exported(
      (tracer) => tracer.startSpan('s', { attributes: { path } }).end(),
      { limits: { maxStringLength: 170 } },
    )
    expect(body).toContain('https://example.com/docs/ge')
    expect(body).not.toContain('REDACTED')
  })
})
