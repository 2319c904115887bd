import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4Prompt,
  LanguageModelV4Usage,
} from '@ai-sdk/provider'
import type { ATTR as CORE_ATTR, StartSpanOptions } from '@tokentrail/core'
import {
  type Span,
  safeJson,
  scrubLater,
  type TextScrub,
  type Tracer,
  textScrub,
} from '@tokentrail/core/internal'
import * as ATTR from './attr.js'
import type { CALL_ATTR, TokenCounts } from './call.js'

export type { TokenCounts }

/** A name in `ATTR` or `CALL_ATTR`, or the agent name of a call span. */
export type AttributeName =
  | (typeof CORE_ATTR)[keyof typeof CORE_ATTR]
  | (typeof CALL_ATTR)[keyof typeof CALL_ATTR]
  | 'gen_ai.agent.name'

/**
 * Attributes this package writes itself, each under its name as a literal
 * (`attributes['gen_ai.usage.input_tokens']`), checked against `AttributeName`. Literal, not
 * `attributes[ATTR.usageInputTokens]`: V8 keeps an object whose keys are written as literals a fast
 * object up to 128 keys, where one whose keys come from a variable turns into a dictionary past
 * about 16 (an LLM span has 20 to 30), larger, slower to build and slower to walk for the scrub
 * and the encoder.
 */
export type OwnAttributes = { [K in AttributeName]?: unknown }

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

// Provider ids already named: an app has a few, and each LLM span would otherwise slice and look
// its id up three times (~0.2 µs). Bounded, for ids made up at run time.
const providerNames = new Map<string, string>()

/** The GenAI semconv provider name for an AI SDK provider id; unknown ids keep their first part. */
export function providerName(provider: string): string {
  if (typeof provider !== 'string' || provider === '') return 'unknown'
  let name = providerNames.get(provider)
  if (name === undefined) {
    name = nameOf(provider)
    if (providerNames.size < 64) providerNames.set(provider, name)
  }
  return name
}

function nameOf(provider: string): string {
  const dot = provider.indexOf('.')
  const head = dot === -1 ? provider : provider.slice(0, dot)
  // Vertex's Gemini models are `google.vertex.chat`: its first two parts, not `google` alone.
  const second = dot === -1 ? -1 : provider.indexOf('.', dot + 1)
  const two = second === -1 ? undefined : PROVIDER_NAMES[provider.slice(0, second)]
  return PROVIDER_NAMES[provider] ?? two ?? PROVIDER_NAMES[head] ?? head
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
  attributes: OwnAttributes,
): void {
  if (reason === undefined || reason === null) return
  // ai@6 and older models give a plain string.
  const unified = typeof reason === 'string' ? reason : reason.unified
  const raw = typeof reason === 'string' ? undefined : reason.raw
  if (typeof unified === 'string')
    attributes['gen_ai.response.finish_reasons'] = [FINISH_REASONS[unified] ?? unified]
  if (typeof raw === 'string') attributes['tokentrail.finish_reason.raw'] = raw
}

const count = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined

/**
 * Token counts as the GenAI conventions define them — input includes cached and cache-write
 * tokens, output includes reasoning tokens — whatever the AI SDK major and provider: the nested
 * usage of ai@6/ai@7 providers, and the flat usage of ai@5 providers, where Anthropic's and
 * Bedrock's input leaves the cache out (cache writes only in their provider metadata) and Google's
 * output leaves the thoughts out. Missing fields stay missing.
 */
