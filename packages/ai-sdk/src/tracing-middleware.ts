import type {
  LanguageModelV4CallOptions,
  LanguageModelV4Middleware,
  LanguageModelV4StreamPart,
} from '@ai-sdk/provider'
import type { Tracer } from '@tokentrail/core'
import {
  checkOptionKeys,
  getTracer,
  now,
  shownValue,
  TokentrailError,
  tracerSkipped,
} from '@tokentrail/core/internal'
import type { TracingMiddleware } from './ai-types.js'
import {
  awaitingHides,
  callOfInvocation,
  callStorage,
  inferCall,
  modelWrapped,
  type Resolved,
  refusedToolCalls,
  settleStarts,
} from './call.js'
import { providerName } from './convert.js'
import { type CallSettings, LlmCall } from './llm-call.js'
import {
  checkMetadataOption,
  getTraceMetadata,
  mergeMetadata,
  readMetadata,
  sayMetadataNotices,
  type TraceMetadata,
} from './metadata.js'
import { nestedInvocation, type Owner } from './nested.js'
import { checkPriceTable, DEFAULT_PRICES, type ModelPrice, type PriceTable } from './prices.js'
import { unwatchReading, watchReading } from './stall.js'
import { ensureRegistered } from './telemetry.js'

/** Options of `tracingMiddleware` and `traceModel`. */
export interface TracingMiddlewareOptions {
  /** The tracer spans go to. @default getTracer(), looked up on each call */
  tracer?: Tracer | undefined
  /** Record the prompt and system instructions. @default the tracer's `recordInputs` (TOKENTRAIL_RECORD_INPUTS) */
  recordInputs?: boolean | undefined
  /** Record generated text, reasoning and tool calls. @default the tracer's `recordOutputs` (TOKENTRAIL_RECORD_OUTPUTS) */
  recordOutputs?: boolean | undefined
  /**
   * Most characters of captured text per span, for the prompt and for the output each; beyond it
   * text is cut and `tokentrail.input.truncated` / `tokentrail.output.truncated` is set.
   * @default 32768
   */
  maxTextLength?: number | undefined
  /**
   * Prices in USD per million tokens, merged over the built-in table (`DEFAULT_PRICES`, dated
   * `PRICES_AS_OF`); `false` records no cost.
   * @default {}
   */
  prices?: Record<string, ModelPrice> | false | undefined
  /** Metadata recorded on every call of this model; merged under `withTraceMetadata` and `providerOptions.tokentrail`. */
  metadata?: TraceMetadata | undefined
}

export type { TracingMiddleware }

/** Per-call metadata read from `providerOptions.tokentrail`. */
export type TokentrailProviderOptions = TraceMetadata

// Telemetry failures are swallowed: the user's call must not notice them.
function quietly(fn: () => void): void {
  try {
    fn()
  } catch {}
}

const OPTION_KEYS = [
  'tracer',
  'recordInputs',
  'recordOutputs',
  'maxTextLength',
  'prices',
  'metadata',
] as const

function check(options: TracingMiddlewareOptions): void {
  if (options === null || typeof options !== 'object')
    throw new TokentrailError('tracingMiddleware(options) takes an options object')
  checkOptionKeys(options, OPTION_KEYS, 'tracingMiddleware')
  const { tracer, recordInputs, recordOutputs, maxTextLength, prices, metadata } = options
  if (tracer !== undefined && typeof tracer?.startSpan !== 'function')
    throw new TokentrailError(
      'tracer must be a Tracer from createTracer() (it has no startSpan method)',
    )
  for (const [name, value] of Object.entries({ recordInputs, recordOutputs }))
    if (value !== undefined && typeof value !== 'boolean')
      throw new TokentrailError(`${name} must be true or false, got ${JSON.stringify(value)}`)
  if (
    maxTextLength !== undefined &&
    (typeof maxTextLength !== 'number' || !Number.isInteger(maxTextLength) || maxTextLength < 0)
  )
    throw new TokentrailError(
      `maxTextLength must be a whole number of characters ≥ 0, got ${shownValue(maxTextLength)}`,
    )
  if (prices !== undefined && prices !== false) {
    const problem = checkPriceTable(prices)
    if (problem) throw new TokentrailError(problem)
  }
  checkMetadataOption(metadata, 'tracingMiddleware')
}

