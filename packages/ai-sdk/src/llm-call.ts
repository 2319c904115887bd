import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Content,
  LanguageModelV4FinishReason,
  LanguageModelV4GenerateResult,
  LanguageModelV4StreamPart,
  LanguageModelV4Usage,
} from '@ai-sdk/provider'
import type { EndingInfo, Span, SpanStatus, Tracer } from '@tokentrail/core'
import {
  now,
  scrubLater,
  setTrustedAttributes,
  type TextScrub,
  textScrub,
} from '@tokentrail/core/internal'
import { AiCall, type StepReport, settleLater, settleStarts, spanName } from './call.js'
import {
  Budget,
  cohereBilled,
  finishReasonAttributes,
  headOf,
  type Output,
  type OwnAttributes,
  outputAttributes,
  partAsNow,
  promptAsNow,
  promptJson,
  providerName,
  readContent,
  readUsage,
  settingsAttributes,
  startedCounts,
  type TokenCounts,
  usageAttributes,
} from './convert.js'
import { abortCause, type CancelCause, isRetryable, recordFailure, stoppedBy } from './errors.js'
import { metadataAttributes, type TraceMetadata } from './metadata.js'
import { closed, type OpenInvocation, type Owner, opened } from './nested.js'
import { llmAttributes } from './own-attributes.js'
import { cachedPrice, computeCost, type PriceTable, reportedCost } from './prices.js'
import { type Reading, unwatchReading } from './stall.js'

/** Settings of one middleware, resolved for one call. */
export interface CallSettings {
  recordInputs: boolean
  recordOutputs: boolean
  maxTextLength: number
  prices: PriceTable | undefined
  /** The `prices` the user passed (undefined without): a price they gave wins over a billed cost. */
  ownPrices: PriceTable | undefined
  metadata: TraceMetadata | undefined
}

// The tool call ids of a step that asked for none (never written to).
const NO_IDS: string[] = []

// After the microtasks and I/O of this turn of the event loop: `setImmediate` where the runtime
// has a working one (no timer to schedule), else a zero timeout. Next's Edge Runtime defines a
// `setImmediate` that throws: then timeouts from there on.
let immediate = typeof (globalThis as { setImmediate?: unknown }).setImmediate === 'function'
export function nextTurn(fn: () => void): void {
  if (immediate)
    try {
      ;(globalThis as unknown as { setImmediate: (fn: () => void) => unknown }).setImmediate(fn)
      return
    } catch {
      immediate = false
    }
  setTimeout(fn, 0)
}

// Streams begun since the last turn of the event loop, whose spans are made on the next one.
let toOpen: LlmCall[] = []

function openAll(): void {
  // Their bookkeeping first, oldest first (and the list of it let go).
  settleStarts()
  const calls = toOpen
  toOpen = []
  for (const call of calls)
    try {
      call.open()
    } catch {}
}

function openSoon(llm: LlmCall, call: AiCall): void {
  // Opened ones stay listed until the call ends (opening again does nothing): no delete per stream.
  if (call instanceof AiCall) call.listStream(llm)
  else {
    // A call of an older copy of this package (another class) lists them in its array.
    const older = call as { unopened?: unknown[] }
    if (older.unopened) older.unopened.push(llm)
    else older.unopened = [llm]
  }
  if (toOpen.push(llm) === 1)
    try {
      nextTurn(openAll)
    } catch {
      // No way to come back later: the spans are made now rather than never.
      openAll()
    }
}

/** The part of an LLM call's record a stream of text fills only at its end (see LlmCall.tail). */
class Tail {
  lastChunkAt: number | undefined
  reasoning: string[] | undefined
  reasoningLength = 0
  toolCalls: Output['toolCalls'] | undefined
  truncated = false
  usage: LanguageModelV4Usage | undefined
  // The usage a stream told before its end: Anthropic's as it began (see `observe`), Gemini's so
  // far (see `geminiChunk`).
  startUsage: unknown
  // The usage in a generate answer's body, where the provider passes on no raw usage (see `generated`).
  bodyUsage: unknown
  finishReason: LanguageModelV4FinishReason | undefined
  warnings: unknown[] | undefined
  // A generate result's content, read as the span ends (see `write`).
  content: LanguageModelV4Content[] | undefined
  cancelledBy: CancelCause | undefined
  providerMetadata: unknown
  error: unknown
  toolCallIds: string[] | undefined
}

