// End to end: the example built with `next build` (global setup), served by `next start`, real HTTP
// requests, the local OpenAI mock as the model, spans received by a local OTLP/HTTP receiver.
import { type ChildProcess, spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { startMockOpenAI } from '@tokentrail/mock-openai'
import { type ReceivedSpan, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const app = fileURLToPath(new URL('..', import.meta.url))
const SERVER = 2
// A span that did not fail is Unset, as OpenTelemetry instrumentations leave it.
const UNSET = 0

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>
let mock: Awaited<ReturnType<typeof startMockOpenAI>>
let next: ChildProcess
let base: string

async function startNext(
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string }> {
  const nextBin = createRequire(`${app}/package.json`).resolve('next/dist/bin/next')
  const { OPENAI_API_KEY: _ignored, ...inherited } = process.env
  const child = spawn(process.execPath, [nextBin, 'start', '-H', '127.0.0.1', '-p', '0'], {
    cwd: app,
    env: { ...inherited, NEXT_TELEMETRY_DISABLED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`next start did not come up:\n${output}`)),
      30_000,
    )
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Local:\s+(http:\/\/\S+)/.exec(output)
      if (match && output.includes('Ready')) {
        clearTimeout(timer)
        resolve(match[1]!.replace('localhost', '127.0.0.1'))
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`next start exited with ${code}:\n${output}`)))
  })
  return { child, url }
}

function chatBody(text: string) {
  return JSON.stringify({
    id: `chat-${Math.random().toString(36).slice(2)}`,
    trigger: 'submit-message',
    messages: [{ id: 'm1', role: 'user', parts: [{ type: 'text', text }] }],
  })
}

function post(path: string, text: string, init: RequestInit = {}) {
  return fetch(`${base}${path}`, {
    method: 'POST',
    body: chatBody(text),
    ...init,
    headers: { 'content-type': 'application/json', ...init.headers },
  })
}

/** The UI message stream's events, parsed. */
function events(body: string): any[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice(6)))
}

async function traceOf(traceId: string, rootName: string): Promise<ReceivedSpan[]> {
  await receiver.waitFor((spans) => spans.some((s) => s.traceId === traceId && s.name === rootName))
  return receiver.trace(traceId)
}

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  mock = await startMockOpenAI({
    firstChunkDelayMs: 20,
    chunkDelayMs: 5,
    reply: (request) =>
      request.messages.at(-1)?.text.includes('[long]')
        ? Array.from({ length: 300 }, (_, i) => `word${i}`).join(' ')
        : undefined,
  })
  const started = await startNext({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: 'next-chat-e2e',
    MOCK_OPENAI_URL: mock.url,
  })
  next = started.child
  base = started.url
})

afterAll(async () => {
  if (next && next.exitCode === null) {
    const exited = new Promise((resolve) => next.once('exit', resolve))
    next.kill('SIGTERM')
    await exited
  }
  await mock?.close()
  await receiver?.close()
})

