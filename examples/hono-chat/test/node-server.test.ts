import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { assertWholeTrace, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const PARENT_ID = '00f067aa0ba902b7'

let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>
let server: ChildProcess
let url: string

beforeAll(async () => {
  receiver = await startOtlpReceiver()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.origin,
    OTEL_SERVICE_NAME: 'hono-chat-test',
  }
  // No key and no base URL: the example starts its local OpenAI mock itself.
  delete env.OPENAI_API_KEY
  delete env.OPENAI_BASE_URL
  server = spawn(process.execPath, ['dist/server.js'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  url = await new Promise<string>((resolve, reject) => {
    let out = ''
    server.stdout!.on('data', (chunk) => {
      out += chunk
      const match = /listening on (http:\/\/[\d.:]+)/.exec(out)
      if (match) resolve(match[1]!)
    })
    server.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)))
  })
})

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve))
    server.kill('SIGTERM')
    await exited
  }
  await receiver?.close()
})

function readUIStream(body: string): any[] {
  return body
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice(6)))
}

describe('examples/hono-chat on @hono/node-server', () => {
  it('streams a tool-using answer and delivers one whole trace to the OTLP receiver', async () => {
    const response = await fetch(`${url}/api/chat`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
        'x-user-id': 'user-7',
      },
      body: JSON.stringify({
        messages: [
          { id: 'm1', role: 'user', parts: [{ type: 'text', text: 'Use the tool for Paris' }] },
        ],
      }),
    })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    expect(response.headers.get('x-trace-id')).toBe(TRACE_ID)
    const events = readUIStream(await response.text())
    expect(events.map((e) => e.type)).toContain('tool-output-available')
    expect(events.at(-1)?.type).toBe('finish')
    const text = events.filter((e) => e.type === 'text-delta').map((e) => e.delta)
    expect(text.join('')).toBe(
      'The tool returned {"city":"Paris","temperatureC":21,"sky":"clear"}.',
    )

    await expect
      .poll(() => receiver.spans.filter((s) => s.traceId === TRACE_ID).length, { timeout: 10_000 })
      .toBe(5)
    const trace = receiver.spans.filter((s) => s.traceId === TRACE_ID)
    const root = assertWholeTrace(trace)
    expect(root.name).toBe('POST /api/chat')
    expect(root.parentSpanId).toBe(PARENT_ID)
    expect(root.kind).toBe(2)
    expect(root.service).toBe('hono-chat-test')
    expect(root.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/api/chat',
      'http.response.status_code': 200,
      'user.id': 'user-7',
    })
    const llm = trace.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat')
    const call = trace.find((s) => s.attributes['gen_ai.operation.name'] === 'invoke_agent')!
    expect(call.parentSpanId).toBe(root.spanId)
    expect(llm).toHaveLength(2)
    for (const span of llm) {
      expect(span.kind).toBe(3)
      expect(span.parentSpanId).toBe(call.spanId)
      expect(span.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0)
      expect(span.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0)
    }
    // The README's shape: POST /api/chat → streamText gpt-4o-mini → chat gpt-4o-mini per step,
    // the tool under the step that asked for it (the first).
    expect(call.name).toBe('streamText gpt-4o-mini')
    expect(llm.map((s) => s.name)).toEqual(['chat gpt-4o-mini', 'chat gpt-4o-mini'])
    const tool = trace.find((s) => s.name === 'execute_tool weather')
    expect(tool?.attributes['gen_ai.tool.name']).toBe('weather')
    // Steps count from 0, as the AI SDK's stepNumber does: the first step asked for the tool.
    const asked = llm.find((s) => s.attributes['tokentrail.step'] === 0)
    expect(tool?.parentSpanId).toBe(asked?.spanId)
  })

  it('traces the API but not the health check', async () => {
    expect(await (await fetch(`${url}/health`)).text()).toBe('ok')
    const bad = await fetch(`${url}/api/chat`, { method: 'POST', body: '{}' })
    expect(bad.status).toBe(400)
    const traceId = bad.headers.get('x-trace-id')
    await expect
      .poll(() => receiver.spans.some((s) => s.traceId === traceId), { timeout: 8000 })
      .toBe(true)
    expect(receiver.spans.filter((s) => s.attributes['url.path'] === '/health')).toEqual([])
  })
})
