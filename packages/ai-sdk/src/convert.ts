import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4Prompt,
  LanguageModelV4Usage,
} from '@ai-sdk/provider'
import { ATTR } from '@tokentrail/core/internal'

// AI SDK provider ids (`openai.chat`, `google.generative-ai`) to GenAI semconv provider names.
const PROVIDER_NAMES: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'gcp.gemini',
  'google.vertex': 'gcp.vertex_ai',
  vertex: 'gcp.vertex_ai',
  'amazon-bedrock': 'aws.bedrock',
  bedrock: 'aws.bedrock',
  azure: 'azure.ai.openai',
  mistral: 'mistral_ai',
  groq: 'groq',
  deepseek: 'deepseek',
  xai: 'x_ai',
  cohere: 'cohere',
  perplexity: 'perplexity',
}

/** The GenAI semconv provider name for an AI SDK provider id; unknown ids keep their first part. */
export function providerName(provider: string): string {
  if (typeof provider !== 'string' || provider === '') return 'unknown'
  const dot = provider.indexOf('.')
  const head = dot === -1 ? provider : provider.slice(0, dot)
  return PROVIDER_NAMES[provider] ?? PROVIDER_NAMES[head] ?? head
}

const FINISH_REASONS: Record<string, string> = {
  stop: 'stop',
  length: 'length',
  'content-filter': 'content_filter',
  'tool-calls': 'tool_call',
  error: 'error',
  interrupted: 'interrupted',
  other: 'other',
}