/**
 * Whether the call that asked for this model invocation streams: a streamed invocation, or one
 * asked of the model by a middleware outside this one that answers a stream with a generate
 * result (`simulateStreamingMiddleware`). streamText and streamObject name `includeRawChunks` in
 * what they ask for (on every major), generateText and generateObject do not.
 */
const streamsCall = (params: LanguageModelV4CallOptions, streamed: boolean): boolean =>
  streamed || 'includeRawChunks' in params

// Without the AI SDK's word (ai@5, ai@6), the operation is told by what the model is asked for.
function callOperation(params: LanguageModelV4CallOptions, streamed: boolean): string {
  const object = params.responseFormat?.type === 'json'
  return streamsCall(params, streamed)
    ? object
      ? 'streamObject'
      : 'streamText'
    : object
      ? 'generateObject'
      : 'generateText'
}

/**
 * @ai-sdk/google's and @ai-sdk/google-vertex's Gemini models (`google.generative-ai`,
 * `google.vertex.chat`), not Vertex's Claude (`vertex.anthropic.messages`), called straight: the
 * provider's own model object (a class instance, or the AI SDK's proxy of one), not the plain
 * object another middleware's `wrapLanguageModel` layer is. A middleware of the user's between
 * this one and the model would otherwise see options and parts it does not see untraced (a cache
 * keyed by the options, a logger, a chunk counter).
 */
const isGemini = (model: { provider: unknown }): boolean =>
  typeof model.provider === 'string' &&
  model.provider.startsWith('google.') &&
  Object.getPrototypeOf(model) !== Object.prototype

/**
 * A Gemini stream's reader that hands each raw chunk to the call and, when only the tracing asked
 * for them (`drop`), keeps them from the consumer, who then sees the very parts the provider
 * would have sent without them. Every Gemini chunk carries `modelVersion`, the model that
 * answered, which no @ai-sdk/google passes on otherwise (and @2 not the response id either). The
 * request Gemini gets is the same either way.
 */
function geminiStream(
  reader: ReadableStreamDefaultReader<LanguageModelV4StreamPart>,
  call: LlmCall,
  drop: boolean,
): Pick<ReadableStreamDefaultReader<LanguageModelV4StreamPart>, 'read' | 'cancel'> {
  type Read = ReadableStreamReadResult<LanguageModelV4StreamPart>
  const next = (result: Read): Read | Promise<Read> => {
    if (result.done || result.value.type !== 'raw') return result
    quietly(() => call.geminiChunk((result.value as { rawValue?: unknown }).rawValue))
    return drop ? reader.read().then(next) : result
  }
  return {
    read: () => reader.read().then(next),
    cancel: (reason) => reader.cancel(reason),
  }
}

type StreamReader = Pick<ReadableStreamDefaultReader<LanguageModelV4StreamPart>, 'read' | 'cancel'>

/**
 * The source of the pull-through stream `wrapStream` hands on: a pull reads the provider only when
 * the consumer reads (no read-ahead), passes each part on untouched, and sees cancel and upstream
 * errors directly. One object per stream: the stream binds its `pull` and `cancel`, and the promise
 * chain of each pull calls the two callbacks made once here (an open stream holds no suspended
 * function and no promise of its own while it waits for the provider).
 */
class Relay {
  private controller!: ReadableStreamDefaultController<LanguageModelV4StreamPart>
  // Whether its consumer still reads it (see stall.ts): ai@7 ends nothing when one stops. Watched
  // from the first part on, once that part is on its way: none of it is on the first chunk's path.
  // The call itself is what is watched: an object made here would hold this stream (the reader,
  // the provider's response and its socket) for as long as the watch keeps it, past its span's end.
  private watched = false
  private readonly onPart: (next: ReadableStreamReadResult<LanguageModelV4StreamPart>) => void
  private readonly onError: (error: unknown) => never

  constructor(
    private readonly call: LlmCall,
    private readonly reader: StreamReader,
  ) {
    // Arrows rather than bound methods: a promise reaction calls a bound function a little slower,
    // once per part (a micro-benchmark of 200-part streams: 1-4% more CPU).
    this.onPart = (next) => this.passOn(next)
    this.onError = (error) => this.failed(error)
  }

