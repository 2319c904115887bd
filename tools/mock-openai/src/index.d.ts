/** A request as the mock sees it, the same for chat completions and the Responses API. */
export interface MockRequest {
  api: 'chat' | 'responses'
  model: string
  stream: boolean
  includeUsage: boolean
  /** System and developer messages (or `instructions`), joined. */
  instructions: string
  messages: { role: string; text: string; callId?: string }[]
  tools: { name: string; parameters?: unknown }[]
}

/** The usage the mock reports, in its own words (each API gets its own field names). */
export interface MockUsage {
  /** Words in the instructions and every message. */
  inputTokens: number
  cachedInputTokens: number
  /** Of the input, written to the prompt cache (0: not reported). */
  cacheWriteTokens: number
  /** Chunks streamed: text deltas, or tool-argument pieces. */
  outputTokens: number
  reasoningTokens: number
  totalTokens: number
}

/** One request the server received and what it answered. */
export interface MockCall {
  api: 'chat' | 'responses'
  path: string
  /** The parsed request body. */
  body: any
  stream: boolean
  /** True when the client went away before the reply was complete. */
  aborted: boolean
  /** HTTP status sent, or `'stream-error'` after a `[fail-stream]` error event. */
  status: number | 'stream-error'
  /** The full text of the reply ('' for a tool call). */
  text?: string
  toolCall?: { id: string; name: string; arguments: string }
  /** The usage the reply carries; undefined with `usage: false`. */
  usage?: MockUsage
  /** The model named in the reply. */
  model?: string
  responseId?: string
}

type PerRequest<T> =
  | T
  | ((request: MockRequest & { tool?: { name: string; parameters?: unknown } }) => T | undefined)

export interface MockOpenAIOptions {
  /** @default 0 (an ephemeral port) */
  port?: number
  /** @default '127.0.0.1' */
  host?: string
  /** Wait before the first text or tool-argument delta (after headers). @default 0 */
  firstChunkDelayMs?: number
  /** Wait between later deltas. @default 0 */
  chunkDelayMs?: number
  /** Reply text. @default `You said: <last user message>`, or `The tool returned <output>.` after a tool result */
  reply?: PerRequest<string>
  /** Chat API: the `finish_reason` of a tool-call answer (some OpenAI-compatible servers send `stop`). @default 'tool_calls' */
  toolCallFinishReason?: PerRequest<string>
  /** A tool to call by name whatever the messages say (a later step that calls a tool again); `undefined` from the function: as the messages say. */
  toolCall?: PerRequest<string>
  /** The id of a tool call (some OpenAI-compatible servers number them per response, `call_0`). @default `call_<random>` */
  toolCallId?: PerRequest<string>
  /** Arguments of a tool call. @default made from the tool's JSON schema (strings: the prompt's last word, numbers: 42) */
  toolArguments?: PerRequest<Record<string, unknown> | string>
  /** Input tokens written to the prompt cache, reported as `cache_write_tokens` (part of the input). @default 0 (not reported) */
  cacheWriteTokens?: PerRequest<number>
  /** Cached input tokens to report. @default 0 */
  cachedInputTokens?: PerRequest<number>
  /** `false` leaves usage out of the reply entirely. @default true */
  usage?: PerRequest<boolean>
  /** The model the reply names. @default the requested model */
  responseModel?: PerRequest<string>
  /** HTTP status to answer with instead of a reply (an error body follows; 429 says `retry-after-ms: 10`). @default 200 */
  status?: PerRequest<number>
  /** Streaming only: `true` streams half of the chunks, then an error event, as `[fail-stream]` in the message does. @default false */
  failStream?: PerRequest<boolean>
  /** Called for each request once its body is parsed. */
  onRequest?: (call: MockCall) => void
}

export interface MockOpenAI {
  /** Base URL for `createOpenAI({ baseURL })`, e.g. `http://127.0.0.1:PORT/v1`. */
  readonly url: string
  /** `http://127.0.0.1:PORT` */
  readonly origin: string
  readonly port: number
  /** Every request body received, in order. */
  readonly requests: any[]
  /** Every request with what was answered, in order. */
  readonly calls: MockCall[]
  /** Forgets recorded requests and calls. */
  reset(): void
  /** Stops the server and drops open connections. */
  close(): Promise<void>
}

/** Starts a local OpenAI-compatible server on 127.0.0.1 (chat completions and Responses API). */
export function startMockOpenAI(options?: MockOpenAIOptions): Promise<MockOpenAI>
export function countWords(text: string): number
export function splitIntoChunks(text: string): string[]
export function normalizeRequest(api: 'chat' | 'responses', body: any): MockRequest
export function defaultReply(request: MockRequest): string
export function exampleArguments(schema: unknown, words?: string[]): Record<string, unknown>