/**
 * One LLM span, timed from before the provider is called (a stream's span is made just after, see
 * `open`), fed stream parts, and written in full just before it ends — however it ends (flush,
 * error, cancel, abort signal, or its parent closing it).
 */
export class LlmCall implements Reading {
  /** A stream's consumer asked for the next part and waits for the provider (see stall.ts). */
  waiting = false
  /** When a stream's consumer last got a part (see stall.ts). */
  lastRead = 0
  private provider = ''
  private readonly start = now()
  private firstChunkAt: number | undefined
  // The first delta alone, then all of them in an array: an open stream holds no array for one.
  private text: string[] | string = ''
  private textLength = 0
  private chunks = 0
  // What a stream tells at its end, or rarely (reasoning, tool calls, an error, a cut): made when it
  // first does, so an open stream of text holds none of it.
  private tail: Tail | undefined
  private get t(): Tail {
    return (this.tail ??= new Tail())
  }
  private responseId: string | undefined
  private responseModel: string | undefined
  // The provider sent an error part (set only then).
  declare private failed: boolean | undefined
  // Set only when the call has an abort signal (an open stream without is two fields smaller).
  declare private readonly signal: AbortSignal | undefined
  declare private onAbort: (() => void) | undefined
  private prompt: LanguageModelV4CallOptions['prompt'] | undefined
  private promptFrom = 0

  /**
   * What it is listed as open with (see nested.ts), until it ends or a stream's provider answers:
   * its own object in the list, so an open stream keeps one field for it, not four.
   */
  private nest: (OpenInvocation & { owner: Owner }) | undefined

  /**
   * Off the list of open invocations (see nested.ts), once: when it ends, or a stream's once the
   * provider answered (an inner middleware runs while the model is awaited; a stream nobody reads
   * or cancels never ends, and must not be held here for good).
   */
  unlist(): void {
    const nest = this.nest
    if (nest === undefined) return
    this.nest = undefined
    closed(nest)
  }

  private spanValue: Span | undefined
  // The attributes known when the span is made, written with the closing ones in one object when
  // it ends: a second object per span, merged into the first, cost more than holding this one.
  private opening: OwnAttributes | undefined
  private toOpen:
    | {
        tracer: Tracer
        params: LanguageModelV4CallOptions
        attempt: number
        // A stream's bookkeeping still to do (see settle).
        unsettled?: boolean
      }
    | undefined

  /** The LLM span, made on first use when the call streams (see `open`). */
  get span(): Span {
    return this.spanValue ?? this.open()
  }

  constructor(
    tracer: Tracer,
    private readonly settings: CallSettings,
    params: LanguageModelV4CallOptions,
    private readonly model: { provider: string; modelId: string },
    private readonly streamed: boolean,
    private readonly call: AiCall,
    private readonly step: number,
    attempt: number,
    owner?: Owner,
  ) {
    const signal = params.abortSignal
    if (signal) {
      this.signal = signal
      this.onAbort = () => this.cancel(abortCause(signal))
      signal.addEventListener('abort', this.onAbort, { once: true })
    }
    // A stream's bookkeeping on its call and its spans are done after its first chunk is on its
    // way (or when a provider is slow, while it is awaited): nothing the first chunk needs waits
    // for them. Whatever of ours looks at calls first settles them (see settleStarts); the span
    // starts at `start`.
    if (streamed) {
      this.toOpen = { tracer, params, attempt, unsettled: true }
      settleLater(this)
      openSoon(this, call)
      this.list(params, owner)
    } else {
      this.toOpen = { tracer, params, attempt }
      this.started(params)
      this.list(params, owner)
      this.open()
    }
  }