export function readUsage(
  usage: LanguageModelV4Usage | undefined,
  provider?: string,
  providerMetadata?: unknown,
  bodyUsage?: unknown,
): TokenCounts | undefined {
  if (!usage || typeof usage !== 'object') return undefined
  const u = usage as any
  if (provider === 'cohere') {
    const tokens = readUsage(usage, undefined, providerMetadata)
    if (tokens) cohereCounts(u.raw ?? bodyUsage, tokens)
    return tokens
  }
  // Claude through @ai-sdk/anthropic's own model class, wherever it is served: Anthropic, and Vertex
  // AI (`vertex.anthropic.messages`, provider gcp.vertex_ai), whose usage is Anthropic's. Not the AI
  // Gateway, which passes an upstream's metadata on beside its own usage.
  const claude =
    provider === 'anthropic' ||
    (provider !== 'gateway' && anthropicUsage(providerMetadata) !== undefined)
  const input = u.inputTokens
  const output = u.outputTokens
  if (typeof input === 'object' || typeof output === 'object') {
    let cacheRead = count(input?.cacheRead)
    const cacheWrite = count(input?.cacheWrite)
    const noCache = count(input?.noCache)
    const text = count(output?.text)
    let reasoning = count(output?.reasoning)
    // @ai-sdk/openai@3 and @4, @ai-sdk/openai-compatible@2 and @3 (Ollama, vLLM, LM Studio,
    // Together… under the name the user gave them) and the providers built on it write 0 cached
    // and 0 reasoning tokens when the server's usage has no details, where their ai@5 majors
    // leave them unknown. Their raw usage says which it was: a 0 it does not carry is unknown.
    const raw = u.raw
    if ((cacheRead === 0 || reasoning === 0) && raw && typeof raw === 'object') {
      // Chat Completions usage, whoever serves it; Responses usage from OpenAI, Azure and xAI
      // (Anthropic's own usage has `input_tokens` too, with its cache counts beside it).
      const chat = 'prompt_tokens' in raw
      if (
        chat ||
        ('input_tokens' in raw &&
          (provider === 'openai' || provider === 'azure.ai.openai' || provider === 'x_ai'))
      ) {
        const inputDetails = chat
          ? (raw.prompt_tokens_details ?? raw.prompt_token_details)
          : raw.input_tokens_details
        const outputDetails = chat ? raw.completion_tokens_details : raw.output_tokens_details
        if (
          cacheRead === 0 &&
          count(inputDetails?.cached_tokens) === undefined &&
          // Mistral's and DeepSeek's own names for it.
          count(raw.num_cached_tokens) === undefined &&
          count(raw.prompt_cache_hit_tokens) === undefined
        )
          cacheRead = undefined
        if (reasoning === 0 && count(outputDetails?.reasoning_tokens) === undefined)
          reasoning = undefined
      }
    }
    const tokens: TokenCounts = {
      input:
        count(input?.total) ??
        (noCache === undefined ? undefined : noCache + (cacheRead ?? 0) + (cacheWrite ?? 0)),
      output: count(output?.total) ?? (text === undefined ? undefined : text + (reasoning ?? 0)),
      cacheRead,
      cacheWrite,
      reasoning,
    }
    if (claude) anthropicCounts(raw ?? anthropicUsage(providerMetadata), tokens)
    else if (provider === 'gcp.gemini' || provider === 'gcp.vertex_ai')
      geminiCounts(raw ?? geminiUsage(providerMetadata), tokens)
    else if (provider === 'aws.bedrock') bedrockCounts(raw, providerMetadata, tokens)
    return tokens
  }
  let inputTokens = count(input)
  let outputTokens = count(output)
  let cacheRead = count(u.cachedInputTokens)
  let reasoning = count(u.reasoningTokens)
  // @openrouter/ai-sdk-provider@1 writes 0 for both when OpenRouter's usage has no details; its
  // provider metadata has them only when the usage did.
  if (provider === 'openrouter' && (cacheRead === 0 || reasoning === 0)) {
    const metadata = (providerMetadata as any)?.openrouter?.usage
    if (cacheRead === 0 && metadata?.promptTokensDetails === undefined) cacheRead = undefined
    if (reasoning === 0 && metadata?.completionTokensDetails === undefined) reasoning = undefined
  }
  const total = count(u.totalTokens)
  let cacheWrite: number | undefined
  // Anthropic's and Bedrock's inputTokens leave the cache out (@ai-sdk/amazon-bedrock@3 passes
  // Bedrock's on as they are); the cache writes are in their provider metadata.
  if (claude || provider === 'aws.bedrock') {
    const metadata = providerMetadata as any
    cacheWrite = count(
      claude
        ? metadata?.anthropic?.cacheCreationInputTokens
        : metadata?.bedrock?.usage?.cacheWriteInputTokens,
    )
    if (inputTokens !== undefined) inputTokens += (cacheRead ?? 0) + (cacheWrite ?? 0)
  } else {
    // @ai-sdk/openai@2 (and Azure's, built on it) passes OpenAI's cache writes only in its provider
    // metadata; its input count has them already.
    const metadata = providerMetadata as any
    cacheWrite = count((metadata?.openai ?? metadata?.azure)?.usage?.cacheWriteTokens)
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
  const tokens: TokenCounts = {
    input: inputTokens,
    output: outputTokens,
    cacheRead,
    cacheWrite,
    reasoning,
  }
  if (claude) anthropicCounts(anthropicUsage(providerMetadata), tokens)
  else if (provider === 'gcp.gemini' || provider === 'gcp.vertex_ai')
    geminiCounts(geminiUsage(providerMetadata), tokens)
  else if (provider === 'aws.bedrock') bedrockCounts(undefined, providerMetadata, tokens)
  return tokens
}

/**
 * How many of Bedrock's cache writes went to the 1-hour cache (Claude's, billed at twice the input
 * rate where a 5-minute write is 1.25 times): its usage's `cacheDetails`, one `{ ttl, inputTokens }`
 * per cache checkpoint, which @ai-sdk/amazon-bedrock@4 and @5 pass on in their provider metadata
 * (and @5 in the raw usage); @3 (ai@5) drops them.
 */
function bedrockCounts(raw: any, providerMetadata: unknown, tokens: TokenCounts): void {
  const details = raw?.cacheDetails ?? (providerMetadata as any)?.bedrock?.usage?.cacheDetails
  if (!Array.isArray(details)) return
  let oneHour = 0
  for (const detail of details) if (detail?.ttl === '1h') oneHour += count(detail.inputTokens) ?? 0
  if (oneHour > 0) tokens.cacheWrite1h = oneHour
}

// Gemini's own usageMetadata, which @ai-sdk/google@2 passes on in its provider metadata.
const geminiUsage = (providerMetadata: unknown): any =>
  (providerMetadata as any)?.google?.usageMetadata ??
  (providerMetadata as any)?.vertex?.usageMetadata

/**
 * Gemini bills `toolUsePromptTokenCount` (what Google Search grounding or URL context fetched) as
 * input and `thoughtsTokenCount` as output (`totalTokenCount` is their sum with the prompt and
 * candidates). @ai-sdk/google@2 and @3 leave the tool-use prompt out of the input, and @2's output
 * leaves the thoughts out (its total then no longer tells): the counts come from Gemini's usage
 * itself when the AI SDK passes it on. Gemini leaves out a count that is 0.
 */
function geminiCounts(meta: any, tokens: TokenCounts): void {
  const prompt = count(meta?.promptTokenCount)
  if (prompt === undefined) return
  const candidates = count(meta.candidatesTokenCount)
  const thoughts = count(meta.thoughtsTokenCount)
  let toolUse = count(meta.toolUsePromptTokenCount)
  // @ai-sdk/google@2 drops the tool-use count from the usage it passes on; Gemini's total has it.
  const total = count(meta.totalTokenCount)
  if (toolUse === undefined && total !== undefined) {
    const rest = total - prompt - (candidates ?? 0) - (thoughts ?? 0)
    if (rest > 0) toolUse = rest
  }
  tokens.input = prompt + (toolUse ?? 0)
  if (candidates !== undefined || thoughts !== undefined)
    tokens.output = (candidates ?? 0) + (thoughts ?? 0)
  if (thoughts !== undefined) tokens.reasoning = thoughts
}

// Anthropic's own usage object, which every @ai-sdk/anthropic passes on in its provider metadata.
const anthropicUsage = (providerMetadata: unknown): any =>
  (providerMetadata as any)?.anthropic?.usage

/**
 * What Anthropic's own usage says beside the AI SDK's: how many cache writes went to its 1-hour
 * cache (billed at twice the input rate, a 5-minute one at 1.25 times), and the thinking tokens
 * (`output_tokens_details.thinking_tokens`, part of the output) that @ai-sdk/anthropic@2 does not pass on.
 */
function anthropicCounts(raw: any, tokens: TokenCounts): void {
  const oneHour = count(raw?.cache_creation?.ephemeral_1h_input_tokens)
  if (oneHour !== undefined && oneHour > 0) tokens.cacheWrite1h = oneHour
  if (tokens.reasoning === undefined) {
    const thinking = count(raw?.output_tokens_details?.thinking_tokens)
    if (thinking !== undefined) tokens.reasoning = thinking
  }
}

/**
 * Cohere's `cached_tokens` (the prompt tokens that hit its cache), which no @ai-sdk/cohere passes
 * on: from its raw usage (@3, @4) or a generate answer's body (@2, ai@5).
 */
function cohereCounts(raw: any, tokens: TokenCounts): void {
  const cached = count(raw?.cached_tokens)
  if (cached !== undefined && tokens.cacheRead === undefined) tokens.cacheRead = cached
}

/**
 * What Cohere billed for (`billed_units`: the prompt without the template Cohere wraps it in),
 * which a price is applied to; the token counts recorded are the ones it processed.
 */
export function cohereBilled(raw: unknown): TokenCounts | undefined {
  const billed = (raw as { billed_units?: { input_tokens?: unknown; output_tokens?: unknown } })
    ?.billed_units
  const input = count(billed?.input_tokens)
  const output = count(billed?.output_tokens)
  return input === undefined || output === undefined ? undefined : { input, output }
}

/**
 * The input counts a stream told before its end, from the usage of Anthropic's `message_start` (as
 * @ai-sdk/anthropic@4 passes it on: the input with the cache reads and writes, final from the
 * start) or of Gemini's last chunk read (its prompt, with the part from the cache, and what its
 * tools fetched so far). Not the output: only what was generated by then.
 */
export function startedCounts(raw: unknown): TokenCounts | undefined {
  const usage = raw as any
  const prompt = count(usage?.promptTokenCount)
  if (prompt !== undefined)
    return {
      input: prompt + (count(usage.toolUsePromptTokenCount) ?? 0),
      output: undefined,
      cacheRead: count(usage.cachedContentTokenCount),
      cacheWrite: undefined,
      reasoning: undefined,
    }
  const input = count(usage?.input_tokens)
  if (input === undefined) return undefined
  const cacheRead = count(usage.cache_read_input_tokens)
  const cacheWrite = count(usage.cache_creation_input_tokens)
  const tokens: TokenCounts = {
    input: input + (cacheRead ?? 0) + (cacheWrite ?? 0),
    output: undefined,
    cacheRead,
    cacheWrite,
    reasoning: undefined,
  }
  const oneHour = count(usage.cache_creation?.ephemeral_1h_input_tokens)
  if (oneHour !== undefined && oneHour > 0) tokens.cacheWrite1h = oneHour
  return tokens
}

/** Usage attributes; only known counts are set. */
export function usageAttributes(tokens: TokenCounts, attributes: OwnAttributes): void {
  if (tokens.input !== undefined) attributes['gen_ai.usage.input_tokens'] = tokens.input
  if (tokens.output !== undefined) attributes['gen_ai.usage.output_tokens'] = tokens.output
  if (tokens.cacheRead !== undefined)
    attributes['gen_ai.usage.cache_read.input_tokens'] = tokens.cacheRead
  if (tokens.cacheWrite !== undefined)
    attributes['gen_ai.usage.cache_creation.input_tokens'] = tokens.cacheWrite
  if (tokens.reasoning !== undefined)
    attributes['gen_ai.usage.reasoning.output_tokens'] = tokens.reasoning
}

/** Request attributes that hold no prompt content: call settings, tools, response format. */
export function settingsAttributes(
  params: LanguageModelV4CallOptions,
  attributes: OwnAttributes,
): void {
  const { temperature, maxOutputTokens, topP, topK, seed, frequencyPenalty, presencePenalty } =
    params
  if (temperature != null) attributes['gen_ai.request.temperature'] = temperature
  if (maxOutputTokens != null) attributes['gen_ai.request.max_tokens'] = maxOutputTokens
  if (topP != null) attributes['gen_ai.request.top_p'] = topP
  if (topK != null) attributes['gen_ai.request.top_k'] = topK
  if (seed != null) attributes['gen_ai.request.seed'] = seed
  if (frequencyPenalty != null) attributes['gen_ai.request.frequency_penalty'] = frequencyPenalty
  if (presencePenalty != null) attributes['gen_ai.request.presence_penalty'] = presencePenalty
  if (Array.isArray(params.stopSequences) && params.stopSequences.length > 0)
    attributes['gen_ai.request.stop_sequences'] = [...params.stopSequences]
  if (params.reasoning != null) attributes['tokentrail.request.reasoning'] = params.reasoning
  if (params.responseFormat?.type) attributes['gen_ai.output.type'] = params.responseFormat.type
  if (!Array.isArray(params.tools) || params.tools.length === 0) return
  attributes['tokentrail.request.tool_names'] = params.tools.map((tool) => tool.name)
  // Only with tools: ai@7 passes `auto` to every call, and providers send no tool choice without tools.
  const choice = params.toolChoice
  if (choice?.type)
    attributes['tokentrail.request.tool_choice'] =
      choice.type === 'tool' ? `tool:${choice.toolName}` : choice.type
}

/**
 * The first `n` UTF-16 units of `text`, one fewer where the cut would split a surrogate pair: a
 * lone half of an emoji is no text a backend can encode again (Python refuses it as UTF-8).
 */
export function headOf(text: string, n: number): string {
  const last = text.charCodeAt(n - 1)
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? n - 1 : n)
}

