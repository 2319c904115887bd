// tracing() on the real Bun (the `bun` npm package, its binary from the npm registry): Bun.serve with
// a Hono app, the AI SDK (ai@7, @ai-sdk/openai, the tracing middleware) streaming from the mock
// OpenAI server, spans sent by otlpExporter over Bun's fetch to a real OTLP receiver; a Node client.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { request as httpRequest } from 'node:http'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { type OtlpReceiver, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))
// The `bun` package's install script puts the platform binary here (a devDependency: CI has it).
const bun = join(
  dirname(createRequire(import.meta.url).resolve('bun/package.json')),
  'bin',
  'bun.exe',
)

describe('tracing() on Bun (real Bun.serve)', () => {
  it('continues the trace, nests spans made while the body streams, ends at body end', async () => {
    // Async with its own timeout: starting Bun on a loaded machine can take seconds.
    const run = await promisify(execFile)(bun, [join(here, 'bun', 'server.ts')], {
      encoding: 'utf8',
      timeout: 60_000,
    })
    expect(run.stderr).toBe('')
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
    expect(result.runtime).toMatch(/^bun 1\./)
    expect(result.asyncContext).toBe(true)
    expect(result.text).toBe('chunk 0\nchunk 1\nchunk 2\n')
    const root = result.spans.find((s: any) => s.kind === 'http')
    const llm = result.spans.find((s: any) => s.kind === 'llm')
    expect(root).toMatchObject({
      name: 'POST /api/chat',
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
      status: 'ok',
      bodySize: 24,
    })
    expect(llm.parentSpanId).toBe(root.spanId)
    expect(result.traceIdHeader).toBe(root.traceId)
  }, 60_000)
})