  // Listed as open until it ends (last: nothing above can leave it listed); not once the provider
  // answered (see unlist). Not put off with a stream's bookkeeping: an older copy of this package
  // tracing the same model inside (a library's traced model) reads the list without settling.
  private list(params: LanguageModelV4CallOptions, owner: Owner | undefined): void {
    if (owner) {
      // The fields every copy of this package reads of the list's entries.
      this.nest = {
        owner,
        nestPrompt: params.prompt,
        nestHeaders: params.headers,
        nestModel: this.model,
      }
      opened(this.nest)
    }
  }

  /**
   * What the start of a model invocation tells its call, done once: the step under way, where its
   * recorded prompt starts and its abort signal. A stream does it after its first chunk
   * is handed on, or as soon as anything of ours looks at calls (see settleStarts): each sees the
   * calls as if it had been done at once.
   */
  settle(): void {
    const start = this.toOpen
    if (start === undefined || start.unsettled !== true) return
    start.unsettled = false
    this.started(start.params)
  }

  private started(params: LanguageModelV4CallOptions): void {
    const { call, settings, step } = this
    // The prompt is written when the span ends, not here: serialising a long history before the
    // provider is called would delay the first chunk. The AI SDK holds the prompt for the whole
    // step anyway, so keeping a reference retains nothing more.
    if (settings.recordInputs && !call.hidesInputs && Array.isArray(params.prompt)) {
      this.prompt = params.prompt
      this.promptFrom = call.promptStart(step, params.prompt.length)
    }
    call.stepStarted(this.start)
    // Known to the call before its span is made (a tool the user approved ran before this step).
    call.stepSignal = this.signal
    call.modelCalled = true
  }

