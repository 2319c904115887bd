// Credentials in what a call carries, with recording on (the default), on ai@5, ai@6 and ai@7
// through each major's real `@ai-sdk/openai` over HTTP, exported as OTLP JSON to a real server:
// - tool arguments and results under credential names (`{"password": …}`): the tool span
//   replaced them, but the LLM spans' messages (the call the model made, and the next step's
//   prompt) carried them as they were;
// - a key that `maxTextLength` cut in half (in a prompt, a streamed or generated answer): its
//   first half went out, too short for the scrub to know it;
// - a key in a provider's error body that the 500-character excerpt cut in half: the same.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createTracer, otlpExporter } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { tracingMiddleware } from '../src/index.js'
import { bodySinkForSuite } from './helpers.js'
import { majors } from './majors.js'

const sink = bodySinkForSuite()
const KEY = 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789'

let server: MockOpenAI | undefined
let provider: Server | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
  if (provider) await new Promise((resolve) => provider!.close(resolve))
  provider = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

function traced(major: (typeof majors)[number], baseURL: string, maxTextLength?: number) {
  const tracer = createTracer({
    serviceName: 'credentials-in-content',
    exporters: [otlpExporter({ url: sink.url })],
  })
  const openai = major.createOpenAI({ baseURL, apiKey: 'sk-test-not-a-real-key-0000' })
  const model = major.ai.wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer, ...(maxTextLength ? { maxTextLength } : {}) }),
  })
  const before = sink.bodies.length
  return {
    model,
    async wire() {
      await tracer.shutdown()
      return sink.bodies.slice(before).join('\n')
    },
  }
}

describe.each(majors)('$major, over HTTP', (major) => {
  const { ai } = major

  it('tool arguments and results under credential names stay out of every span', async () => {
    server = await startMockOpenAI({
      toolArguments: () => ({ user: 'bob', password: 'pw-7c1e9a2b44' }),
    } as any)
    const { model, wire } = traced(major, server.url)
    await ai.generateText({
      model,
      // Long enough that the next step's prompt is a long text.
      prompt: `${'Please sign in to the billing portal for me. '.repeat(8)}[tool:login]`,
      tools: {
        login: ai.tool({
          inputSchema: z.object({ user: z.string(), password: z.string() }),
          execute: async () => ({ session: 'ok', secret: 'sess-4f0c2d9e77' }),
        }),
      },
      stopWhen: ai.stepCountIs(2),
    })
    const body = await wire()
    expect(body).toContain('execute_tool login')
    expect(body.includes('pw-7c1e9a2b44'), 'the password reached the wire').toBe(false)
    expect(body.includes('sess-4f0c2d9e77'), 'the secret reached the wire').toBe(false)
  })

  for (const streamed of [true, false])
    it(`${streamed ? 'streamText' : 'generateText'}: a key cut in half by maxTextLength is replaced`, async () => {
      const prompt = `${'a'.repeat(100)} ${KEY} end`
      const reply = `${'b'.repeat(100)} ${KEY} end`
      server = await startMockOpenAI({ reply } as any)
      // The cut falls 14 characters into the key, in the prompt and in the answer.
      const { model, wire } = traced(major, server.url, 101 + 14)
      if (streamed) await ai.streamText({ model, prompt }).consumeStream()
      else await ai.generateText({ model, prompt })
      const body = await wire()
      expect(body).toContain('[REDACTED]')
      expect(body.includes(KEY.slice(0, 14)), 'half a key reached the wire').toBe(false)
    })

  it('a connection-string password that maxTextLength cut before its @ is replaced', async () => {
    const password = 'S3cretDbPassw0rd'
    const dsn = `mysql://root:${password}@prod-db:3306/shop`
    server = await startMockOpenAI({ reply: `${'b'.repeat(100)} ${dsn} end` } as any)
    // The cut falls 8 characters into the password, in the prompt and in the answer.
    const { model, wire } = traced(major, server.url, 101 + 13 + 8)
    await ai.streamText({ model, prompt: `${'a'.repeat(100)} ${dsn} end` }).consumeStream()
    const body = await wire()
    expect(body).toContain('mysql://root:[REDACTED]')
    expect(body.includes(password.slice(0, 8)), 'half a password reached the wire').toBe(false)
  })

  it("a key the error body's excerpt cut in half is replaced", async () => {
    // An answer that quotes the key the request had, cut 12 characters into it.
    const message = `Incorrect API key provided: ${KEY}. You can find your API key at https://example.com.`
    const bodyWith = (pad: string) =>
      JSON.stringify({ error: { message: pad + message, type: 'invalid_request_error' } })
    const errorBody = bodyWith('x'.repeat(500 - 12 - bodyWith('').indexOf(KEY)))
    expect(errorBody.indexOf(KEY)).toBe(500 - 12)
    provider = createServer((request, response) => {
      request.resume()
      request.on('end', () =>
        response.writeHead(401, { 'content-type': 'application/json' }).end(errorBody),
      )
    })
    await new Promise<void>((resolve) => provider!.listen(0, '127.0.0.1', resolve))
    const port = (provider.address() as AddressInfo).port
    const { model, wire } = traced(major, `http://127.0.0.1:${port}/v1`)
    await expect(ai.generateText({ model, prompt: 'hi', maxRetries: 0 })).rejects.toThrow()
    const body = await wire()
    expect(body).toContain('tokentrail.error.body')
    expect(body.includes(KEY.slice(0, 12)), 'half a key reached the wire').toBe(false)
  })
})