/** Finish reason attributes: semconv name of the unified reason, plus the provider's raw one. */
export function finishReasonAttributes(
  reason: LanguageModelV4FinishReason | string | undefined,
  attributes: Record<string, unknown>,
): void {
  if (reason === undefined || reason === null) return
  // ai@6 and older models give a plain string.
  const unified = typeof reason === 'string' ? reason : reason.unified
  const raw = typeof reason === 'string' ? undefined : reason.raw
  if (typeof unified === 'string')
    attributes[ATTR.responseFinishReasons] = [FINISH_REASONS[unified] ?? unified]
  if (typeof raw === 'string') attributes[ATTR.finishReasonRaw] = raw
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined

/** Token counts; a count the provider did not give stays undefined. */
export interface TokenCounts {
  input?: number
  output?: number
  cacheRead?: number
  cacheWrite?: number
  reasoning?: number
}

/**
 * Token counts as the GenAI conventions define them — input includes cached and cache-write
 * tokens, output includes reasoning tokens — whatever the AI SDK major and provider: the nested
 * usage of ai@6/ai@7 providers, and the flat usage of ai@5 providers, where Anthropic's input
 * leaves the cache out (cache writes only in its provider metadata) and Google's output leaves
 * the thoughts out. Missing fields stay missing.
 */
export function readUsage(
  usage: LanguageModelV4Usage | undefined,
  provider?: string,
  providerMetadata?: unknown,
): TokenCounts | undefined {
  if (!usage || typeof usage !== 'object') return undefined
  const u = usage as any
  const input = u.inputTokens
  const output = u.outputTokens
  if (typeof input === 'object' || typeof output === 'object') {
    const cacheRead = count(input?.cacheRead)
    const cacheWrite = count(input?.cacheWrite)
    const noCache = count(input?.noCache)
    const text = count(output?.text)
    const reasoning = count(output?.reasoning)
    return {
      input:
        count(input?.total) ??
        (noCache === undefined ? undefined : noCache + (cacheRead ?? 0) + (cacheWrite ?? 0)),
      output: count(output?.total) ?? (text === undefined ? undefined : text + (reasoning ?? 0)),
      cacheRead,
      cacheWrite,
      reasoning,
    }
  }
  let inputTokens = count(input)
  let outputTokens = count(output)
  const cacheRead = count(u.cachedInputTokens)
  const reasoning = count(u.reasoningTokens)
  const total = count(u.totalTokens)
  let cacheWrite: number | undefined
  if (provider === 'anthropic') {
    cacheWrite = count((providerMetadata as any)?.anthropic?.cacheCreationInputTokens)
    if (inputTokens !== undefined) inputTokens += (cacheRead ?? 0) + (cacheWrite ?? 0)
  }
  // A total that only adds up with reasoning on top says the output count left it out.
  if (
    outputTokens !== undefined &&
    reasoning !== undefined &&
    reasoning > 0 &&
    total !== undefined &&
    count(input) !== undefined &&
    total === count(input)! + outputTokens + reasoning
  )
    outputTokens += reasoning
  return { input: inputTokens, output: outputTokens, cacheRead, cacheWrite, reasoning }
}

/** Usage attributes; only known counts are set. */
export function usageAttributes(tokens: TokenCounts, attributes: Record<string, unknown>): void {
  if (tokens.input !== undefined) attributes[ATTR.usageInputTokens] = tokens.input
  if (tokens.output !== undefined) attributes[ATTR.usageOutputTokens] = tokens.output
  if (tokens.cacheRead !== undefined) attributes[ATTR.usageCacheReadInputTokens] = tokens.cacheRead
  if (tokens.cacheWrite !== undefined)
    attributes[ATTR.usageCacheCreationInputTokens] = tokens.cacheWrite
  if (tokens.reasoning !== undefined) attributes[ATTR.usageReasoningOutputTokens] = tokens.reasoning
}

/** Request attributes that hold no prompt content: call settings, tools, response format. */
export function settingsAttributes(
  params: LanguageModelV4CallOptions,
  attributes: Record<string, unknown>,
): void {
  const set = (key: string, value: unknown) => {
    if (value !== undefined && value !== null) attributes[key] = value
  }
  set(ATTR.requestTemperature, params.temperature)
  set(ATTR.requestMaxTokens, params.maxOutputTokens)
  set(ATTR.requestTopP, params.topP)
  set(ATTR.requestTopK, params.topK)
  set(ATTR.requestSeed, params.seed)
  set(ATTR.requestFrequencyPenalty, params.frequencyPenalty)
  set(ATTR.requestPresencePenalty, params.presencePenalty)
  if (Array.isArray(params.stopSequences) && params.stopSequences.length > 0)
    attributes[ATTR.requestStopSequences] = params.stopSequences
  set(ATTR.requestReasoning, params.reasoning)
  if (params.responseFormat?.type) attributes[ATTR.outputType] = params.responseFormat.type
  if (Array.isArray(params.tools) && params.tools.length > 0)
    attributes[ATTR.toolNames] = params.tools.map((tool) => tool.name)
  const choice = params.toolChoice
  if (choice?.type)
    attributes[ATTR.toolChoice] = choice.type === 'tool' ? `tool:${choice.toolName}` : choice.type
}

/** A character budget shared by every text of one recording, so a huge prompt cannot blow a span up. */
export class Budget {
  truncated = false
  constructor(private left: number) {}
  take(text: string): string {
    if (text.length <= this.left) {
      this.left -= text.length
      return text
    }
    this.truncated = true
    const kept = text.slice(0, Math.max(0, this.left))
    this.left = 0
    return kept
  }
}

type Part = Record<string, unknown>

function stringify(value: unknown): string {
  if (typeof value === 'string') return value
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function fileLike(part: any): Part {
  // Binary data never goes into a span, only what it was.
  return {
    type: 'blob',
    mime_type: part.mediaType,
    modality: String(part.mediaType ?? '').split('/')[0],
  }
}

function toolOutputText(output: any): string {
  if (!output || typeof output !== 'object') return stringify(output)
  if (output.type === 'text' || output.type === 'error-text') return String(output.value)
  if (output.type === 'execution-denied')
    return `[execution denied${output.reason ? `: ${output.reason}` : ''}]`
  return stringify(output.value ?? output)
}

// JSON texts (prompt, output) are written straight into UTF-8 bytes, which the span holds as they
// are (see `setTrustedAttributes`' `utf8`): no list of string pieces to join, and no 20 KB string
// held in the JS heap until export, where every young-generation scavenge copied it again. The
// bytes are slices of a shared slab (64 KB, or one text's size), which outlives them no longer than
// the last span holding one; readers of the attribute get the string, decoded on first read.

// Node's Buffer, found at run time through `process.getBuiltinModule` as core finds node:http
// (never a static `node:` import): its `write` encodes a one-byte string with non-ASCII characters
// (`café`) natively, where `encodeInto` goes character by character. Elsewhere `encodeInto`.
interface NodeBytes extends Uint8Array {
  write(text: string, offset: number, length: number, encoding: 'utf8'): number
}
let nodeBuffer: { allocUnsafeSlow(size: number): NodeBytes } | null | undefined

function findBuffer(): typeof nodeBuffer {
  try {
    const scope = globalThis as any
    const process = scope.process
    if (
      typeof process?.getBuiltinModule === 'function' &&
      process.release?.name === 'node' &&
      scope.Bun === undefined &&
      scope.Deno === undefined
    ) {
      const found = process.getBuiltinModule('node:buffer')?.Buffer
      if (typeof found?.allocUnsafeSlow === 'function') return found
    }
  } catch {}
  return null
}

const encoder = new TextEncoder()
const canCheckWellFormed = typeof (String.prototype as any).isWellFormed === 'function'
const SLAB = 64 * 1024
// Shorter texts are written char by char: cheaper than the call into native code.
const SHORT = 64
// By ASCII code, 1 where JSON.stringify escapes the character.
const ESCAPES = new Uint8Array(128)
for (let code = 0; code < 0x20; code++) ESCAPES[code] = 1
ESCAPES[0x22] = 1
ESCAPES[0x5c] = 1

let slab: Uint8Array | undefined
let slabWords: Int32Array | undefined
let slabUsed = 0

function newSlab(size: number): Uint8Array {
  if (nodeBuffer === undefined) nodeBuffer = findBuffer()
  // Both start at byte 0 of their own memory, which the 4-byte word scan relies on.
  const bytes = nodeBuffer ? nodeBuffer.allocUnsafeSlow(size) : new Uint8Array(size)
  slab = bytes
  slabWords = new Int32Array(bytes.buffer, bytes.byteOffset, size >>> 2)
  slabUsed = 0
  return bytes
}

/**
 * A JSON text, exactly as JSON.stringify writes it, written as UTF-8 bytes into the shared slab.
 * One writer at a time: `finish` before the next is made.
 */
export class JsonBytes {
  private buf: Uint8Array
  private words: Int32Array
  private start: number
  private pos: number

  constructor() {
    if (slab === undefined || slab.length - slabUsed < 1024) newSlab(SLAB)
    this.buf = slab!
    this.words = slabWords!
    this.start = this.pos = slabUsed
  }

  /** The bytes written; the next writer starts after them. */
  finish(): Uint8Array {
    const bytes = this.buf.subarray(this.start, this.pos)
    if (this.buf === slab) slabUsed = (this.pos + 7) & ~7
    return bytes
  }

  // Room for `extra` more bytes: a new slab (this text's bytes moved to its start) when full.
  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return
    const used = this.pos - this.start
    const size = Math.max(SLAB, (used + extra) * 2 + 7) & ~7
    const next = newSlab(size)
    next.set(this.buf.subarray(this.start, this.pos))
    this.buf = next
    this.words = slabWords!
    this.start = 0
    this.pos = used
  }

  /** Appends JSON text (well-formed: JSON.stringify output or constant pieces) as UTF-8. */
  raw(json: string): void {
    const length = json.length
    this.ensure(length * 3)
    if (length >= SHORT) {
      this.pos += this.native(json)
      return
    }
    const buf = this.buf
    let pos = this.pos
    for (let i = 0; i < length; i++) {
      const code = json.charCodeAt(i)
      if (code >= 0x80) {
        this.pos = pos
        this.pos += this.native(json.slice(i))
        return
      }
      buf[pos++] = code
    }
    this.pos = pos
  }

  /** Appends a string value as JSON, exactly as JSON.stringify writes it. */
  string(text: string): void {
    const length = text.length
    this.ensure(length * 3 + 2)
    const buf = this.buf
    const from = this.pos
    let pos = from
    buf[pos++] = 0x22
    if (length < SHORT) {
      for (let i = 0; i < length; i++) {
        const code = text.charCodeAt(i)
        if (code >= 0x80 || ESCAPES[code] === 1) {
          // Anything else than plain ASCII: the rest as JSON.stringify writes it.
          this.pos = from
          this.raw(JSON.stringify(text))
          return
        }
        buf[pos++] = code
      }
    } else if (canCheckWellFormed && (text as any).isWellFormed()) {
      this.pos = pos
      const end = pos + this.native(text)
      if (this.escapeAt(pos, end)) {
        this.pos = from
        this.raw(JSON.stringify(text))
        return
      }
      pos = end
    } else {
      this.pos = from
      this.raw(JSON.stringify(text))
      return
    }
    buf[pos++] = 0x22
    this.pos = pos
  }

  // Writes `text` (well-formed) as UTF-8 at `pos`, which has room for it; returns the byte count.
  private native(text: string): number {
    const buf = this.buf
    if (nodeBuffer) return (buf as NodeBytes).write(text, this.pos, buf.length - this.pos, 'utf8')
    return encoder.encodeInto(text, buf.subarray(this.pos)).written
  }

  // Whether UTF-8 bytes at [from, end) hold a byte JSON escapes (below 0x20, `"`, `\`). A byte of a
  // multi-byte character is 0x80 or more, never one of these.
  private escapeAt(from: number, end: number): boolean {
    const buf = this.buf
    let at = from
    while (at < end && (at & 3) !== 0) if (ESCAPES[buf[at++]!] === 1) return true
    const words = this.words
    const last = end >>> 2
    for (let i = at >>> 2; i < last; i++) {
      const word = words[i]!
      // 0x80 in each byte below 0x20 or equal to `"` or `\` (bytes from 0x80 up never flag).
      const low = word & 0x7f7f7f7f
      const quote = (word ^ 0x22222222) & 0x7f7f7f7f
      const backslash = (word ^ 0x5c5c5c5c) & 0x7f7f7f7f
      const found = ~(
        (((low + 0x60606060) | 0) & ((quote + 0x7f7f7f7f) | 0) & ((backslash + 0x7f7f7f7f) | 0)) |
        word
      )
      if ((found & 0x80808080) !== 0) return true
    }
    for (at = Math.max(at, last << 2); at < end; at++) if (ESCAPES[buf[at]!] === 1) return true
    return false
  }
}

// `{"role":"user","parts":[` for each role met.
const roleOpenings = new Map<string, string>()
function roleOpening(role: unknown): string {
  if (typeof role !== 'string') return '{"parts":['
  let opening = roleOpenings.get(role)
  if (opening === undefined) {
    opening = `{"role":${JSON.stringify(role)},"parts":[`
    if (roleOpenings.size < 64) roleOpenings.set(role, opening)
  }
  return opening
}

/** `gen_ai.system_instructions` and `gen_ai.input.messages`, each as JSON text in UTF-8 bytes. */
export interface PromptJson {
  system: Uint8Array | undefined
  messages: Uint8Array
}

// A non-text part, as the GenAI JSON schema has it.
function otherPart(part: any, budget: Budget): Part | undefined {
  switch (part?.type) {
    case 'tool-call':
      return {
        type: 'tool_call',
        id: part.toolCallId,
        name: part.toolName,
        arguments: budget.take(stringify(part.input)),
      }
    case 'tool-result':
      return {
        type: 'tool_call_response',
        id: part.toolCallId,
        response: budget.take(toolOutputText(part.output)),
      }
    case 'file':
    case 'reasoning-file':
      return fileLike(part)
    default:
      return part?.type ? { type: String(part.type) } : undefined
  }
}

/**
 * Converts the AI SDK prompt into GenAI semconv `gen_ai.system_instructions` and
 * `gen_ai.input.messages` values (JSON text as UTF-8 bytes), sharing one character budget. The
 * text is the same as `JSON.stringify` of `[{ role, parts: [{ type, content } …] }]` would give
 * (see `JsonBytes`).
 */
export function promptJson(
  prompt: LanguageModelV4Prompt,
  budget: Budget,
  from = 0,
): PromptJson | undefined {
  if (!Array.isArray(prompt)) return undefined
  // System texts are written after the messages (one writer at a time), taken from the budget in
  // prompt order all the same.
  let systemTexts: string[] | undefined
  const messages = new JsonBytes()
  messages.raw('[')
  let firstMessage = true
  for (let i = from; i < prompt.length; i++) {
    const message = prompt[i] as any
    const role = message?.role
    if (role === 'system') {
      ;(systemTexts ??= []).push(budget.take(String(message.content)))
      continue
    }
    if (!firstMessage) messages.raw(',')
    firstMessage = false
    messages.raw(roleOpening(role))
    let firstPart = true
    for (const part of (Array.isArray(message?.content) ? message.content : []) as any[]) {
      const type = part?.type
      if (type === 'text' || type === 'reasoning') {
        if (!firstPart) messages.raw(',')
        messages.raw(
          type === 'text' ? '{"type":"text","content":' : '{"type":"reasoning","content":',
        )
        messages.string(budget.take(String(part.text)))
        messages.raw('}')
      } else {
        const other = otherPart(part, budget)
        if (!other) continue
        if (!firstPart) messages.raw(',')
        messages.raw(JSON.stringify(other))
      }
      firstPart = false
    }
    messages.raw(']}')
  }
  messages.raw(']')
  const messageBytes = messages.finish()
  let system: Uint8Array | undefined
  if (systemTexts) {
    const json = new JsonBytes()
    for (let i = 0; i < systemTexts.length; i++) {
      json.raw(i === 0 ? '[{"type":"text","content":' : ',{"type":"text","content":')
      json.string(systemTexts[i]!)
      json.raw('}')
    }
    json.raw(']')
    system = json.finish()
  }
  return { system, messages: messageBytes }
}

/** What a call produced, gathered from `doGenerate` content or stream parts. */
export interface Output {
  text: string
  textLength: number
  reasoning: string
  reasoningLength: number
  toolCalls: { id: string; name: string; arguments: string }[]
  truncated: boolean
}

/** Gathers the output of a `doGenerate` result within a character budget. */
export function readContent(content: LanguageModelV4Content[], maxLength: number): Output {
  const budget = new Budget(maxLength)
  const text: string[] = []
  const reasoning: string[] = []
  let textLength = 0
  let reasoningLength = 0
  const toolCalls: Output['toolCalls'] = []
  for (const part of Array.isArray(content) ? content : []) {
    if (part.type === 'text') {
      textLength += part.text.length
      text.push(budget.take(part.text))
    } else if (part.type === 'reasoning') {
      reasoningLength += part.text.length
      reasoning.push(budget.take(part.text))
    } else if (part.type === 'tool-call')
      toolCalls.push({
        id: part.toolCallId,
        name: part.toolName,
        arguments: budget.take(String(part.input)),
      })
  }
  return {
    text: text.join(''),
    textLength,
    reasoning: reasoning.join(''),
    reasoningLength,
    toolCalls,
    truncated: budget.truncated,
  }
}

// A JSON member `,"key":value` whose value JSON.stringify would write (an undefined one it leaves out).
function member(into: JsonBytes, key: string, value: unknown): void {
  if (typeof value === 'string') {
    into.raw(`,"${key}":`)
    into.string(value)
  } else if (value !== undefined && typeof value !== 'function' && typeof value !== 'symbol')
    into.raw(`,"${key}":${stringify(value)}`)
}

/**
 * Output attributes: `gen_ai.output.messages` (the text, reasoning and tool calls, each once, as
 * UTF-8 JSON bytes in `utf8`, with a placeholder in `attributes`) and the lengths. The text, reasoning and tool calls are not repeated under `tokentrail.*` names.
 */
export function outputAttributes(
  output: Output,
  finishReason: string | undefined,
  attributes: Record<string, unknown>,
  utf8: Record<string, Uint8Array | undefined>,
): void {
  attributes[ATTR.outputTextLength] = output.textLength
  if (output.truncated) attributes[ATTR.outputTruncated] = true
  if (output.reasoningLength > 0) attributes[ATTR.reasoningTextLength] = output.reasoningLength
  if (output.reasoning === '' && output.text === '' && output.toolCalls.length === 0) return
  // The same text as JSON.stringify([{ role: 'assistant', parts, finish_reason }]).
  const json = new JsonBytes()
  json.raw('[{"role":"assistant","parts":[')
  let first = true
  if (output.reasoning !== '') {
    json.raw('{"type":"reasoning","content":')
    json.string(output.reasoning)
    json.raw('}')
    first = false
  }
  if (output.text !== '') {
    json.raw(first ? '{"type":"text","content":' : ',{"type":"text","content":')
    json.string(output.text)
    json.raw('}')
    first = false
  }
  for (const call of output.toolCalls) {
    json.raw(first ? '{"type":"tool_call"' : ',{"type":"tool_call"')
    member(json, 'id', call.id)
    member(json, 'name', call.name)
    member(json, 'arguments', call.arguments)
    json.raw('}')
    first = false
  }
  json.raw(']')
  if (finishReason) member(json, 'finish_reason', finishReason)
  json.raw('}]')
  // A placeholder, in the attribute's place; the span holds the bytes (see setTrustedAttributes).
  attributes[ATTR.outputMessages] = ''
  utf8[ATTR.outputMessages] = json.finish()
}