  /** Makes the call span (if not made yet) and this LLM span; at most once. */
  open(): Span {
    if (this.spanValue) return this.spanValue
    // A stream's bookkeeping first (a generated call's is done).
    this.settle()
    const { tracer, params, attempt } = this.toOpen!
    this.toOpen = undefined
    const { call, model, settings, step } = this
    const provider = providerName(model.provider)
    this.provider = provider
    const attributes = llmAttributes()
    attributes['gen_ai.operation.name'] = 'chat'
    attributes['gen_ai.provider.name'] = provider
    attributes['gen_ai.request.model'] = model.modelId
    // Set if and only if the request streams, as the GenAI conventions say (unset: not streaming).
    if (this.streamed) attributes['gen_ai.request.stream'] = true
    attributes['tokentrail.step'] = step
    if (attempt > 1) attributes['tokentrail.attempt'] = attempt
    settingsAttributes(params, attributes)
    const userAttributes = metadataAttributes(settings.metadata, attributes)
    const parent = call.materialize(tracer, settings.metadata, provider)
    // Its tool spans follow these, and the call span's error quotes nothing they hide.
    call.stepSwitches(settings.recordInputs, settings.recordOutputs)
    const span = tracer.startSpan(spanName('chat', model.modelId), {
      kind: 'llm',
      parent,
      startTime: this.start,
    })
    this.spanValue = span
    if (userAttributes) {
      // The user's keys may override ours, and the metadata's override theirs: written in that order now.
      setTrustedAttributes(span, attributes)
      span.setAttributes(userAttributes)
    } else this.opening = attributes
    // Bound rather than an arrow: an open stream holds half the bytes (no closure context).
    span.onEnding(this.write.bind(this))
    if (!span.isRecording) {
      this.opening = undefined
      if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort)
      this.unlist()
      span.end()
    }
    return span
  }

  // A non-empty text, reasoning or tool-input delta: the first sets the time to first chunk.
  private outputChunk(): void {
    this.firstChunkAt ??= now()
    this.chunks++
  }

  /** Records one stream part. Runs for every chunk, so it does the least it can. */
  observe(part: LanguageModelV4StreamPart): void {
    if (this.spanValue?.isRecording === false) return
    switch (part.type) {
      case 'text-delta': {
        const delta = part.delta
        // An empty delta is no token: OpenAI's first chat chunk (the role) has `content: ""`,
        // which @ai-sdk/openai@2 passes on as a delta before the model has said anything.
        if (delta !== '') this.outputChunk()
        this.textLength += delta.length
        const text = this.text
        if (this.textLength > this.settings.maxTextLength)
          this.clip(typeof text === 'string' ? (this.text = [text]) : text, delta, this.textLength)
        else if (typeof text !== 'string') text.push(delta)
        else this.text = text === '' ? delta : [text, delta]
        return
      }
      case 'reasoning-delta': {
        const delta = part.delta
        if (delta !== '') this.outputChunk()
        const t = this.t
        t.reasoningLength += delta.length
        const into = (t.reasoning ??= [])
        if (t.reasoningLength <= this.settings.maxTextLength) into.push(delta)
        else this.clip(into, delta, t.reasoningLength)
        return
      }
      case 'tool-input-delta':
        if (part.delta !== '') this.outputChunk()
        return
      case 'tool-call': {
        this.firstChunkAt ??= now()
        const t = this.t
        ;(t.toolCallIds ??= []).push(part.toolCallId)
        this.call.asked(part.toolCallId, part.toolName, this.span)
        // As given: scrubbed and cut as the span ends (see `outputInto`).
        ;(t.toolCalls ??= []).push({
          id: part.toolCallId,
          name: part.toolName,
          arguments: String(part.input),
        })
        return
      }
      case 'response-metadata':
        if (part.id !== undefined) this.responseId = part.id
        if (part.modelId !== undefined) this.responseModel = part.modelId
        return
      case 'stream-start':
        if (part.warnings?.length) this.t.warnings = part.warnings
        return
      case 'custom':
        // @ai-sdk/anthropic@4 passes on the usage of Anthropic's `message_start`: the input and
        // cache counts, final from the start, which a stream cut or cancelled before its
        // `message_delta` still tells (see `write`).
        if (part.kind === 'anthropic.message_start')
          this.t.startUsage = (
            part.providerMetadata as { anthropic?: { usage?: unknown } }
          )?.anthropic?.usage
        return
      case 'finish': {
        const t = this.t
        t.lastChunkAt = now()
        t.usage = part.usage
        t.finishReason = part.finishReason
        t.providerMetadata = part.providerMetadata
        return
      }
      case 'error': {
        this.failed = true
        this.t.error = part.error
        // The provider's status, error type and retry advice, as on the call span and as for a throw.
        recordFailure(this.span, part.error, this.recordsContent)
        return
      }
    }
  }

  // With the prompt or the output not recorded, an error keeps none of what it quotes of them.
  private get recordsContent(): boolean {
    return this.settings.recordInputs && !this.call.hidesInputs && this.recordsOutputs
  }

  // The middleware's (or tracer's) switch, and the call's own on ai@7 (its step event carries it).
  private get recordsOutputs(): boolean {
    return this.settings.recordOutputs && !this.call.hidesOutputs
  }

  // Keeps the part of a delta that still fits under the cap.
  private clip(into: string[], delta: string, lengthAfter: number): void {
    this.t.truncated = true
    const room = this.settings.maxTextLength - (lengthAfter - delta.length)
    if (room > 0) into.push(headOf(delta, room))
  }

  /** Records a `doGenerate` result. */
  generated(result: LanguageModelV4GenerateResult): void {
    const t = this.t
    t.lastChunkAt = now()
    t.usage = result.usage
    t.finishReason = result.finishReason
    this.responseId = result.response?.id
    this.responseModel = result.response?.modelId
    if (this.responseId === undefined || this.responseModel === undefined)
      this.fromBody(result.response?.body)
    // @ai-sdk/xai@2 and @ai-sdk/cohere@2 (ai@5) pass the provider's own usage (xAI's billed cost,
    // Cohere's billed units and cached tokens) on nowhere but in the body.
    if (
      (this.provider === 'x_ai' || this.provider === 'cohere') &&
      (result.usage as { raw?: unknown } | undefined)?.raw === undefined
    )
      t.bodyUsage = (result.response?.body as { usage?: unknown } | undefined)?.usage
    t.providerMetadata = result.providerMetadata
    if (result.warnings?.length) t.warnings = result.warnings
    const outputs = this.recordsOutputs
    for (const part of Array.isArray(result.content) ? result.content : [])
      if (part?.type === 'tool-call') {
        ;(t.toolCallIds ??= []).push(part.toolCallId)
        this.call.asked(part.toolCallId, part.toolName, this.span)
      }
      // Without outputs, their lengths alone (with them, read from the content as the span ends).
      else if (!outputs && typeof (part as { text?: unknown })?.text === 'string') {
        if (part.type === 'text') this.textLength += part.text.length
        else if (part.type === 'reasoning') t.reasoningLength += part.text.length
      }
    if (outputs) t.content = result.content ?? []
    this.end('ok')
  }

  /**
   * The response id and model some providers leave out of a generate result, from the answer's
   * body they pass on beside it. @ai-sdk/cohere reads the id of Cohere's v1 API
   * (`generation_id`); its v2 answers name it `id` (its stream's `message-start` does, and is
   * read). The AI Gateway's client puts its own `response` over the upstream's, which the body
   * still has (its stream passes them on). No @ai-sdk/google passes on Gemini's `modelVersion`,
   * and @ai-sdk/google@2 not its `responseId` either (see `geminiChunk` for a stream).
   */
  private fromBody(body: unknown): void {
    if (body === null || typeof body !== 'object') return
    let id: unknown
    let model: unknown
    const provider = this.provider
    if (provider === 'cohere') id = (body as { id?: unknown }).id
    else if (provider === 'gateway') {
      const response = (body as { response?: { id?: unknown; modelId?: unknown } }).response
      id = response?.id
      model = response?.modelId
    } else if (provider === 'gcp.gemini' || provider === 'gcp.vertex_ai') {
      id = (body as { responseId?: unknown }).responseId
      model = (body as { modelVersion?: unknown }).modelVersion
    } else return
    if (this.responseId === undefined && typeof id === 'string' && id !== '') this.responseId = id
    if (this.responseModel === undefined && typeof model === 'string' && model !== '')
      this.responseModel = model
  }

  /**
   * A raw chunk of a Gemini stream (see `geminiStream`): its response id and `modelVersion`, which
   * no @ai-sdk/google passes on as a response model (nor @2 the id), and its usage so far, whose
   * prompt counts a stream cancelled before its last chunk still tells (see `write`).
   */
  geminiChunk(chunk: unknown): void {
    if (chunk === null || typeof chunk !== 'object') return
    const usage = (chunk as { usageMetadata?: unknown }).usageMetadata
    if (usage !== undefined) this.t.startUsage = usage
    if (this.responseModel !== undefined) return
    const { responseId, modelVersion } = chunk as { responseId?: unknown; modelVersion?: unknown }
    if (typeof modelVersion === 'string' && modelVersion !== '') this.responseModel = modelVersion
    if (this.responseId === undefined && typeof responseId === 'string' && responseId !== '')
      this.responseId = responseId
  }

  /** The stream flushed: the provider finished. */
  finished(): void {
    this.t.lastChunkAt ??= now()
    this.end(this.failed ? 'error' : 'ok')
  }

  /** The provider call threw: an abort ends the span cancelled, anything else as an error. */
  threw(error: unknown): void {
    const stopped = stoppedBy(this.signal, error)
    if (stopped) {
      this.cancel(stopped)
      return
    }
    this.t.error = error
    recordFailure(this.span, error, this.recordsContent)
    this.end('error')
  }

  cancel(cause: CancelCause): void {
    // The provider sent an error part and the consumer stopped reading on it: ai@7's streamText
    // cancels a failed attempt it retries (`streamRetries`, or `onError` asking for a retry). The
    // attempt failed; nobody cancelled it.
    if (this.failed && cause === 'stream_cancel') {
      this.end('error')
      return
    }
    this.t.cancelledBy ??= cause
    this.end('cancelled')
  }

  /** Whether its span has ended (a stream's span not made yet has not). */
  get ended(): boolean {
    return this.spanValue?.ended === true
  }

  /**
   * Its consumer stopped reading at `at` without cancelling (see stall.ts): the span ends there,
   * cancelled, and so does its call, which the AI SDK would never end.
   */
  consumerStopped(at: number): void {
    if (this.ended) return
    this.t.cancelledBy ??= 'consumer_stopped'
    this.t.lastChunkAt ??= at
    this.end('cancelled', { endOpenChildren: true, endTime: at })
    this.call.consumerStopped(at)
  }

  /** Its call span is being closed by the call's parent: this open stream ends first, as the parent would end it. */
  closeWithCall(endTime: number): void {
    const span = this.spanValue
    if (!span || span.ended) return
    this.t.cancelledBy ??= 'parent'
    span.setAttribute('tokentrail.closed_by_parent', true)
    this.end('cancelled', { endOpenChildren: true, endTime })
  }

  private end(status: SpanStatus, options?: { endOpenChildren: boolean; endTime: number }): void {
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort)
    this.span.end(options ? { status, ...options } : { status })
  }

  // Runs once, right before the span ends, whoever ends it.
  private write(span: Span, { closedByParent, status }: EndingInfo): void {
    if (this.onAbort) this.signal?.removeEventListener('abort', this.onAbort)
    const t = this.t
    this.unlist()
    // Ended otherwise than by its stream (its parent closed it, an abort): no longer watched, so
    // nothing of it waits for the next sweep of stall.ts.
    if (this.streamed) unwatchReading(this)
    const attributes: OwnAttributes = this.opening ?? llmAttributes()
    this.opening = undefined
    // The prompt and output need the text scrub (tool arguments, texts cut to the budget), which
    // loads after start-up: until it has, they are written as the span goes on (scrubLater).
    const scrub = textScrub()
    // The escaped forms of the prompt and output JSON, for the OTLP JSON encoder (see JsonText).
    let escaped: Record<string, () => string> | undefined
    const prompt = this.prompt
    const promptFrom = this.promptFrom
    const max = this.settings.maxTextLength
    if (prompt) {
      this.prompt = undefined
      if (scrub) escaped = promptAttributes(prompt, promptFrom, max, scrub, attributes, escaped)
    }
    const ending = closedByParent ? 'cancelled' : (status ?? (this.failed ? 'error' : 'ok'))
    if (closedByParent) t.cancelledBy ??= 'parent'
    if (t.cancelledBy) attributes['tokentrail.cancelled_by'] = t.cancelledBy
    if (this.responseId !== undefined) attributes['gen_ai.response.id'] = this.responseId
    if (this.responseModel !== undefined) attributes['gen_ai.response.model'] = this.responseModel
    finishReasonAttributes(t.finishReason, attributes)
    if (t.warnings) attributes['tokentrail.warnings'] = JSON.stringify(t.warnings)
    let tokens = readUsage(t.usage, this.provider, t.providerMetadata, t.bodyUsage)
    // A stream that ended without its usage (cut, cancelled): the input it told before.
    if (t.startUsage !== undefined && tokens?.input === undefined)
      tokens = startedCounts(t.startUsage) ?? tokens
    let costUsd: number | undefined
    const prices = this.settings.prices
    const own = this.settings.ownPrices
    // A price the user gave for this model (the requested id or the one that answered) is what
    // they said it costs them: it wins over the built-in table and over a billed cost.
    const ownPrice =
      prices && own
        ? (cachedPrice(this.responseModel ?? this.model.modelId, own) ??
          cachedPrice(this.model.modelId, own))
        : undefined
    // What the provider billed, when it says so (a total only: none splits it further).
    const billed =
      prices && !ownPrice
        ? reportedCost(this.provider, t.providerMetadata, t.usage, t.bodyUsage)
        : undefined
    if (billed !== undefined) {
      costUsd = billed
      attributes['tokentrail.cost.usd'] = billed
      if (tokens) usageAttributes(tokens, attributes)
    } else if (tokens) {
      usageAttributes(tokens, attributes)
      const price = prices
        ? (ownPrice ??
          cachedPrice(this.responseModel ?? this.model.modelId, prices) ??
          cachedPrice(this.model.modelId, prices))
        : undefined
      const cost =
        price &&
        computeCost(
          (this.provider === 'cohere' &&
            cohereBilled((t.usage as { raw?: unknown } | undefined)?.raw ?? t.bodyUsage)) ||
            tokens,
          price,
        )
      if (cost) {
        costUsd = cost.total
        attributes['tokentrail.cost.usd'] = cost.total
        attributes['tokentrail.cost.input_usd'] = cost.input
        attributes['tokentrail.cost.output_usd'] = cost.output
      } else if (
        this.settings.prices &&
        !price &&
        tokens.input !== undefined &&
        tokens.output !== undefined
      )
        // Said, so a missing cost reads as a gap in the price table (fixed with `prices`), not as free.
        attributes['tokentrail.cost.unknown_model'] = this.responseModel ?? this.model.modelId
    }
    let ttftMs: number | undefined
    if (this.streamed) {
      attributes['tokentrail.chunk_count'] = this.chunks
      if (this.firstChunkAt !== undefined) {
        const ttft = this.firstChunkAt - this.start
        ttftMs = ttft
        attributes['tokentrail.ttft_ms'] = ttft
        attributes['gen_ai.response.time_to_first_chunk'] = ttft / 1000
      }
    }
    if (t.lastChunkAt !== undefined) {
      attributes['tokentrail.time_to_last_chunk_ms'] = t.lastChunkAt - this.start
      const from = this.streamed ? this.firstChunkAt : this.start
      const seconds = from === undefined ? 0 : (t.lastChunkAt - from) / 1000
      // A stream whose chunks all came within 10 ms came in one burst (a provider or proxy that
      // buffers): that says nothing of the model's speed (it read as 100,000 tokens a second).
      if (tokens?.output !== undefined && seconds >= (this.streamed ? 0.01 : 0) && seconds > 0)
        attributes['tokentrail.output_tokens_per_second'] = tokens.output / seconds
    }
    const content = t.content
    // What the output is made of, as it is now (a stream the span outlives may go on).
    let parts: OutputParts | undefined
    if (this.recordsOutputs) {
      const stream = !content
      parts = {
        content,
        text: stream ? (typeof this.text === 'string' ? this.text : this.text.join('')) : '',
        textLength: this.textLength,
        reasoning: stream ? (t.reasoning?.join('') ?? '') : '',
        reasoningLength: t.reasoningLength,
        toolCalls: t.toolCalls,
        truncated: t.truncated,
        // The output message's finish reason is required (the GenAI output messages schema): a
        // response cut before the provider gave one ended on an error or was interrupted.
        reason:
          (attributes['gen_ai.response.finish_reasons'] as string[] | undefined)?.[0] ??
          (ending === 'error' ? 'error' : ending === 'cancelled' ? 'interrupted' : 'other'),
      }
      if (scrub) escaped = outputInto(attributes, escaped, parts, max, scrub)
    } else if (!content) {
      // The lengths also without the text, as for a recorded output.
      attributes['tokentrail.output.text_length'] = this.textLength
      if (t.reasoningLength > 0) attributes['tokentrail.reasoning.text_length'] = t.reasoningLength
    }
    // Every key here is ours; the values are numbers, booleans, strings and string arrays.
    setTrustedAttributes(span, attributes, escaped)
    if (!scrub && (prompt || parts))
      contentLater(
        span,
        // As it is now, as the output's parts below (the app may change them before it lands).
        prompt && promptAsNow(prompt, promptFrom),
        promptFrom,
        max,
        // Its parts as they are now: the result goes on to the caller (an outer middleware, the
        // AI SDK, whose steps hand the same parts to the app), which may change them in place.
        parts && { ...parts, content: content?.map(partAsNow), toolCalls: t.toolCalls?.slice() },
      )
    const finish = attributes['gen_ai.response.finish_reasons'] as string[] | undefined
    const report: StepReport = {
      status: ending,
      tokens: tokens as TokenCounts | undefined,
      costUsd,
      finishReason: finish?.[0],
      ttftMs,
      error: t.error,
      retryable: isRetryable(t.error),
      errorPart: this.failed === true,
      toolCallIds: t.toolCallIds ?? NO_IDS,
      signal: this.signal,
      cancelledBy: t.cancelledBy,
      responseId: this.responseId,
    }
    this.call.stepEnded(this.step, report)
  }
}

