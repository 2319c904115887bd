// A script (no route, no flush) that makes one AI SDK call, as a user runs one with
// OTEL_EXPORTER_OTLP_ENDPOINT set: the call's trace reaches the receiver before the process exits.
// A real child process, the real @ai-sdk/openai client over HTTP to the local mock server, a real
// OTLP/HTTP receiver.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { assertWholeTrace, type OtlpReceiver, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const ADAPTER = fileURLToPath(new URL('../dist/index.js', import.meta.url))

let receiver: OtlpReceiver
let openai: MockOpenAI

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  openai = await startMockOpenAI({})
})
afterAll(async () => {
  await openai.close()
  await receiver.close()
})

// Runs `code` as an ES module script in this package, exporting to the receiver as `service`.
async function runScript(code: string, service: string) {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd: PACKAGE,
    env: {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
      OTEL_SERVICE_NAME: service,
      TOKENTRAIL_DEBUG: '',
    },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exitCode = await new Promise((resolve) => child.on('close', resolve))
  return { exitCode, stdout, stderr }
}

describe('a script that ends without flushing', () => {
  it('sends the trace of its generateText call before the process exits', async () => {
    const code = `import { createOpenAI } from '@ai-sdk/openai'
import { tracingMiddleware } from ${JSON.stringify(ADAPTER)}
import { generateText, wrapLanguageModel } from 'ai'
const openai = createOpenAI({ baseURL: ${JSON.stringify(openai.url)}, apiKey: 'sk-test-not-a-real-key-0000000000' })
const model = wrapLanguageModel({ model: openai.chat('gpt-4o'), middleware: tracingMiddleware() })
const result = await generateText({ model, prompt: 'Tell me about the sea' })
console.log(result.text)`
    const { exitCode, stdout, stderr } = await runScript(code, 'script')
    expect(stderr).toBe('')
    expect(exitCode).toBe(0)
    expect(openai.calls).toHaveLength(1)
    expect(stdout).toBe(`${openai.calls[0]!.text}\n`)
    // Everything had arrived when the process was gone: nothing is waited for here.
    const root = assertWholeTrace(receiver.spans)
    expect(root.service).toBe('script')
    const llm = receiver.spans.find((span) => span.name === 'chat gpt-4o')
    expect(llm?.parentSpanId).toBe(root.spanId)
    expect(llm?.attributes['gen_ai.usage.output_tokens']).toBe(openai.calls[0]!.usage!.outputTokens)
    // The GenAI metrics the endpoint also gets leave with the same flush.
    expect(receiver.metrics.length).toBeGreaterThan(0)
  })

  it('says, as the process exits, that the spans of a streamText result nobody read never ended', async () => {
    const code = `import { createOpenAI } from '@ai-sdk/openai'
import { tracingMiddleware } from ${JSON.stringify(ADAPTER)}
import { streamText, wrapLanguageModel } from 'ai'
const openai = createOpenAI({ baseURL: ${JSON.stringify(openai.url)}, apiKey: 'sk-test-not-a-real-key-0000000000' })
const model = wrapLanguageModel({ model: openai.chat('gpt-4o'), middleware: tracingMiddleware() })
streamText({ model, prompt: 'Tell me about the sea' })
console.log('done')`
    const { exitCode, stdout, stderr } = await runScript(code, 'unread')
    expect(exitCode).toBe(0)
    expect(stdout).toBe('done\n')
    expect(stderr).toContain(
      // The call span and its LLM span: the model's response is read only as far as the caller reads.
      '[tokentrail] the process is exiting with 2 spans never ended (unread: 2); they are lost. End every span, and let streams finish (read or cancel each streamText result), before the process exits;',
    )
    expect(stderr.match(/\[tokentrail\]/g)).toHaveLength(1)
  })
})