  pull(into: ReadableStreamDefaultController<LanguageModelV4StreamPart>): Promise<void> {
    this.controller = into
    this.call.waiting = true
    return this.reader.read().then(this.onPart, this.onError)
  }

  cancel(reason: unknown): Promise<void> {
    const call = this.call
    if (this.watched) unwatchReading(call)
    quietly(() => call.cancel('stream_cancel'))
    return this.reader.cancel(reason)
  }

  private passOn(next: ReadableStreamReadResult<LanguageModelV4StreamPart>): void {
    const call = this.call
    if (next.done) {
      if (this.watched) unwatchReading(call)
      this.controller.close()
      quietly(() => call.finished())
      return
    }
    this.controller.enqueue(next.value)
    call.waiting = false
    call.lastRead = now()
    if (!this.watched) {
      this.watched = true
      watchReading(call)
    }
    try {
      call.observe(next.value)
    } catch {}
  }

  private failed(error: unknown): never {
    const call = this.call
    if (this.watched) unwatchReading(call)
    quietly(() => call.threw(error))
    throw error
  }
}

/**
 * AI SDK middleware that records one LLM span per model call: request settings, usage, cost,
 * latency, time to first chunk, streamed text, tool calls, errors and aborts. Stream parts pass
 * through untouched.
 *
 * @example
 * import { streamText, wrapLanguageModel } from 'ai'
 * import { tracingMiddleware } from '@tokentrail/ai-sdk'
 * const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: tracingMiddleware() })
 * const result = streamText({ model, prompt: 'Hello' })
 */