/**
 * The prompt's attributes (`gen_ai.system_instructions`, `gen_ai.input.messages`, skipped and cut
 * messages) into `attributes`, with their escaped forms into `escaped` (returned).
 */
function promptAttributes(
  prompt: LanguageModelV4CallOptions['prompt'],
  from: number,
  max: number,
  scrub: TextScrub,
  attributes: OwnAttributes,
  escaped: Record<string, () => string> | undefined,
): Record<string, () => string> | undefined {
  const budget = new Budget(max, scrub)
  const json = promptJson(prompt, budget, from)
  if (json) {
    const { system, messages } = json
    if (system) {
      attributes['gen_ai.system_instructions'] = system.json
      const form = system.escapedForm
      if (form) (escaped ??= {})['gen_ai.system_instructions'] = form
    }
    attributes['gen_ai.input.messages'] = messages.json
    const form = messages.escapedForm
    if (form) (escaped ??= {})['gen_ai.input.messages'] = form
  }
  if (from > 0) attributes['tokentrail.input.skipped_messages'] = from
  if (budget.truncated) attributes['tokentrail.input.truncated'] = true
  return escaped
}

/** What a step's output is made of, as its span ends (read by `outputInto`). */
interface OutputParts {
  // A generate result's parts; undefined for a stream, whose text, reasoning and tool calls follow.
  content: LanguageModelV4Content[] | undefined
  text: string
  textLength: number
  reasoning: string
  reasoningLength: number
  toolCalls: Output['toolCalls'] | undefined
  truncated: boolean
  // The first finish reason (`gen_ai.output.messages` names it).
  reason: string | undefined
}