describe('tracing() + the AI SDK on Bun.serve, exporting to a real OTLP receiver', () => {
  let receiver: OtlpReceiver
  let mock: MockOpenAI
  let child: ChildProcess
  let stderr = ''
  let exited: Promise<number | null>
  let base: string
  let started: { runtime: string; asyncContext: boolean; port: number }

  const stats = async () => (await fetch(`${base}/stats`)).json()
  const flush = async () => (await fetch(`${base}/flush`, { method: 'POST' })).json()
  const status = (span: { attributes: Record<string, unknown> }) =>
    span.attributes['tokentrail.span.status']

  beforeAll(async () => {
    receiver = await startOtlpReceiver()
    // A chunk every 20 ms: a client can go away mid-answer.
    mock = await startMockOpenAI({ chunkDelayMs: 20 })
    child = spawn(bun, [join(here, 'bun', 'chat-server.ts'), `${receiver.url}/v1/traces`, mock.url])
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    exited = new Promise((resolve) => child.once('close', resolve))
    const line = await new Promise<string>((resolve, reject) => {
      let out = ''
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk
        if (out.includes('\n')) resolve(out.split('\n')[0]!)
      })
      child.once('close', (code) => reject(new Error(`bun exited (${code}): ${stderr}`)))
    })
    started = JSON.parse(line)
    base = `http://127.0.0.1:${started.port}`
  }, 60_000)
  afterAll(async () => {
    if (child?.exitCode === null) child.kill()
    await mock?.close()
    await receiver?.close()
  })

  it('runs on Bun with AsyncLocalStorage', () => {
    expect(started.runtime).toMatch(/^bun 1\./)
    expect(started.asyncContext).toBe(true)
  })

  it('keeps the request span open after the model is done, until the body ends; then it has every byte', async () => {
    const response = await fetch(`${base}/api/held`, {
      method: 'POST',
      headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
    })
    expect(response.headers.get('x-trace-id')).toBe('0af7651916cd43dd8448eb211c80319c')
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    while (!text.includes('You said: Say hello')) {
      const part = await reader.read()
      if (part.done) throw new Error(`the body ended before the answer: ${text}`)
      text += part.value
    }
    // The model's call and step spans end with its stream; the request span waits for the body.
    await expect.poll(async () => (await stats()).ended).toBe(2)
    expect((await stats()).started).toBe(3)
    await fetch(`${base}/release`, { method: 'POST' })
    for (let part = await reader.read(); !part.done; part = await reader.read()) text += part.value
    expect(text).toBe('You said: Say hello')
    await expect.poll(async () => (await stats()).ended).toBe(3)
    expect(await flush()).toEqual({ ok: true, pending: 0 })

    const trace = receiver.trace('0af7651916cd43dd8448eb211c80319c')
    expect(trace).toHaveLength(3)
    const root = trace.find((s) => s.name === 'POST /api/held')!
    expect(root.parentSpanId).toBe('b7ad6b7169203331')
    expect(root.attributes['http.response.body.size']).toBe(Buffer.byteLength(text))
    const call = trace.find((s) => s.name === 'streamText gpt-4o')!
    const llm = trace.find((s) => s.name === 'chat gpt-4o')!
    expect(call.parentSpanId).toBe(root.spanId)
    expect(llm.parentSpanId).toBe(call.spanId)
    expect(llm.attributes['gen_ai.usage.output_tokens']).toBe(4)
    for (const span of trace) expect(span.status.code).toBe(0) // unset: not failed
  })

  it('a client that goes away mid-answer: the provider request is aborted, every span ends cancelled', async () => {
    const calls = mock.calls.length
    const traceId = await new Promise<string>((resolve, reject) => {
      let received = ''
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port: started.port,
          path: '/api/chat',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
        },
        (response) => {
          response.setEncoding('utf8')
          response.on('data', (chunk: string) => {
            received += chunk
            if (received.includes('text-delta')) {
              request.destroy()
              resolve(String(response.headers['x-trace-id']))
            }
          })
        },
      )
      request.on('error', (error) => received.includes('text-delta') || reject(error))
      request.end(
        JSON.stringify({ prompt: 'one two three four five six seven eight nine ten eleven' }),
      )
    })
    await expect.poll(() => mock.calls[calls]?.aborted).toBe(true)
    await expect.poll(async () => (await stats()).ended).toBe((await stats()).started)
    expect(await flush()).toMatchObject({ ok: true, pending: 0 })
    const trace = receiver.trace(traceId)
    expect(trace.map((s) => s.name).sort()).toEqual([
      'POST /api/chat',
      'chat gpt-4o',
      'streamText gpt-4o',
    ])
    for (const span of trace) expect(status(span)).toBe('cancelled')
    expect((await stats()).lateWrites).toBe(0)
  })

  it('20 concurrent requests with a tool loop: 20 separate traces, every span under its own request', async () => {
    const cities = Array.from({ length: 20 }, (_, i) => `city${i}`)
    const traceIds = await Promise.all(
      cities.map(async (city) => {
        const response = await fetch(`${base}/api/weather/${city}`, { method: 'POST' })
        expect(await response.text()).toContain(`"city":"${city}"`)
        return response.headers.get('x-trace-id')!
      }),
    )
    expect(new Set(traceIds).size).toBe(20)
    expect(await flush()).toMatchObject({ ok: true, pending: 0 })
    for (const [i, traceId] of traceIds.entries()) {
      const trace = receiver.trace(traceId)
      const root = trace.find((s) => s.name === 'POST /api/weather/:city')!
      expect(root.attributes['url.path']).toBe(`/api/weather/${cities[i]}`)
      // Request, call, two steps, one tool: each span's parent in its own trace.
      expect(trace).toHaveLength(5)
      const ids = new Set(trace.map((s) => s.spanId))
      for (const span of trace) if (span !== root) expect(ids.has(span.parentSpanId!)).toBe(true)
      const tool = trace.find((s) => s.name === 'execute_tool weather')!
      expect(JSON.parse(String(tool.attributes['gen_ai.tool.call.arguments']))).toEqual({
        city: cities[i],
      })
    }
  })

  it.each(['file', 'blob', 'form', 'params', 'string', 'bytes', 'c.text'])(
    'a %s body keeps the Content-Type Bun derives from it when tracing() re-streams it',
    async (kind) => {
      const read = async (prefix: string) => {
        const response = await fetch(
          kind === 'c.text' ? `${base}/${prefix}/text` : `${base}/${prefix}/body/${kind}`,
        )
        const type = response.headers.get('content-type')
        const boundary = type?.match(/boundary=(.+)$/)?.[1]
        const text = await response.text()
        // A form's boundary is new for every body: compared as the same mark.
        return boundary
          ? { type: type!.replace(boundary, 'B'), text: text.replaceAll(boundary, 'B') }
          : { type, text }
      }
      const untraced = await read('plain')
      expect(untraced.type).toMatch(/^(application|multipart|text)\//)
      const traced = await read('api')
      expect(traced).toEqual(untraced)
      // A body Bun sends whole, untouched: its span still has its size.
      if (kind === 'string' || kind === 'bytes' || kind === 'c.text') {
        expect(await flush()).toMatchObject({ ok: true })
        const path = kind === 'c.text' ? '/api/text' : `/api/body/${kind}`
        const span = receiver.spans.filter((s) => s.attributes['url.path'] === path).at(-1)!
        expect(span.attributes['http.response.body.size']).toBe(Buffer.byteLength(traced.text))
      }
    },
  )

  it('a Range request for a Bun.file() body still gets the 206 Bun answers it with, and its span', async () => {
    const read = async (prefix: string) => {
      const response = await fetch(`${base}/${prefix}/body/file`, {
        headers: { range: 'bytes=2-11' },
      })
      return {
        status: response.status,
        range: response.headers.get('content-range'),
        type: response.headers.get('content-type'),
        text: await response.text(),
        traceId: response.headers.get('x-trace-id'),
      }
    }
    const untraced = await read('plain')
    expect(untraced).toMatchObject({ status: 206, range: expect.stringMatching(/^bytes 2-11\//) })
    const { traceId, ...traced } = await read('api')
    expect(traced).toEqual({ ...untraced, traceId: undefined })
    expect(await flush()).toMatchObject({ ok: true, pending: 0 })
    expect(receiver.trace(traceId!).map((s) => s.name)).toEqual(['GET /api/body/:kind'])
  })

  it('a server stopped without a flush still delivers what it queued, and says nothing', async () => {
    const response = await fetch(`${base}/api/chat`, {
      method: 'POST',
      body: JSON.stringify({ prompt: 'last words' }),
    })
    const traceId = response.headers.get('x-trace-id')!
    expect(await response.text()).toContain('"delta":"words"')
    await expect.poll(async () => (await stats()).ended).toBe((await stats()).started)
    expect(receiver.trace(traceId)).toEqual([])
    await fetch(`${base}/stop`, { method: 'POST' })
    expect(await exited).toBe(0)
    expect(receiver.trace(traceId)).toHaveLength(3)
    expect(stderr).toBe('')
  })
})
