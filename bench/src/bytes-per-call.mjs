// The `export: bytes sent per call` row for the tokentrail contender under each OTLP setting:
// protocol, compression and backend profile, all chosen by env as a user would.
// Usage: node src/bytes-per-call.mjs [calls]   (default 2,000 calls per setting)
// Same worker, same sink and same counting as run.mjs's export task.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startSink } from './sink.mjs'

const calls = Number(process.argv[2] ?? 2000)
const workerPath = fileURLToPath(new URL('./worker.mjs', import.meta.url))
const benchDir = fileURLToPath(new URL('..', import.meta.url))

const SETTINGS = [
  ['default (http/json, no profile)', {}],
  ['http/protobuf', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }],
  ['http/json + gzip', { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }],
  [
    'http/protobuf + gzip',
    { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' },
  ],
  ['langfuse profile (http/json)', { TOKENTRAIL_OTLP_PROFILE: 'langfuse' }],
  [
    'langfuse profile (http/protobuf)',
    { TOKENTRAIL_OTLP_PROFILE: 'langfuse', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' },
  ],
  ['phoenix profile (http/protobuf)', { TOKENTRAIL_OTLP_PROFILE: 'phoenix' }],
  ['datadog profile (http/protobuf)', { TOKENTRAIL_OTLP_PROFILE: 'datadog' }],
]

const sink = await startSink()
const rows = []
for (const [label, env] of SETTINGS) {
  let from
  const result = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--expose-gc', workerPath, 'tokentrail', 'export', JSON.stringify({ calls })],
      {
        cwd: benchDir,
        env: { ...process.env, ...env, SINK_URL: sink.url },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    let stdout = ''
    child.stdout.on('data', (data) => {
      stdout += data
      if (!from && stdout.includes('{"mark":true}\n')) from = { ...sink.stats }
    })
    child.on('close', () => resolve(JSON.parse(stdout.trim().split('\n').at(-1))))
  })
  await new Promise((resolve) => setTimeout(resolve, 100))
  if (result.error) throw new Error(`${label}: ${result.error}`)
  const bytes = sink.stats.bytes - from.bytes
  rows.push([label, bytes / calls, sink.stats.requests - from.requests])
}
await sink.close()
console.log(
  `\nexport: bytes sent per call — tokentrail, ${calls.toLocaleString('en')} generateText calls each\n`,
)
console.log('| setting | bytes per call | requests |')
console.log('|---|---|---|')
for (const [label, perCall, requests] of rows)
  console.log(`| ${label} | ${Math.round(perCall).toLocaleString('en')} | ${requests} |`)
process.exit(0)
