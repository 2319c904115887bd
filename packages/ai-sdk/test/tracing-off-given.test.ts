// A middleware given a tracer of its own that is off never traces, whatever the environment says:
// the integration it registers shows the AI SDK no handlers, and looks up no process-wide tracer
// (getTracer() would make one from the environment, and print its configuration errors). Alone in
// its file: a middleware without a tracer of its own, made anywhere in the process, changes that.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAI } from '@ai-sdk/openai'
import { createTracer, setTracer } from '@tokentrail/core'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import * as ai from 'ai'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { countHandlerCalls } from './helpers.js'

let server: MockOpenAI | undefined
let collector: Server | undefined
let received = 0
const env = { ...process.env }
const errors: unknown[] = []
const originalError = console.error
const originalWarn = console.warn

beforeEach(() => {
  console.error = (...args: unknown[]) => errors.push(args)
  console.warn = (...args: unknown[]) => errors.push(args)
})
afterEach(async () => {
  console.error = originalError
  console.warn = originalWarn
  errors.length = 0
  process.env = { ...env }
  setTracer(undefined)
  await server?.close()
  server = undefined
  collector?.closeAllConnections()
  await new Promise((resolve) => (collector ? collector.close(resolve) : resolve(undefined)))
  collector = undefined
})

async function generate() {
  server = await startMockOpenAI()
  const openai = createOpenAI({ baseURL: server.url, apiKey: 'sk-test-not-a-real-key-0000000000' })
  const model = ai.wrapLanguageModel({
    model: openai.chat('gpt-4o'),
    middleware: tracingMiddleware({ tracer: createTracer({ enabled: false }) }),
  })
  const called = countHandlerCalls()
  const result = await ai.generateText({ model, prompt: 'Hello' })
  return { text: result.text, called }
}

it('an OTLP endpoint in the environment does not switch the handlers on', async () => {
  collector = createServer((request, response) => {
    received++
    request.resume()
    request.on('end', () => response.writeHead(200).end('{}'))
  })
  await new Promise<void>((resolve) => collector!.listen(0, '127.0.0.1', resolve))
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`
  const { text, called } = await generate()
  expect(text).toContain('Hello')
  expect(called).toEqual([])
  await new Promise((resolve) => setTimeout(resolve, 50))
  expect(received).toBe(0)
  expect(errors).toEqual([])
})

it('a configuration error in the environment is not printed for the tracer the user did not use', async () => {
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'collector:4317'
  const { text, called } = await generate()
  expect(text).toContain('Hello')
  expect(called).toEqual([])
  expect(errors).toEqual([])
})