/**
 * The output's attributes (`gen_ai.output.messages`, its lengths, whether it was cut) into
 * `attributes`, with its escaped form into `escaped` (returned): a generate result's `content`,
 * read within the budget, or a stream's text and reasoning (cut at `max`: a credential cut in half
 * at the end is still one) and tool calls (their arguments scrubbed as tool JSON and each cut as a
 * generated call's are, and said the same way).
 */
function outputInto(
  attributes: OwnAttributes,
  escaped: Record<string, () => string> | undefined,
  parts: OutputParts,
  max: number,
  scrub: TextScrub,
): Record<string, () => string> | undefined {
  const { content, text, textLength, reasoning, reasoningLength, toolCalls, reason } = parts
  let truncated = parts.truncated
  let output: Output
  if (content) output = readContent(content, max, scrub)
  else {
    if (toolCalls)
      for (const call of toolCalls) {
        const input = scrub.json(call.arguments)
        if (input.length > max) truncated = true
        call.arguments = input.length > max ? scrub.cut(headOf(input, max)) : input
      }
    output = {
      text: textLength > max ? scrub.cut(text) : text,
      textLength,
      reasoning: reasoningLength > max ? scrub.cut(reasoning) : reasoning,
      reasoningLength,
      toolCalls: toolCalls ?? NO_CALLS,
      truncated,
    }
  }
  const form = outputAttributes(output, reason, attributes)
  if (form) (escaped ??= {})['gen_ai.output.messages'] = form
  return escaped
}

const NO_CALLS: Output['toolCalls'] = []

/**
 * The prompt and output attributes of a step whose span ends before the text scrub has loaded:
 * written once it has, before the span goes to its exporters (`scrubLater`), from what they are
 * made of as the span ends. (A function of its own: `write` keeps nothing for a closure.)
 */
function contentLater(
  span: Span,
  prompt: LanguageModelV4CallOptions['prompt'] | undefined,
  from: number,
  max: number,
  parts: OutputParts | undefined,
): void {
  scrubLater(span, (scrub) => {
    const attributes: OwnAttributes = {}
    let escaped = prompt
      ? promptAttributes(prompt, from, max, scrub, attributes, undefined)
      : undefined
    if (parts) escaped = outputInto(attributes, escaped, parts, max, scrub)
    setTrustedAttributes(span, attributes, escaped)
  })
}
