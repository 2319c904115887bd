// Local servers that answer with the providers' own wire formats, byte for byte as the test
// writes them: JSON bodies, SSE event lists, error statuses, and streams cut short.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAnthropic as createAnthropic4 } from '@ai-sdk/anthropic'
import { createAnthropic as createAnthropic2 } from '@ai-sdk/anthropic-v2'
import { createAnthropic as createAnthropic3 } from '@ai-sdk/anthropic-v3'
import { createGoogleGenerativeAI as createGoogle4 } from '@ai-sdk/google'
import { createGoogleGenerativeAI as createGoogle2 } from '@ai-sdk/google-v2'
import { createGoogleGenerativeAI as createGoogle3 } from '@ai-sdk/google-v3'
import { createVertex as createVertex5 } from '@ai-sdk/google-vertex'
import { createVertex as createVertex3 } from '@ai-sdk/google-vertex-v3'
import { createVertex as createVertex4 } from '@ai-sdk/google-vertex-v4'
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI2 } from '@ai-sdk/openai-v2'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import { ATTR, type SpanData } from '@tokentrail/core'
import * as ai7 from 'ai'
import * as ai5 from 'ai-v5'
import * as ai6 from 'ai-v6'
import { afterEach } from 'vitest'
import { z } from 'zod'

/** What a wire server answers to one request. */
export interface WireAnswer {
  status?: number
  /** A JSON body. */
  json?: unknown
  /** SSE events, written in order; a number waits that many milliseconds before the next. */
  sse?: (string | number)[]
  /** Close the connection after the events without ending the response (a stream cut short). */
  cut?: boolean
  /** Binary frames, written in order (AWS event streams). */
  frames?: Uint8Array[]
  /** Response headers beside the content type. */
  headers?: Record<string, string>
}

export interface WireServer {
  url: string
  /** Each request's path and parsed body. */
  requests: { path: string; body: any }[]
  close(): Promise<void>
}

// Every wire server started, closed after each test by `useWireServers()`.
const started = new Set<WireServer>()

/**
 * After each test of the file that calls it: closes the wire servers the test started and forgets
 * the AI SDK's global telemetry integrations it registered.
 */
export function useWireServers(): void {
  afterEach(async () => {
    for (const server of started) await server.close()
    started.clear()
    delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
  })
}

/** The call span of a trace (`invoke_agent`). */
export const callSpan = (spans: readonly SpanData[]) =>
  spans.find((s) => s.attributes[ATTR.operationName] === 'invoke_agent')!

/** The LLM spans of a trace, in the order they started. */
export const llmSpans = (spans: readonly SpanData[]) =>
  spans.filter((s) => s.kind === 'llm').sort((a, b) => a.startTime - b.startTime)