export function tracingMiddleware(options: TracingMiddlewareOptions = {}): TracingMiddleware {
  check(options)
  const { tracer: fixedTracer, maxTextLength = 32_768 } = options
  // Checked above; a number id becomes its text, one tag a list.
  const metadata = readMetadata(options.metadata)
  // On ai@7 the call span, step numbers and tool spans come from the AI SDK's telemetry events:
  // one integration per process, put in place here so wrapping the model is the only setup.
  // Its tool spans follow the switches of the middleware that traced each call's model (see
  // AiCall.stepSwitches), not those of the last middleware made, which this one replaces.
  ensureRegistered({ tracer: fixedTracer })
  const prices: PriceTable | undefined =
    options.prices === false ? undefined : { ...DEFAULT_PRICES, ...options.prices }
  // The user's own entries, apart: one of them wins over a cost the provider says it billed.
  const ownPrices: PriceTable | undefined =
    options.prices && Object.keys(options.prices).length > 0 ? { ...options.prices } : undefined

  let shared: CallSettings | undefined
  // This instance's open model invocations (see nested.ts).
  const owner: Owner = { open: 0 }

  // Returns undefined when nothing would be recorded, so the call goes straight through.
  function begin(
    params: LanguageModelV4CallOptions,
    model: { provider: string; modelId: string },
    streamed: boolean,
  ): LlmCall | undefined {
    try {
      // Streams that put off their bookkeeping (see LlmCall.settle) do it first: this invocation
      // may be a retry of one, or nested in one.
      settleStarts()
      const tracer = fixedTracer ?? getTracer()
      if (!tracer.enabled) {
        tracerSkipped(tracer)
        return undefined
      }
      // A tracer whose switch is off drops the content whatever the middleware says: nothing of it
      // is kept (what the AI SDK's errors quote of a tool's input included).
      const recordInputs = tracer.recordInputs && options.recordInputs !== false
      const recordOutputs = tracer.recordOutputs && options.recordOutputs !== false
      const scoped = getTraceMetadata()
      sayMetadataNotices(scoped, tracer)
      const merged = mergeMetadata(
        mergeMetadata(metadata, scoped),
        readMetadata(params.providerOptions?.tokentrail, 'providerOptions.tokentrail', tracer),
      )
      // Calls without metadata share one settings object (each open stream holds its settings).
      let settings = shared
      if (
        merged !== undefined ||
        settings?.recordInputs !== recordInputs ||
        settings.recordOutputs !== recordOutputs
      ) {
        settings = {
          recordInputs,
          recordOutputs,
          maxTextLength,
          prices,
          ownPrices,
          metadata: merged,
        }
        if (merged === undefined) shared = settings
      }
      // The model traced twice, with a middleware between that rewrote the prompt: the outer one traces it.
      if (nestedInvocation(owner, params, model)) return undefined
      // ai@7: the call the SDK announced (an older copy of this package may still name it in the async context).
      const frame = callOfInvocation(params.prompt, model) ?? callStorage.get()
      let resolved: Resolved | undefined
      if (frame && !frame.ended) {
        // ai@7: the AI SDK said which call this is (its step events run for the text and object calls).
        // One of four literals, not a string built per call (each open stream's call holds it).
        frame.operation ||= streamsCall(params, streamed)
          ? frame.objectCall
            ? 'streamObject'
            : 'streamText'
          : frame.objectCall
            ? 'generateObject'
            : 'generateText'
        if (!streamed && !frame.objectCall && params.responseFormat?.type === 'json')
          frame.parsesOutput = true
        const invocation = frame.invocation(params.prompt)
        resolved = invocation && { call: frame, step: invocation.step, attempt: invocation.attempt }
        if (frame.hidesOutputs && invocation)
          refusedToolCalls(frame, params.prompt, settings.recordInputs && !frame.hidesInputs)
      } else {
        const hides = awaitingHides(model)
        resolved = inferCall(
          tracer,
          params.prompt,
          {
            operation: callOperation(params, streamed),
            provider: providerName(model.provider),
            modelId: model.modelId,
            metadata: settings.metadata,
          },
          {
            inputs: settings.recordInputs && !hides.inputs,
            outputs: settings.recordOutputs && !hides.outputs,
          },
        )
        if (resolved) {
          if (hides.inputs) resolved.call.hidesInputs = true
          if (hides.outputs) resolved.call.hidesOutputs = true
        }
      }
      // A model wrapped twice: the outer middleware already traces this invocation.
      if (!resolved) return undefined
      const call = new LlmCall(
        tracer,
        settings,
        params,
        model,
        streamed,
        resolved.call,
        resolved.step,
        resolved.attempt,
        owner,
      )
      // A stream's span is made later: a span that does not record is then ended, and the stream
      // passes through unobserved.
      if (streamed || call.span.isRecording) return call
    } catch {
      // Telemetry never breaks the call: a failure here means the call is not traced.
    }
    return undefined
  }

  const middleware: LanguageModelV4Middleware = {
    specificationVersion: 'v4',

    // Called by wrapLanguageModel as it wraps a model (every major): the id stays the model's own.
    overrideModelId({ model }) {
      quietly(() => modelWrapped(model))
      return model.modelId
    },

    async wrapGenerate({ doGenerate, params, model }) {
      const call = begin(params, model, false)
      if (!call) return doGenerate()
      let result: Awaited<ReturnType<typeof doGenerate>>
      try {
        result = await doGenerate()
      } catch (error) {
        quietly(() => call.threw(error))
        throw error
      }
      quietly(() => call.generated(result))
      return result
    },

    async wrapStream({ doStream, params, model }) {
      const call = begin(params, model, true)
      if (!call) return doStream()
      // Gemini says which model answered only in its raw chunks (see `geminiStream`).
      const gemini = isGemini(model)
      let result: Awaited<ReturnType<typeof doStream>>
      try {
        result = await (gemini && params.includeRawChunks !== true
          ? model.doStream({ ...params, includeRawChunks: true })
          : doStream())
      } catch (error) {
        quietly(() => call.threw(error))
        throw error
      }
      // Only awaited invocations can be the outer one of another (see nested.ts).
      quietly(() => call.unlist())
      // A pull-through stream rather than pipeThrough(TransformStream): measured at a third of the
      // per-chunk cost (see bench/), it reads the provider only when the consumer reads (no
      // read-ahead), passes each part on untouched, and sees cancel and upstream errors directly.
      const reader = gemini
        ? geminiStream(result.stream.getReader(), call, params.includeRawChunks !== true)
        : result.stream.getReader()
      const stream = new ReadableStream<LanguageModelV4StreamPart>(new Relay(call, reader), {
        highWaterMark: 0,
      })
      return { ...result, stream }
    },
  }
  // The same code serves V2, V3 and V4 models: it reads parts and usage of every shape.
  return middleware as unknown as TracingMiddleware
}