describe('examples/next-chat under next start', () => {
  it('serves the chat page', async () => {
    const response = await fetch(base)
    expect(response.status).toBe(200)
    expect(await response.text()).toContain('Tokentrail chat')
  })

  it('streams a chat reply and delivers root + LLM span with the token counts the model reported', async () => {
    mock.reset()
    const response = await post('/api/chat', 'Hello there')
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const traceId = response.headers.get('x-trace-id')!
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)
    const text = events(await response.text())
      .filter((e) => e.type === 'text-delta')
      .map((e) => e.delta)
      .join('')
    expect(text).toBe('You said: Hello there')

    const spans = await traceOf(traceId, 'POST /api/chat')
    const root = spans.find((s) => s.name === 'POST /api/chat')!
    const llm = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat')
    expect(root.parentSpanId).toBeUndefined()
    expect(root.kind).toBe(SERVER)
    expect(root.status.code).toBe(UNSET)
    expect(root.service).toBe('next-chat-e2e')
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/api/chat',
      'http.route': '/api/chat',
      'http.response.status_code': 200,
      'user_agent.original': expect.any(String),
      // `next start` has no Vercel context: Next's after() keeps the flush alive.
      'tokentrail.flush.via': 'after',
    })
    expect(llm).toHaveLength(1)
    // request → call span (the streamText call) → LLM span
    const call = spans.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')!
    expect(call.name).toBe('streamText gpt-4o-mini')
    expect(call.parentSpanId).toBe(root.spanId)
    expect(llm[0]!.parentSpanId).toBe(call.spanId)
    const usage = mock.calls[0]!.usage!
    expect(llm[0]!.attributes['gen_ai.usage.input_tokens']).toBe(usage.inputTokens)
    expect(llm[0]!.attributes['gen_ai.usage.output_tokens']).toBe(usage.outputTokens)
    expect(usage.outputTokens).toBeGreaterThan(0)
  })

  it('records a tool call: two model calls and the tool span, all under the request span', async () => {
    mock.reset()
    const response = await post('/api/chat', 'What is the weather? [tool:getWeather] Paris')
    const traceId = response.headers.get('x-trace-id')!
    const stream = events(await response.text())
    expect(stream.find((e) => e.type === 'tool-output-available')?.output).toEqual({
      city: 'Paris',
      temperatureC: 21,
      conditions: 'sunny',
    })

    await receiver.waitFor((spans) => spans.filter((s) => s.traceId === traceId).length >= 5)
    const spans = receiver.trace(traceId)
    const root = spans.find((s) => s.name === 'POST /api/chat')!
    const llm = spans
      .filter((s) => s.attributes['gen_ai.operation.name'] === 'chat')
      .sort(
        (a, b) => Number(a.attributes['tokentrail.step']) - Number(b.attributes['tokentrail.step']),
      )
    const tool = spans.find((s) => s.name === 'execute_tool getWeather')!
    expect(llm).toHaveLength(2)
    expect(tool).toBeDefined()
    const call = spans.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')!
    expect(call.parentSpanId).toBe(root.spanId)
    for (const span of llm) expect(span.parentSpanId).toBe(call.spanId)
    // The tool runs under the step that asked for it.
    expect(tool.parentSpanId).toBe(llm[0]!.spanId)
    expect(call.attributes['tokentrail.call.steps']).toBe(2)
    expect(tool.attributes['gen_ai.tool.call.id']).toBe(mock.calls[0]!.toolCall!.id)
    expect(mock.calls).toHaveLength(2)
    llm.forEach((span, i) => {
      expect(span.attributes['gen_ai.usage.input_tokens']).toBe(mock.calls[i]!.usage!.inputTokens)
      expect(span.attributes['gen_ai.usage.output_tokens']).toBe(mock.calls[i]!.usage!.outputTokens)
    })
  })

  it('ends the trace as cancelled when the client aborts mid-stream, and the model call stops', async () => {
    mock.reset()
    const controller = new AbortController()
    const response = await post('/api/chat', 'Tell me a story [long]', {
      signal: controller.signal,
    })
    const traceId = response.headers.get('x-trace-id')!
    const reader = response.body!.getReader()
    let seen = ''
    while (!seen.includes('text-delta'))
      seen += new TextDecoder().decode((await reader.read()).value)
    controller.abort()

    const spans = await traceOf(traceId, 'POST /api/chat')
    const root = spans.find((s) => s.name === 'POST /api/chat')!
    expect(root.attributes['tokentrail.span.status']).toBe('cancelled')
    await receiver.waitFor((all) =>
      all.some((s) => s.traceId === traceId && s.attributes['gen_ai.operation.name'] === 'chat'),
    )
    const llm = receiver
      .trace(traceId)
      .find((s) => s.attributes['gen_ai.operation.name'] === 'chat')!
    const call = receiver
      .trace(traceId)
      .find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')
    expect(call?.parentSpanId).toBe(root.spanId)
    expect(llm.parentSpanId).toBe(call?.spanId)
    expect(llm.attributes['tokentrail.span.status']).toBe('cancelled')
    // The abort reached the model: the mock saw the client go away before its reply was complete.
    await receiver.waitFor(() => mock.calls[0]?.aborted === true)
  })

  it('runs on the edge runtime too, continuing an incoming traceparent', async () => {
    mock.reset()
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const response = await post('/api/chat-edge', 'Hello edge', {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    })
    expect(response.headers.get('x-trace-id')).toBe(traceId)
    const text = events(await response.text())
      .filter((e) => e.type === 'text-delta')
      .map((e) => e.delta)
      .join('')
    expect(text).toBe('You said: Hello edge')
    const spans = await traceOf(traceId, 'POST /api/chat-edge')
    const root = spans.find((s) => s.name === 'POST /api/chat-edge')!
    expect(root.parentSpanId).toBe('00f067aa0ba902b7')
    expect(root.attributes['http.response.status_code']).toBe(200)
    await receiver.waitFor((all) =>
      all.some((s) => s.traceId === traceId && s.attributes['gen_ai.operation.name'] === 'chat'),
    )
    const llm = receiver
      .trace(traceId)
      .find((s) => s.attributes['gen_ai.operation.name'] === 'chat')!
    const call = receiver
      .trace(traceId)
      .find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')
    expect(call?.parentSpanId).toBe(root.spanId)
    expect(llm.parentSpanId).toBe(call?.spanId)
    expect(llm.attributes['gen_ai.usage.output_tokens']).toBe(mock.calls[0]!.usage!.outputTokens)
  })
})