/**
 * A character budget shared by every text of one recording, so a huge prompt cannot blow a span
 * up; with the text scrub (see `textScrub`), for texts that need it before they are cut.
 */
export class Budget {
  truncated = false
  constructor(
    private left: number,
    readonly scrub: TextScrub,
  ) {}
  take(text: string): string {
    if (text.length <= this.left) {
      this.left -= text.length
      return text
    }
    this.truncated = true
    // A credential cut in half at the end is still one (the scrub at export sees no cut there).
    const kept = this.scrub.cut(headOf(text, Math.max(0, this.left)))
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

/**
 * Sets a tool span's result (or arguments: `key`) to `value` as tool JSON: JSON whose keys named
 * like a credential hold `[REDACTED]` (`safeJson`, taken now), its text scrubbed as tool JSON is
 * in the LLM spans' messages, so a tool span and the step that called it agree. The text scrub
 * loads after start-up: until it has, the text waits with the span (`scrubLater`).
 */
export function setToolJson(span: Span, key: string, value: unknown): void {
  const json = safeJson(value)
  const scrub = textScrub()
  if (scrub) span.setAttribute(key, scrub.json(json))
  else scrubLater(span, (late) => span.setAttribute(key, late.json(json)))
}

// The key of an inferred tool run's timing (CALL_ATTR.toolTiming; a value import of call.ts here
// would be a cycle).
const TOOL_TIMING: (typeof CALL_ATTR)['toolTiming'] = 'tokentrail.tool.timing'

/** An `execute_tool` span to start: the tool call it records, its parent and start time. */
export interface ToolSpanStart {
  name: string
  id: unknown
  dynamic?: boolean | undefined
  parent: StartSpanOptions['parent']
  startTime?: number | undefined
  /** How its timing was found (`tokentrail.tool.timing`), when inferred. */
  timing?: string | undefined
}

/**
 * Starts the `execute_tool` span of `tool`, with its arguments and result recorded as tool JSON
 * (see `setToolJson`) when given (`NOT_RECORDED`: not recorded): in the attributes it starts with
 * once the text scrub has loaded, else set from its JSON taken now as it goes to its exporters.
 */
export function startToolSpan(
  tracer: Tracer,
  tool: ToolSpanStart,
  args: unknown,
  result: unknown = NOT_RECORDED,
): Span {
  const argsJson = args === NOT_RECORDED ? undefined : safeJson(args ?? null)
  const resultJson = result === NOT_RECORDED ? undefined : safeJson(result)
  const scrub = textScrub()
  const attributes: Record<string, unknown> = {
    [ATTR.operationName]: 'execute_tool',
    [ATTR.toolName]: tool.name,
    [ATTR.toolCallId]: tool.id,
    [ATTR.toolType]: tool.dynamic ? 'extension' : 'function',
  }
  if (tool.timing !== undefined) attributes[TOOL_TIMING] = tool.timing
  if (scrub) {
    if (argsJson !== undefined) attributes[ATTR.toolCallArguments] = scrub.json(argsJson)
    if (resultJson !== undefined) attributes[ATTR.toolCallResult] = scrub.json(resultJson)
  }
  const span = tracer.startSpan(`execute_tool ${tool.name}`, {
    kind: 'tool',
    parent: tool.parent,
    startTime: tool.startTime,
    attributes,
  })
  if (!scrub && (argsJson !== undefined || resultJson !== undefined))
    scrubLater(span, (late) => {
      if (argsJson !== undefined) span.setAttribute(ATTR.toolCallArguments, late.json(argsJson))
      if (resultJson !== undefined) span.setAttribute(ATTR.toolCallResult, late.json(resultJson))
    })
  return span
}

/** What `startToolSpan` takes for arguments or a result a call does not record. */
export const NOT_RECORDED: unique symbol = Symbol('not recorded')

function toolOutputText(output: any): string {
  if (!output || typeof output !== 'object') return stringify(output)
  if (output.type === 'text' || output.type === 'error-text') return String(output.value)
  if (output.type === 'execution-denied')
    return `[execution denied${output.reason ? `: ${output.reason}` : ''}]`
  return stringify(output.value ?? output)
}

// Text with nothing JSON.stringify would escape: no control character, quote, backslash or
// surrogate (pairs take the slow path too, which is still exact). Anchored, so the engine runs
// one tight loop over the allowed characters: ~0.6 ns a character, where the negated class that
// looked for the first bad one took ~1 ns.
const PLAIN = /^[\u0020\u0021\u0023-\u005b\u005d-\ud7ff\ue000-\uffff]*$/

// On Node, a long text is checked faster than the regex can (20 KB of chat in ~4 µs, not ~15):
// quotes and backslashes by the engine's indexOf (a native search for one character), lone
// surrogates by isWellFormed, and control characters by a loop over the text's bytes: Buffer's
// latin1Write copies each character's low byte into a scratch buffer natively, and the loop reads it
// 32 bytes at a time for one below 0x20. A control character is itself below 0x100, so it is never
// missed; a wider character whose low byte looks like one (U+010A) is told apart by its code.
// Found at run time through `process.getBuiltinModule`, as core finds node:http: never a static
// `node:` import; elsewhere the regex alone.
interface Latin1Scratch {
  write(text: string, offset: number, length: number, encoding: 'latin1'): number
  latin1Write?(text: string, offset: number, length: number): number
}
let scratchBuffer: { allocUnsafeSlow(size: number): Latin1Scratch & Uint8Array } | null | undefined
let scratch: (Latin1Scratch & Uint8Array) | undefined
let scratchWords: Int32Array | undefined
// Buffer#latin1Write when there is one: Buffer#write with 'latin1' goes through a lookup of the
// encoding and argument checks first, ~20 ns a text (a chat of 50 messages pays it 50 times).
let direct = false

function findBuffer(): typeof scratchBuffer {
  try {
    const scope = globalThis as any
    const process = scope.process
    if (
      typeof process?.getBuiltinModule === 'function' &&
      process.release?.name === 'node' &&
      scope.Bun === undefined &&
      scope.Deno === undefined &&
      typeof (String.prototype as any).isWellFormed === 'function'
    ) {
      const found = process.getBuiltinModule('node:buffer')?.Buffer
      if (typeof found?.allocUnsafeSlow === 'function') return found
    }
  } catch {}
  return null
}

/**
 * Copies the low byte of each character of `text` into the scratch buffer (from its start); false
 * where there is no scratch buffer (not Node, or a text past 64K characters: the buffer stays small).
 */
function toScratch(text: string, length: number): boolean {
  if (length > 1 << 16) return false
  if (scratchBuffer === undefined) scratchBuffer = findBuffer()
  if (!scratchBuffer) return false
  if (!scratch || scratch.length < length + 32) {
    scratch = scratchBuffer.allocUnsafeSlow(length + 32 <= 16 * 1024 ? 16 * 1024 : (1 << 16) + 32)
    scratchWords = new Int32Array(scratch.buffer, scratch.byteOffset, scratch.length >>> 2)
    direct = typeof scratch.latin1Write === 'function'
  }
  const written = direct
    ? scratch.latin1Write!(text, 0, length)
    : scratch.write(text, 0, length, 'latin1')
  return written === length
}

// 0x80 in each byte of a word below 0x20 (bytes from 0x80 up never flag): exact per byte, as the
// sum of a byte's low 7 bits and 0x60 never carries into the next byte.
const below20 = (word: number): number => ~(((word & 0x7f7f7f7f) + 0x60606060) | 0 | word)

// 0x80 in each byte of a word that is `"` or `\`, or (with `controls` -1, else 0) below 0x20: as
// below20, exact per byte.
function escapeFlags(word: number, controls: number): number {
  const quote = (((word ^ 0x22222222) & 0x7f7f7f7f) + 0x7f7f7f7f) | 0
  const backslash = (((word ^ 0x5c5c5c5c) & 0x7f7f7f7f) + 0x7f7f7f7f) | 0
  return (
    ~(((((word & 0x7f7f7f7f) + 0x60606060) | ~controls) & quote & backslash) | word) & 0x80808080
  )
}

function isPlain(text: string): boolean {
  const length = text.length
  if (length < 64) return PLAIN.test(text)
  if (text.indexOf('"') !== -1 || text.indexOf('\\') !== -1 || !(text as any).isWellFormed())
    return false
  if (!toScratch(text, length)) return PLAIN.test(text)
  const words = scratchWords!
  // The words past the text's end hold other bytes: only whole words are read here.
  const full = length >>> 2
  let i = 0
  // Eight words a turn, one test: the test, not the arithmetic, is what a word-at-a-time loop waits on.
  while (i < full) {
    const start = i
    const end = i + 8 <= full ? i + 8 : full
    let found = 0
    for (; i < end; i++) found |= below20(words[i]!)
    // A byte below 0x20 is a control character, or the low byte of a wider one (U+010A).
    if ((found & 0x80808080) !== 0)
      for (let at = start << 2; at < end << 2; at++)
        if (scratch![at]! < 0x20 && text.charCodeAt(at) < 0x20) return false
  }
  for (i = full << 2; i < length; i++) if (text.charCodeAt(i) < 0x20) return false
  return true
}

// The next word from `w` with a byte to escape (`last` when none).
function nextEscape(words: Int32Array, w: number, last: number, controls: number): number {
  while (w < last && escapeFlags(words[w]!, controls) === 0) w++
  return w
}

/**
 * `text` (well-formed: no lone surrogate) with each character escaped that `quotes` says: `"` and
 * `\` (quotes), or everything JSON.stringify escapes. Found 4 bytes at a time in the low bytes of
 * its characters, where a regex takes ~2 ns a character (a prompt with a newline per sentence,
 * escaped, and its JSON text's backslashes escaped once more at export: ~100 µs for 20 KB, now
 * ~30). The pieces are appended (a rope, flattened by the join of the whole JSON text): a join per
 * text cost more. Undefined where there is no scratch buffer, or when escapes are dense (a JSON
 * document quoted in a prompt), where the engine's replace is faster.
 */
function scannedEscapes(text: string, quotes: boolean): string | undefined {
  const length = text.length
  if (!toScratch(text, length)) return undefined
  const words = scratchWords!
  const last = (length + 3) >>> 2
  let out = ''
  let from = 0
  let count = 0
  const controls = quotes ? 0 : -1
  for (
    let w = nextEscape(words, 0, last, controls);
    w < last;
    w = nextEscape(words, w + 1, last, controls)
  ) {
    let flags = escapeFlags(words[w]!, controls)
    do {
      const at = (w << 2) + ((31 - Math.clz32(flags & -flags)) >>> 3)
      flags &= flags - 1
      // The bytes after the text's last character are not its own.
      if (at >= length) break
      const code = text.charCodeAt(at)
      // The low byte of a wider character (U+0122) is no escape.
      if (code !== 0x22 && code !== 0x5c && (quotes || code >= 0x20)) continue
      // Denser so far than one in 16 characters: the replace is faster (and the scan stops early).
      if (++count > (at >>> 4) + 16) return undefined
      out +=
        text.slice(from, at) + (quotes ? (code === 0x22 ? '\\"' : '\\\\') : escapeChar(text[at]!))
      from = at + 1
    } while (flags !== 0)
  }
  return from === 0 ? text : from < length ? out + text.slice(from) : out
}

/** `text` as JSON.stringify escapes it, without the quotes. */
function escapeText(text: string): string {
  return (
    (text.length >= 64 && (text as any).isWellFormed?.() === true
      ? scannedEscapes(text, false)
      : undefined) ?? text.replace(ESCAPED, escapeChar)
  )
}

/** JSON text with its quotes and backslashes escaped once more (for inside a JSON string). */
function escapeQuotes(json: string): string {
  return (
    (json.length >= 64 ? scannedEscapes(json, true) : undefined) ??
    json.replace(QUOTE_OR_BACKSLASH, '\\$&')
  )
}

// What JSON.stringify escapes in a string: quote, backslash, control characters, lone surrogates.
const ESCAPED =
  /["\\\u0000-\u001f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g
// What JSON.stringify escapes in text it wrote itself: no control character or lone surrogate is
// left there, only quotes and backslashes.
const QUOTE_OR_BACKSLASH = /["\\]/g
const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
}
// A character's escape in the JSON text.
const escapes = new Map<string, string>()
function escapeChar(char: string): string {
  let form = escapes.get(char)
  if (form === undefined) {
    form = SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
    if (escapes.size < 4096) escapes.set(char, form)
  }
  return form
}

/** A piece of JSON text and its form escaped for inside a JSON string. */
interface Piece {
  json: string
  escaped: string
}

/** `json` with its escaped form; for constants, made once. */
function piece(json: string): Piece {
  return { json, escaped: JSON.stringify(json).slice(1, -1) }
}

// Texts shorter than this are escaped by the encoder itself (core keeps no escaped form for them).
const ESCAPED_FORM_FROM = 1024

// Parts of an escaped form: the pieces of its text, then their join. Module-wide: a form is made
// while the encoder writes it, one at a time, and the list is emptied after each.
const formParts: string[] = []

/**
 * A JSON text, exactly as JSON.stringify writes it, gathered as a list of pieces and joined once
 * when first read: one flat string of the final size (appending made a rope of a thousand pieces
 * for a long history, flattened later, and both cost more in garbage collection than the join).
 *
 * It also knows the text's escaped form, for inside a JSON string: what the OTLP JSON encoder
 * writes (see `setTrustedAttributes`), made only when the encoder asks (`escapedForm`). It keeps
 * how to make it, not the form: each constant piece's escaped twin (made once per constant), and
 * where each message text sits in the JSON text. A text with nothing to escape (most) is the same
 * in both forms, so the encoder's copy is a slice of the JSON text, never a scan for quotes and
 * backslashes (~15 µs for a 20 KB history); one with escapes has its quotes and backslashes
 * escaped once more, the only characters JSON.stringify's output can hold that need it. Nothing
 * of the prompt is held until export beyond the JSON text itself: a text from the request (a
 * string the app lets go of when the call ends) is not kept alive by the span.
 */
export class JsonText {
  private pieces: string[] | undefined = []
  // Escaped constant pieces (strings), and for each run of JSON text made at run time, its start
  // and end in the JSON text (two numbers, the end as ~end when its quotes and backslashes need
  // escaping once more).
  private readonly layout: (string | number)[] = []
  private length = 0
  private joined: string | undefined
  // The last piece appended, when it was a constant: the end of a part may then close its message
  // in the same piece (see `close`).
  private lastPiece: Piece | undefined

  /** The JSON text; read it once everything is appended. */
  get json(): string {
    if (this.joined === undefined) {
      this.joined = this.pieces!.join('')
      this.pieces = undefined
    }
    return this.joined
  }

  /**
   * A function that makes the escaped form of `json` (no quotes around it) from the JSON text when
   * the encoder calls it: what JSON.stringify(json).slice(1, -1) gives. Undefined for a short text,
   * which the encoder escapes faster than it would keep the function (see setTrustedAttributes).
   */
  get escapedForm(): (() => string) | undefined {
    return this.json.length < ESCAPED_FORM_FROM ? undefined : () => this.escaped()
  }

  /** The escaped form of `json`, without the quotes around it. */
  escaped(): string {
    const json = this.json
    const layout = this.layout
    const parts = formParts
    try {
      for (let i = 0; i < layout.length; i++) {
        const entry = layout[i]!
        if (typeof entry === 'string') {
          parts.push(entry)
          continue
        }
        const end = layout[++i] as number
        if (end >= 0) parts.push(json.slice(entry, end))
        else parts.push(escapeQuotes(json.slice(entry, ~end)))
      }
      return parts.join('')
    } finally {
      parts.length = 0
    }
  }

  /** Appends a constant piece of JSON text. */
  raw(part: Piece): void {
    this.pieces!.push(part.json)
    this.layout.push(part.escaped)
    this.length += part.json.length
    this.lastPiece = part
  }

  /** Appends JSON text that JSON.stringify wrote (of a value): no control character in it. */
  rawJson(json: string): void {
    this.run(json, false)
  }

  /** Appends JSON text made some other way. */
  rawText(json: string): void {
    this.pieces!.push(json)
    this.layout.push(JSON.stringify(json).slice(1, -1))
    this.length += json.length
    this.lastPiece = undefined
  }

  /**
   * Appends `closing`, or `merged` in place of the last piece when that was `after`: one piece
   * for the end of a text part and of its message.
   */
  close(after: Piece, merged: Piece, closing: Piece): void {
    if (this.lastPiece !== after) {
      this.raw(closing)
      return
    }
    const pieces = this.pieces!
    pieces[pieces.length - 1] = merged.json
    this.layout[this.layout.length - 1] = merged.escaped
    this.length += merged.json.length - after.json.length
    this.lastPiece = merged
  }

  /** Appends the inside of a JSON string: `text` as JSON.stringify escapes it, without the quotes. */
  content(text: string): void {
    if (isPlain(text)) this.run(text, true)
    // One whole string, not a piece per escape: a prompt with a newline per sentence would make
    // thousands of pieces (and layout entries, held until export).
    else this.run(escapeText(text), false)
  }

  // A run of JSON text made at run time; `plain` when its escaped form is itself.
  private run(json: string, plain: boolean): void {
    this.pieces!.push(json)
    const start = this.length
    const end = start + json.length
    this.length = end
    if (end > start) this.layout.push(start, plain ? end : ~end)
    this.lastPiece = undefined
  }
}

const QUOTE = piece('"')
// A text part's closing quote and brace; with the end of its message; and that end alone.
const PART_END = piece('"}')
const PART_AND_MESSAGE_END = piece('"}]}')
const MESSAGE_END = piece(']}')
const COMMA = piece(',')
const TEXT_OPENING = piece('{"type":"text","content":"')
const REASONING_OPENING = piece('{"type":"reasoning","content":"')
const NEXT_TEXT_OPENING = piece(',{"type":"text","content":"')
const NEXT_REASONING_OPENING = piece(',{"type":"reasoning","content":"')
const ARRAY_START = piece('[')
const ARRAY_END = piece(']')
const SYSTEM_START = piece('[{"type":"text","content":"')

// The opening of a message of one role, first in the list or after another, alone or with the
// opening of a first text or reasoning part: `,{"role":"user","parts":[{"type":"text","content":"`.
interface RoleOpenings {
  message: Piece
  nextMessage: Piece
  text: Piece
  nextText: Piece
  reasoning: Piece
  nextReasoning: Piece
}
const roleOpenings = new Map<string, RoleOpenings>()
const NO_ROLE = openingsOf('{"parts":[')
function openingsOf(message: string): RoleOpenings {
  return {
    message: piece(message),
    nextMessage: piece(`,${message}`),
    text: piece(message + TEXT_OPENING.json),
    nextText: piece(`,${message}${TEXT_OPENING.json}`),
    reasoning: piece(message + REASONING_OPENING.json),
    nextReasoning: piece(`,${message}${REASONING_OPENING.json}`),
  }
}
function roleOpening(role: unknown): RoleOpenings {
  if (typeof role !== 'string') return NO_ROLE
  let openings = roleOpenings.get(role)
  if (openings === undefined) {
    openings = openingsOf(`{"role":${JSON.stringify(role)},"parts":[`)
    if (roleOpenings.size < 64) roleOpenings.set(role, openings)
  }
  return openings
}

/**
 * The prompt's messages from `from` on as `promptJson` reads them, taken now, for JSON made later
 * (a span that ends before the text scrub has loaded): each part copied (`partAsNow`). The AI SDK
 * hands the same objects to the app (`result.steps`, `response.messages`), which may change them
 * in place before then.
 */
export const promptAsNow = (prompt: LanguageModelV4Prompt, from: number): LanguageModelV4Prompt =>
  Array.isArray(prompt)
    ? (prompt.map((message: any, i) =>
        i < from || !Array.isArray(message?.content)
          ? message
          : { ...message, content: message.content.map(partAsNow) },
      ) as LanguageModelV4Prompt)
    : prompt

/**
 * A part of a prompt or of a generate result, copied as it reads now: a tool call's input and a
 * tool result's output as the text they give now.
 */
export const partAsNow = (part: any): any =>
  part?.type === 'tool-call'
    ? { ...part, input: stringify(part.input) }
    : part?.type === 'tool-result'
      ? { ...part, output: { type: 'text', value: toolOutputText(part.output) } }
      : { ...part }

/** `gen_ai.system_instructions` and `gen_ai.input.messages`, each as JSON text. */
export interface PromptJson {
  system: JsonText | undefined
  messages: JsonText
}

// A non-text part, as the GenAI JSON schema has it.
function otherPart(part: any, budget: Budget): Part | undefined {
  switch (part?.type) {
    case 'tool-call':
      return {
        type: 'tool_call',
        id: part.toolCallId,
        name: part.toolName,
        arguments: budget.take(budget.scrub.json(stringify(part.input))),
      }
    case 'tool-result':
      return {
        type: 'tool_call_response',
        id: part.toolCallId,
        response: budget.take(budget.scrub.json(toolOutputText(part.output))),
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
 * `gen_ai.input.messages` values (JSON text), sharing one character budget. The text is the
 * same as `JSON.stringify` of `[{ role, parts: [{ type, content } …] }]` would give (see
 * `JsonText`).
 */
export function promptJson(
  prompt: LanguageModelV4Prompt,
  budget: Budget,
  from = 0,
): PromptJson | undefined {
  if (!Array.isArray(prompt)) return undefined
  let system: JsonText | undefined
  const messages = new JsonText()
  messages.raw(ARRAY_START)
  let firstMessage = true
  for (let i = from; i < prompt.length; i++) {
    const message = prompt[i] as any
    const role = message?.role
    if (role === 'system') {
      if (system) system.raw(NEXT_TEXT_OPENING)
      else {
        system = new JsonText()
        system.raw(SYSTEM_START)
      }
      system.content(budget.take(String(message.content)))
      system.raw(PART_END)
      continue
    }
    const openings = roleOpening(role)
    // The message's opening is written with its first part's when that is text or reasoning.
    let opened = false
    for (const part of (Array.isArray(message?.content) ? message.content : []) as any[]) {
      const type = part?.type
      if (type === 'text' || type === 'reasoning') {
        const text = type === 'text'
        if (opened) messages.raw(text ? NEXT_TEXT_OPENING : NEXT_REASONING_OPENING)
        else if (firstMessage) messages.raw(text ? openings.text : openings.reasoning)
        else messages.raw(text ? openings.nextText : openings.nextReasoning)
        opened = true
        messages.content(budget.take(String(part.text)))
        messages.raw(PART_END)
      } else {
        const other = otherPart(part, budget)
        if (!other) continue
        if (opened) messages.raw(COMMA)
        else messages.raw(firstMessage ? openings.message : openings.nextMessage)
        opened = true
        messages.rawJson(JSON.stringify(other))
      }
      firstMessage = false
    }
    if (!opened) {
      messages.raw(firstMessage ? openings.message : openings.nextMessage)
      firstMessage = false
    }
    messages.close(PART_END, PART_AND_MESSAGE_END, MESSAGE_END)
  }
  messages.raw(ARRAY_END)
  if (system) system.raw(ARRAY_END)
  return { system, messages }
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

/**
 * Gathers the output of a `doGenerate` result, cut as a stream's is: the text and the reasoning
 * each up to `maxLength` characters, and each tool call's arguments.
 */
export function readContent(
  content: LanguageModelV4Content[],
  maxLength: number,
  scrub: TextScrub,
): Output {
  const textBudget = new Budget(maxLength, scrub)
  const reasoningBudget = new Budget(maxLength, scrub)
  let truncated = false
  const text: string[] = []
  const reasoning: string[] = []
  let textLength = 0
  let reasoningLength = 0
  const toolCalls: Output['toolCalls'] = []
  for (const part of Array.isArray(content) ? content : []) {
    if (part.type === 'text') {
      textLength += part.text.length
      text.push(textBudget.take(part.text))
    } else if (part.type === 'reasoning') {
      reasoningLength += part.text.length
      reasoning.push(reasoningBudget.take(part.text))
    } else if (part.type === 'tool-call') {
      const budget = new Budget(maxLength, scrub)
      toolCalls.push({
        id: part.toolCallId,
        name: part.toolName,
        arguments: budget.take(scrub.json(String(part.input))),
      })
      if (budget.truncated) truncated = true
    }
  }
  return {
    text: text.join(''),
    textLength,
    reasoning: reasoning.join(''),
    reasoningLength,
    toolCalls,
    truncated: truncated || textBudget.truncated || reasoningBudget.truncated,
  }
}

// The members of a tool call part and of the message, each a key with the quote that opens a
// string value.
const MEMBER_OPENINGS = {
  id: piece(',"id":"'),
  name: piece(',"name":"'),
  arguments: piece(',"arguments":"'),
  finish_reason: piece(',"finish_reason":"'),
}
const OUTPUT_START = piece('[{"role":"assistant","parts":[')
const TOOL_CALL_START = piece('{"type":"tool_call"')
const NEXT_TOOL_CALL_START = piece(',{"type":"tool_call"')
const PARTS_END = piece(']')
const OBJECT_END = piece('}')
const OUTPUT_END = piece('}]')

// A JSON member `,"key":value` whose value JSON.stringify would write (an undefined one it leaves out).
function member(into: JsonText, key: keyof typeof MEMBER_OPENINGS, value: unknown): void {
  if (typeof value === 'string') {
    into.raw(MEMBER_OPENINGS[key])
    into.content(value)
    into.raw(QUOTE)
  } else if (value !== undefined && typeof value !== 'function' && typeof value !== 'symbol')
    into.rawText(`,"${key}":${stringify(value)}`)
}

/**
 * Output attributes: `gen_ai.output.messages` (the text, reasoning and tool calls, each once) and
 * the lengths. The text, reasoning and tool calls are not repeated under `tokentrail.*` names.
 * Returns the escaped form of the messages for the encoder, when they are long (see `JsonText`).
 */
export function outputAttributes(
  output: Output,
  finishReason: string | undefined,
  attributes: OwnAttributes,
): (() => string) | undefined {
  attributes['tokentrail.output.text_length'] = output.textLength
  if (output.truncated) attributes['tokentrail.output.truncated'] = true
  if (output.reasoningLength > 0)
    attributes['tokentrail.reasoning.text_length'] = output.reasoningLength
  if (output.reasoning === '' && output.text === '' && output.toolCalls.length === 0)
    return undefined
  // The same text as JSON.stringify([{ role: 'assistant', parts, finish_reason }]).
  const json = new JsonText()
  json.raw(OUTPUT_START)
  let first = true
  if (output.reasoning !== '') {
    json.raw(REASONING_OPENING)
    json.content(output.reasoning)
    json.raw(PART_END)
    first = false
  }
  if (output.text !== '') {
    json.raw(first ? TEXT_OPENING : NEXT_TEXT_OPENING)
    json.content(output.text)
    json.raw(PART_END)
    first = false
  }
  for (const call of output.toolCalls) {
    json.raw(first ? TOOL_CALL_START : NEXT_TOOL_CALL_START)
    member(json, 'id', call.id)
    member(json, 'name', call.name)
    member(json, 'arguments', call.arguments)
    json.raw(OBJECT_END)
    first = false
  }
  json.raw(PARTS_END)
  if (finishReason) member(json, 'finish_reason', finishReason)
  json.raw(OUTPUT_END)
  attributes['gen_ai.output.messages'] = json.json
  return json.escapedForm
}
