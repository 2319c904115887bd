import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { LanguageModelV4StreamPart, LanguageModelV4Usage } from '@ai-sdk/provider'
import { createTracer, type Tracer, type TracerOptions } from '@tokentrail/core'
import {
  redactCutText,
  redactSecretsInJson,
  redactSecretsInText,
  type TextScrub,
} from '@tokentrail/core/internal'
import { type MemoryExporter, memoryExporter } from '@tokentrail/core/testing'
import { afterAll, beforeAll } from 'vitest'

/** A real tracer that exports to memory. */
export function setup(options: TracerOptions = {}): { tracer: Tracer; exporter: MemoryExporter } {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: 'ai-sdk-test', exporters: [exporter], ...options })
  return { tracer, exporter }
}

export function usage(
  input: number | undefined,
  output: number | undefined,
  extra: { cacheRead?: number; cacheWrite?: number; reasoning?: number } = {},
): LanguageModelV4Usage {
  return {
    inputTokens: {
      total: input,
      noCache:
        input === undefined ? undefined : input - (extra.cacheRead ?? 0) - (extra.cacheWrite ?? 0),
      cacheRead: extra.cacheRead,
      cacheWrite: extra.cacheWrite,
    },
    outputTokens: {
      total: output,
      text: output === undefined ? undefined : output - (extra.reasoning ?? 0),
      reasoning: extra.reasoning,
    },
  }
}

/** The parts of a streamed text reply, as a provider sends them. */
export function textParts(
  deltas: string[],
  options: { usage?: LanguageModelV4Usage; id?: string; modelId?: string } = {},
): LanguageModelV4StreamPart[] {
  return [
    { type: 'stream-start', warnings: [] },
    {
      type: 'response-metadata',
      id: options.id ?? 'resp-1',
      modelId: options.modelId ?? 'gpt-4o-2024-08-06',
      timestamp: new Date(0),
    },
    { type: 'text-start', id: 't1' },
    ...deltas.map((delta): LanguageModelV4StreamPart => ({ type: 'text-delta', id: 't1', delta })),
    { type: 'text-end', id: 't1' },
    {
      type: 'finish',
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: options.usage ?? usage(10, deltas.length),
    },
  ]
}

/** A stream that hands out `parts` one by one, and waits on `gate` before the part at `pauseAt`. */
export function gatedStream(
  parts: LanguageModelV4StreamPart[],
  pauseAt: number,
  gate: Promise<void>,
): { stream: ReadableStream<LanguageModelV4StreamPart>; cancelled: Promise<unknown> } {
  let i = 0
  let onCancel: (reason: unknown) => void = () => {}
  const cancelled = new Promise<unknown>((resolve) => (onCancel = resolve))
  const stream = new ReadableStream<LanguageModelV4StreamPart>({
    async pull(controller) {
      if (i === pauseAt) await gate
      if (i < parts.length) controller.enqueue(parts[i++])
      else controller.close()
    },
    cancel(reason) {
      onCancel(reason)
    },
  })
  return { stream, cancelled }
}

/** The exported spans without the call spans: what the LLM-level tests look at. */
export function modelSpans(exporter: MemoryExporter) {
  return exporter.spans.filter((s) => s.attributes['gen_ai.operation.name'] !== 'invoke_agent')
}

type OutputPart = { type: string; content?: string; id?: string; name?: string; arguments?: string }

/** The parts of a span's `gen_ai.output.messages` (empty when it has none). */
export function outputParts(span: { attributes: Record<string, unknown> }): OutputPart[] {
  const json = span.attributes['gen_ai.output.messages']
  if (typeof json !== 'string') return []
  return (JSON.parse(json) as { parts: OutputPart[] }[]).flatMap((message) => message.parts)
}

/** The generated text a span recorded, from `gen_ai.output.messages`; undefined when none. */
export function outputText(span: { attributes: Record<string, unknown> }): string | undefined {
  const texts = outputParts(span).filter((part) => part.type === 'text')
  return texts.length === 0 ? undefined : texts.map((part) => part.content).join('')
}

/** The reasoning text a span recorded, from `gen_ai.output.messages`; undefined when none. */
export function reasoningText(span: { attributes: Record<string, unknown> }): string | undefined {
  const texts = outputParts(span).filter((part) => part.type === 'reasoning')
  return texts.length === 0 ? undefined : texts.map((part) => part.content).join('')
}

/** A local HTTP receiver that keeps each request body as text and answers 200 `{}`: for tests of the exact bytes an exporter sends. */
export interface BodySink {
  /** `http://127.0.0.1:PORT/v1/traces` */
  readonly url: string
  readonly bodies: string[]
  close(): Promise<void>
}

export async function startBodySink(): Promise<BodySink> {
  const bodies: string[] = []
  const server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      bodies.push(body)
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * A body sink for the enclosing suite: started before its tests, closed after them (vitest hooks).
 * `url` and `bodies` are read inside the tests.
 */
export function bodySinkForSuite(): { readonly url: string; readonly bodies: string[] } {
  let sink: BodySink | undefined
  beforeAll(async () => {
    sink = await startBodySink()
  })
  afterAll(() => sink?.close())
  return {
    get url() {
      return sink!.url
    },
    get bodies() {
      return sink!.bodies
    },
  }
}

/**
 * Puts a counter in front of each integration in the AI SDK's global list: every handler the SDK
 * reads from it and calls is noted by name. Made after the middlewares (a new middleware puts a
 * new integration in place of the counted one).
 */
export function countHandlerCalls(): string[] {
  const called: string[] = []
  const list = (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS as object[]
  list.forEach((integration, i) => {
    list[i] = new Proxy(integration, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver)
        if (typeof value !== 'function') return value
        return function (this: unknown, ...args: unknown[]) {
          called.push(String(key))
          return value.apply(this, args)
        }
      },
    })
  })
  return called
}

/** The text scrub, as the span-end code hands it to the adapter (for tests of convert.ts alone). */
export const SCRUB: TextScrub = {
  text: redactSecretsInText,
  json: redactSecretsInJson,
  cut: redactCutText,
}
