// A script (no route, no flush) that makes one AI SDK call, as a user runs one with
// OTEL_EXPORTER_OTLP_ENDPOINT set: the call's trace reaches the receiver before the process exits.
// A real child process, the real @ai-sdk/openai client over HTTP to the local mock server, a real
// OTLP/HTTP receiver.
import { spawn } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const ADAPTER = fileURLToPath(new URL('../dist/index.js', import.meta.url))

interface Sent {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
}

let receiver: Server
let endpoint: string
let openai: MockOpenAI
const spans: Sent[] = []
const paths: string[] = []

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      paths.push(request.url!)
      if (request.url === '/v1/traces')
        for (const resource of JSON.parse(body).resourceSpans)
          for (const scope of resource.scopeSpans) spans.push(...scope.spans)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve))
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`
  openai = await startMockOpenAI({})
})
afterAll(async () => {
  await openai.close()
  await new Promise<void>((resolve) => receiver.close(() => resolve()))
})

describe('a script that ends without flushing', () => {
  it('sends the trace of its generateText call before the process exits', async () => {
    const code = `import { createOpenAI } from '@ai-sdk/openai'
import { tracingMiddleware } from ${JSON.stringify(ADAPTER)}
import { generateText, wrapLanguageModel } from 'ai'
const openai = createOpenAI({ baseURL: ${JSON.stringify(openai.url)}, apiKey: 'sk-test-not-a-real-key-0000000000' })
const model = wrapLanguageModel({ model: openai.chat('gpt-4o'), middleware: tracingMiddleware() })
const result = await generateText({ model, prompt: 'Tell me about the sea' })
console.log(result.text)`
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
      cwd: PACKAGE,
      env: {
        ...process.env,
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_SERVICE_NAME: 'script',
        TOKENTRAIL_DEBUG: '',
      },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const exitCode = await new Promise((resolve) => child.on('close', resolve))
    expect(stderr).toBe('')
    expect(exitCode).toBe(0)
    expect(openai.calls).toHaveLength(1)
    expect(stdout).toBe(`${openai.calls[0]!.text}\n`)
    const llm = spans.find((span) => span.name === 'chat gpt-4o')
    expect(llm).toBeDefined()
    const call = spans.find((span) => span.spanId === llm!.parentSpanId)
    expect(call?.traceId).toBe(llm!.traceId)
    expect(new Set(spans.map((span) => span.traceId)).size).toBe(1)
    // The GenAI metrics the endpoint also gets leave with the same flush.
    expect(paths).toContain('/v1/metrics')
  })
})
