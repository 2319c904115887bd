// Runs `next dev` or `next start` with a model and an exporter ready: the local OpenAI-compatible
// mock unless OPENAI_API_KEY is set, and console spans unless an OTLP endpoint is configured.
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'

const mode = process.argv[2] === 'start' ? 'start' : 'dev'
const env = { ...process.env }
let mock

if (!env.OPENAI_API_KEY && !env.MOCK_OPENAI_URL) {
  const { startMockOpenAI } = await import('@tokentrail/mock-openai')
  // Delays like a real model's: a pause before the first token, then a steady stream.
  mock = await startMockOpenAI({ firstChunkDelayMs: 350, chunkDelayMs: 35 })
  env.MOCK_OPENAI_URL = mock.url
  console.log(`› mock OpenAI at ${mock.url} (set OPENAI_API_KEY to use OpenAI)`)
}
if (
  !env.OTEL_EXPORTER_OTLP_ENDPOINT &&
  !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT &&
  !env.OTEL_TRACES_EXPORTER
) {
  env.OTEL_TRACES_EXPORTER = 'console'
  console.log(
    '› spans print to this console (set OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://localhost:4318, to send them)',
  )
}
env.OTEL_SERVICE_NAME ??= 'next-chat'

const nextBin = createRequire(import.meta.url).resolve('next/dist/bin/next')
const child = spawn(process.execPath, [nextBin, mode, ...process.argv.slice(3)], {
  env,
  stdio: 'inherit',
})
const stop = (signal) => child.kill(signal)
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
child.on('exit', async (code) => {
  await mock?.close()
  process.exit(code ?? 0)
})
