// A span name is text the app makes, sometimes from a URL or a command line: a credential in it
// left the process as written, where the same text in an attribute was replaced. Real OTLP/HTTP
// receiver (node:http).
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type OtlpReceiver, startOtlpReceiver } from '../../../tools/otlp-receiver/src/index.js'
import { createTracer, otlpExporter } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

let receiver: OtlpReceiver
beforeAll(async () => {
  receiver = await startOtlpReceiver()
})
afterAll(() => receiver?.close())

// Words after Bearer/Basic or an sk-/pk- prefix that are written, not made: a name's own. Versions
// and dates after the prefix are written too: each word has one run of digits.
const WRITTEN_AFTER_PREFIX = [
  'invoke_agent Basic Researcher',
  'execute_tool Basic calculator',
  'validate Bearer authentication',
  'execute_tool sk-learn-classifier-model',
  'execute_tool pk-lookup-by-identifier',
  'execute_tool sk-learn-classifier-v2',
]

it('replaces credentials in span names as in attribute values; plain names are kept', async () => {
  const tracer = createTracer({
    serviceName: 'span-names',
    exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` })],
  })
  const url = 'https://api.example.com/v1/items?api_key=s3cr3tValue123&page=2'
  tracer.withSpan(`fetch ${url}`, (span) => span.setAttribute('url.full', url))
  tracer.withSpan('psql postgres://app:hunter2hunter2@db.internal:5432/app', () => {})
  tracer.withSpan('chat gpt-4o-mini', () => {})
  try {
    tracer.withSpan('call with Bearer abcdefghijklmnopqrstuvwxyz0123', () => {
      throw new Error('boom')
    })
  } catch {}
  expect((await tracer.flush()).ok).toBe(true)
  const names = receiver.spans.filter((s) => s.service === 'span-names').map((s) => s.name)
  expect(names).toEqual([
    'fetch https://api.example.com/v1/items?api_key=[REDACTED]&page=2',
    'psql postgres://app:[REDACTED]@db.internal:5432/app',
    'chat gpt-4o-mini',
    'call with [REDACTED]',
  ])
  const [fetched] = receiver.spans.filter((s) => s.service === 'span-names')
  expect(fetched!.attributes['url.full']).toBe(
    'https://api.example.com/v1/items?api_key=[REDACTED]&page=2',
  )
  expect(JSON.stringify(receiver.spans)).not.toMatch(
    /s3cr3tValue123|hunter2hunter2|abcdefghijklmnop/,
  )
  await tracer.shutdown()
})

it('keeps ordinary names: words after Bearer/Basic or an sk-/pk- prefix are not a credential', async () => {
  const tracer = createTracer({
    serviceName: 'plain-names',
    exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` })],
  })
  const plain = [
    'POST /api/token',
    'POST /api/tokens/refresh',
    'execute_tool get_api_key',
    'execute_tool password_reset',
    'generateText claude-sonnet-4-5-20250929',
    'generateText gpt-4o-2024-08-06',
    'GET /api/[secret]/rotate',
    'GET /api/users/:userId/keys/:keyId',
    'GET /api/chats/3f1c2a9e-8b7d-4c6e-9f0a-1b2c3d4e5f60',
    'GET /v1/objects/a94a8fe5ccb19ba61c4c0873d391e987982fbbd3',
    ...WRITTEN_AFTER_PREFIX,
    'execute_tool pk-lookup-2024-by-identifier',
  ]
  for (const name of plain) tracer.withSpan(name, () => {})
  // Made, not written: still replaced.
  tracer.withSpan('call Basic dXNlcjpwYXNzd29yZA==', () => {})
  tracer.withSpan('call Bearer eyAbCdEfGhIjKlMnOp', () => {})
  tracer.withSpan('call sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz', () => {})
  // A lower-case hex key (DeepSeek's sk- and 32): its digits come in many runs.
  tracer.withSpan('call sk-3f2a9c7e1b4d4e8fa0c9d2b7e6f1a3c5', () => {})
  tracer.withSpan('call sk-ant-api03-abcdefghijklmnopqrstu', () => {})
  expect((await tracer.flush()).ok).toBe(true)
  const names = receiver.spans.filter((s) => s.service === 'plain-names').map((s) => s.name)
  expect(names).toEqual([...plain, ...Array(5).fill('call [REDACTED]')])
  await tracer.shutdown()
})

// The redaction rules' apiKey detector read names as free text: with `redaction` on, the names
// the scrub keeps became `invoke_agent [API_KEY]`.
it('keeps those names under the redaction rules too, span and event names; a made key is still replaced', async () => {
  const memory = memoryExporter()
  const tracer = createTracer({
    serviceName: 'plain-names-redaction',
    exporters: [otlpExporter({ url: `${receiver.url}/v1/traces` }), memory],
    redaction: {},
  })
  for (const name of WRITTEN_AFTER_PREFIX)
    tracer.withSpan(name, (span) => {
      span.setAttribute('note', name)
      span.addEvent(name)
    })
  tracer.withSpan('fetch with ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', () => {})
  expect((await tracer.flush()).ok).toBe(true)
  const spans = receiver.spans.filter((s) => s.service === 'plain-names-redaction')
  // (The scrub, which runs first, replaces the key before the rules look.)
  expect(spans.map((s) => s.name)).toEqual([...WRITTEN_AFTER_PREFIX, 'fetch with [REDACTED]'])
  // Event names as span names (they were read as free text: `invoke_agent [API_KEY]`).
  expect(memory.spans.flatMap((s) => s.events.map((e) => e.name))).toEqual(WRITTEN_AFTER_PREFIX)
  // In an attribute the same text is free text, replaced by the scrub as before.
  expect(spans[0]!.attributes.note).toBe('invoke_agent [REDACTED]')
  await tracer.shutdown()
})