export async function serveWire(
  answer: (
    path: string,
    body: any,
    index: number,
    headers: Record<string, string | string[] | undefined>,
  ) => WireAnswer,
): Promise<WireServer> {
  const requests: { path: string; body: any }[] = []
  const server: Server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}')
    const path = request.url ?? ''
    requests.push({ path, body })
    const reply = answer(path, body, requests.length - 1, request.headers)
    if (reply.frames) {
      response.writeHead(reply.status ?? 200, {
        'content-type': 'application/vnd.amazon.eventstream',
        ...reply.headers,
      })
      for (const frame of reply.frames) response.write(frame)
      response.end()
      return
    }
    if (reply.sse) {
      response.writeHead(reply.status ?? 200, {
        'content-type': 'text/event-stream',
        ...reply.headers,
      })
      for (const event of reply.sse)
        if (typeof event === 'number') await new Promise((resolve) => setTimeout(resolve, event))
        else response.write(event)
      if (reply.cut) setTimeout(() => response.socket?.destroy(), 20)
      else response.end()
      return
    }
    response.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      ...reply.headers,
    })
    response.end(JSON.stringify(reply.json ?? {}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const wire: WireServer = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        started.delete(wire)
        if (!server.listening) return resolve()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  started.add(wire)
  return wire
}

/** A `data:` SSE event (OpenAI, Google). */
export const data = (value: unknown) => `data: ${JSON.stringify(value)}\n\n`
/** A named SSE event (Anthropic, OpenAI Responses). */
export const event = (name: string, value: unknown) =>
  `event: ${name}\ndata: ${JSON.stringify(value)}\n\n`

export const KEYS = {
  openai: 'sk-proj-wiretest0000000000000000000000',
  anthropic: 'sk-ant-api03-wiretest000000000000000000',
  google: 'AIzaSyWiretest0000000000000000000000000',
}

/** Each AI SDK major with its own provider packages. */
export const MAJORS = [
  {
    major: 'ai@5',
    ai: ai5 as any,
    openai: (url: string) => createOpenAI2({ baseURL: `${url}/v1`, apiKey: KEYS.openai }) as any,
    anthropic: (url: string) =>
      createAnthropic2({ baseURL: `${url}/v1`, apiKey: KEYS.anthropic }) as any,
    google: (url: string) =>
      createGoogle2({ baseURL: `${url}/v1beta`, apiKey: KEYS.google }) as any,
  },
  {
    major: 'ai@6',
    ai: ai6 as any,
    openai: (url: string) => createOpenAI3({ baseURL: `${url}/v1`, apiKey: KEYS.openai }) as any,
    anthropic: (url: string) =>
      createAnthropic3({ baseURL: `${url}/v1`, apiKey: KEYS.anthropic }) as any,
    google: (url: string) =>
      createGoogle3({ baseURL: `${url}/v1beta`, apiKey: KEYS.google }) as any,
  },
  {
    major: 'ai@7',
    ai: ai7 as any,
    openai: (url: string) => createOpenAI4({ baseURL: `${url}/v1`, apiKey: KEYS.openai }) as any,
    anthropic: (url: string) =>
      createAnthropic4({ baseURL: `${url}/v1`, apiKey: KEYS.anthropic }) as any,
    google: (url: string) =>
      createGoogle4({ baseURL: `${url}/v1beta`, apiKey: KEYS.google }) as any,
  },
] as const

/**
 * The tool loop the provider tests run on each major: "Weather in Oslo?", one `weather` tool call,
 * then the answer. Returns the answer's text and the inputs the tool was called with.
 */
export async function weatherLoop(
  ai: typeof ai7 | typeof ai5 | typeof ai6,
  model: unknown,
  mode: 'generateText' | 'streamText',
): Promise<{ text: string; seen: unknown[] }> {
  const seen: unknown[] = []
  const { generateText, streamText, stepCountIs, tool } = ai as typeof ai7
  const args = {
    model: model as Parameters<typeof generateText>[0]['model'],
    prompt: 'Weather in Oslo?',
    stopWhen: stepCountIs(3),
    tools: {
      weather: tool({
        inputSchema: z.object({ city: z.string() }),
        execute: async (input: unknown) => {
          seen.push(input)
          return { celsius: 21 }
        },
      }),
    },
  }
  const text =
    mode === 'generateText' ? (await generateText(args)).text : await streamText(args).text
  return { text, seen }
}

// Vertex AI clients per major, with a Google auth client that hands out a token without going to
// Google (what google-auth-library's `authClient` option takes); @ai-sdk/google-vertex@5 has
// Vertex's express mode (an API key) too.
const vertexAuthClient = { getAccessToken: async () => ({ token: 'ya29.wiretest' }) }
export const vertexClients: Record<string, (url: string) => any> = {
  'ai@5': (url) =>
    createVertex3({
      project: 'p',
      location: 'us-central1',
      baseURL: url,
      googleAuthOptions: { authClient: vertexAuthClient } as any,
    }),
  'ai@6': (url) =>
    createVertex4({
      project: 'p',
      location: 'us-central1',
      baseURL: url,
      googleAuthOptions: { authClient: vertexAuthClient } as any,
    }),
  'ai@7': (url) => createVertex5({ apiKey: 'vertex-express-wiretest', baseURL: url }),
}
