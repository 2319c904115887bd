import type { EmbeddingModelV4Middleware } from '@ai-sdk/provider'
import type { Tracer } from '@tokentrail/core'
import {
  checkOptionKeys,
  getTracer,
  now,
  TokentrailError,
  tracerSkipped,
} from '@tokentrail/core/internal'
import type { EmbeddingTracingMiddleware } from './ai-types.js'
import * as ATTR from './attr.js'
import { callState, spanName } from './call.js'
import { providerName } from './convert.js'
import { recordFailure, stoppedBy } from './errors.js'
import {
  checkMetadataOption,
  getTraceMetadata,
  mergeMetadata,
  metadataAttributes,
  readMetadata,
  sayMetadataNotices,
  type TraceMetadata,
} from './metadata.js'
import {
  cachedPrice,
  checkPriceTable,
  DEFAULT_PRICES,
  type ModelPrice,
  type PriceTable,
} from './prices.js'

/** Options of `embeddingTracingMiddleware`. */
export interface EmbeddingTracingMiddlewareOptions {
  /** The tracer spans go to. @default getTracer(), looked up on each call */
  tracer?: Tracer | undefined
  /**
   * Prices in USD per million input tokens (`{ input }`), merged over the built-in table; `false`
   * records no cost.
   * @default {}
   */
  prices?: Record<string, EmbeddingPrice> | false | undefined
  /** Metadata recorded on every call of this model; merged under `withTraceMetadata`. */
  metadata?: TraceMetadata | undefined
}

/** An embedding model's price: USD per million input tokens (embeddings have no output tokens). */
export type EmbeddingPrice = Pick<ModelPrice, 'input'> & Partial<ModelPrice>

const OPTION_KEYS = ['tracer', 'prices', 'metadata']

export type { EmbeddingTracingMiddleware }

/**
 * AI SDK embedding-model middleware that records one `embeddings {model}` span per provider call
 * (`embed` makes one; `embedMany` one per chunk it sends): input tokens, how many values and
 * dimensions, cost, latency and errors. The texts themselves are never recorded.
 *
 * @example
 * import { embedMany, wrapEmbeddingModel } from 'ai'
 * const model = wrapEmbeddingModel({
 *   model: openai.embedding('text-embedding-3-small'),
 *   middleware: embeddingTracingMiddleware(),
 * })
 */
export function embeddingTracingMiddleware(
  options: EmbeddingTracingMiddlewareOptions = {},
): EmbeddingTracingMiddleware {
  if (options === null || typeof options !== 'object')
    throw new TokentrailError('embeddingTracingMiddleware(options) takes an options object')
  checkOptionKeys(options, OPTION_KEYS, 'embeddingTracingMiddleware')
  checkMetadataOption(options.metadata, 'embeddingTracingMiddleware')
  if (options.tracer !== undefined && typeof options.tracer?.startSpan !== 'function')
    throw new TokentrailError(
      'tracer must be a Tracer from createTracer() (it has no startSpan method)',
    )
  let own: PriceTable | undefined
  if (options.prices !== undefined && options.prices !== false) {
    // An embedding price names only `input`; the shared table's checks and lookups want `output`.
    own = Object.fromEntries(
      Object.entries(options.prices).map(([id, price]) => [
        id,
        { ...price, output: price?.output ?? 0 },
      ]),
    )
    const problem = checkPriceTable(own)
    if (problem) throw new TokentrailError(problem)
  }
  const prices: PriceTable | undefined =
    options.prices === false ? undefined : { ...DEFAULT_PRICES, ...own }
  // As tracingMiddleware reads it: a numeric id becomes its text (the type takes numbers).
  const ownMetadata = readMetadata(options.metadata)

  const middleware: EmbeddingModelV4Middleware = {
    specificationVersion: 'v4',
    async wrapEmbed({ doEmbed, params, model }) {
      let tracer: Tracer
      let span: ReturnType<Tracer['startSpan']>
      try {
        tracer = options.tracer ?? getTracer()
        if (!tracer.enabled) {
          tracerSkipped(tracer)
          return doEmbed()
        }
        const attributes: Record<string, unknown> = {
          [ATTR.operationName]: 'embeddings',
          [ATTR.providerName]: providerName(model.provider),
          [ATTR.requestModel]: model.modelId,
          'tokentrail.embeddings.count': Array.isArray(params.values) ? params.values.length : 0,
        }
        if (typeof params.dimensions === 'number')
          attributes['gen_ai.embeddings.dimension.count'] = params.dimensions
        const scoped = getTraceMetadata()
        sayMetadataNotices(scoped, tracer)
        // As on chat spans: the model's metadata, the scope's, then the call's own.
        const metadata = mergeMetadata(
          mergeMetadata(ownMetadata, scoped),
          readMetadata(params.providerOptions?.tokentrail, 'providerOptions.tokentrail', tracer),
        )
        const userAttributes = metadataAttributes(metadata, attributes)
        span = tracer.startSpan(spanName('embeddings', model.modelId), { kind: 'llm', attributes })
        if (userAttributes) span.setAttributes(userAttributes)
      } catch {
        return doEmbed()
      }
      let result: Awaited<ReturnType<typeof doEmbed>>
      try {
        result = await doEmbed()
      } catch (error) {
        try {
          // An abort or a time limit stopped it: cancelled, as a text call's span, not a failure.
          const stopped = stoppedBy((params as { abortSignal?: AbortSignal }).abortSignal, error)
          if (stopped) {
            span.setAttribute(ATTR.cancelledBy, stopped)
            span.end({ status: 'cancelled' })
          } else {
            recordFailure(span, error)
            span.end({ status: 'error' })
          }
          // ai@7's error event for this embed names only its call id and this error: told by it,
          // not taken for a text call that failed before its first step (see onError).
          if (error !== null && typeof error === 'object')
            (callState().embeddingErrors ??= new WeakSet()).add(error)
        } catch {}
        throw error
      }
      try {
        const attributes: Record<string, unknown> = {}
        const tokens = result.usage?.tokens
        if (typeof tokens === 'number' && tokens >= 0) {
          attributes[ATTR.usageInputTokens] = tokens
          const price = prices && cachedPrice(model.modelId, prices)
          if (price) attributes[ATTR.costUsd] = Math.round(tokens * price.input * 1e3) / 1e9
        }
        const first = result.embeddings?.[0]
        if (first && typeof first.length === 'number' && params.dimensions === undefined)
          attributes['gen_ai.embeddings.dimension.count'] = first.length
        span.setAttributes(attributes)
        span.end({ endTime: now() })
      } catch {}
      return result
    },
  }
  return middleware as unknown as EmbeddingTracingMiddleware
}
