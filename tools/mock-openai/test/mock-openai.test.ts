import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
import { type MockOpenAI, startMockOpenAI } from '../src/index.js'

let server: MockOpenAI | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

async function post(path: string, body: unknown, signal?: AbortSignal) {
  return fetch(`${server!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal,
  })
}

// Parses an SSE body into its `data:` payloads.
async function sse(response: Response): Promise<any[]> {
  const text = await response.text()
  return text
    .split('\n\n')
    .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
    .filter((line): line is string => line !== undefined)
    .map((line) => line.slice(6))
    .map((data) => (data === '[DONE]' ? data : JSON.parse(data)))
}

describe('startMockOpenAI', () => {
  it('streams chat completions with a usage chunk and [DONE]', async () => {
    server = await startMockOpenAI()
    const response = await post('/chat/completions', {
      model: 'gpt-4o',
      stream: true,
      stream_options: { include_usage: true },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Tell me a joke' },
      ],
    })
    expect(response.headers.get('content-type')).toContain('text/event-stream')
    const events = await sse(response)
    expect(events.at(-1)).toBe('[DONE]')
    const usageChunk = events.at(-2)
    expect(usageChunk.choices).toEqual([])
    const text = events
      .slice(0, -2)
      .map((e) => e.choices[0].delta.content ?? '')
      .join('')
    expect(text).toBe('You said: Tell me a joke')
    // input = words in system + user text (2 + 4), output = chunks (6 words).
    expect(usageChunk.usage).toMatchObject({
      prompt_tokens: 6,
      completion_tokens: 6,
      total_tokens: 12,
    })
    expect(events.at(-3).choices[0].finish_reason).toBe('stop')
    expect(server.requests).toHaveLength(1)
    expect(server.calls[0]).toMatchObject({ api: 'chat', stream: true, aborted: false, text })
  })

  it('leaves the usage chunk out unless include_usage is asked for', async () => {
    server = await startMockOpenAI()
    const events = await sse(
      await post('/chat/completions', {
        model: 'm',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      }),
    )
    expect(events.some((e) => e !== '[DONE]' && e.usage)).toBe(false)
  })

  it('streams the Responses API events in order, with usage on response.completed', async () => {
    server = await startMockOpenAI({ reply: 'one two three' })
    const events = await sse(
      await post('/responses', {
        model: 'gpt-4o',
        stream: true,
        input: [{ role: 'user', content: [{ type: 'input_text', text: 'count to three' }] }],
      }),
    )
    expect(events.map((e) => e.type)).toEqual([
      'response.created',
      'response.output_item.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_item.done',
      'response.completed',
    ])
    expect(events.at(-1).response.usage).toMatchObject({
      input_tokens: 3,
      output_tokens: 3,
      total_tokens: 6,
    })
    expect(events.at(-2).item.content[0].text).toBe('one two three')
  })

  it('answers without streaming on both APIs', async () => {
    server = await startMockOpenAI({ cachedInputTokens: 1, responseModel: 'gpt-4o-2024-08-06' })
    const chat = await (
      await post('/chat/completions', {
        model: 'gpt-4o',
        messages: [{ role: 'user', content: 'a b c' }],
      })
    ).json()
    expect(chat.choices[0].message.content).toBe('You said: a b c')
    expect(chat.model).toBe('gpt-4o-2024-08-06')
    expect(chat.usage.prompt_tokens_details.cached_tokens).toBe(1)
    const responses = await (await post('/responses', { model: 'gpt-4o', input: 'a b c' })).json()
    expect(responses.output[0].content[0].text).toBe('You said: a b c')
    expect(responses.usage).toMatchObject({ input_tokens: 3, output_tokens: 5 })
  })

  it('calls the first tool when asked, then answers the tool result in text', async () => {
    server = await startMockOpenAI()
    const tools = [
      {
        type: 'function',
        function: {
          name: 'weather',
          parameters: {
            type: 'object',
            properties: { city: { type: 'string' }, days: { type: 'integer' } },
          },
        },
      },
    ]
    const first = await (
      await post('/chat/completions', {
        model: 'm',
        tools,
        messages: [{ role: 'user', content: 'Use a tool for Paris' }],
      })
    ).json()
    const call = first.choices[0].message.tool_calls[0]
    expect(first.choices[0].finish_reason).toBe('tool_calls')
    expect(call.function.name).toBe('weather')
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris', days: 42 })
    const second = await (
      await post('/chat/completions', {
        model: 'm',
        tools,
        messages: [
          { role: 'user', content: 'Use a tool for Paris' },
          { role: 'assistant', content: null, tool_calls: [call] },
          { role: 'tool', tool_call_id: call.id, content: '{"temp":21}' },
        ],
      })
    ).json()
    expect(second.choices[0].message.content).toBe('The tool returned {"temp":21}.')
  })

  it('fails on [fail] with a JSON error and the status asked for', async () => {
    server = await startMockOpenAI()
    const response = await post('/responses', { model: 'm', input: 'please [fail:503]' })
    expect(response.status).toBe(503)
    expect((await response.json()).error.code).toBe('mock_failure')
  })

  it('answers the status the `status` option chooses per request; a 429 reads as OpenAI rate limits do', async () => {
    let n = 0
    server = await startMockOpenAI({ status: () => (n++ === 0 ? 429 : undefined) })
    const limited = await post('/responses', { model: 'm', input: 'hello' })
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after-ms')).toBe('10')
    expect((await limited.json()).error).toMatchObject({
      type: 'requests',
      code: 'rate_limit_exceeded',
    })
    const ok = await post('/responses', { model: 'm', input: 'hello' })
    expect(ok.status).toBe(200)
    expect(server.calls.map((c) => c.status)).toEqual([429, 200])
  })

  it('waits firstChunkDelayMs before the first delta, and notices a client abort', async () => {
    server = await startMockOpenAI({ firstChunkDelayMs: 80, chunkDelayMs: 1000 })
    const controller = new AbortController()
    const start = performance.now()
    const response = await post(
      '/chat/completions',
      { model: 'm', stream: true, messages: [{ role: 'user', content: 'one two three four' }] },
      controller.signal,
    )
    const reader = response.body!.getReader()
    const decoder = new TextDecoder()
    let seen = ''
    while (!seen.includes('You')) seen += decoder.decode((await reader.read()).value)
    expect(performance.now() - start).toBeGreaterThanOrEqual(75)
    controller.abort()
    await expect(reader.read()).rejects.toThrow()
    await expect.poll(() => server!.calls[0].aborted).toBe(true)
  })

  it('prints its URL from the CLI', async () => {
    const bin = fileURLToPath(new URL('../bin/mock-openai.js', import.meta.url))
    const child = spawn(process.execPath, [bin, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.once('data', (data) => resolve(String(data).trim()))
        child.once('exit', (code) => reject(new Error(`exited ${code}`)))
      })
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/)
      const response = await fetch(`${url}/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
      })
      expect((await response.json()).choices[0].message.content).toBe('You said: hi')
    } finally {
      child.kill('SIGTERM')
    }
  })
})
