import { cachedPrice, computeCost, DEFAULT_PRICES, PRICES_AS_OF } from '@tokentrail/ai-sdk/prices'
import { ATTR, type Attributes } from '@tokentrail/core'

/** Said on a span the collector priced, so its cost reads as an estimate, not as the app's own. */
export const PRICED_BY = `tokentrail dev (list prices of ${PRICES_AS_OF})`

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined
}

/**
 * Completes an LLM span another SDK sent (not Tokentrail's: those carry their own kind), in place:
 *
 * - The AI SDK's own embedding and rerank calls (`ai.embed.doEmbed`, `ai.embedMany.doEmbed`,
 *   `ai.rerank.doRerank` of ai@5, ai@6 and ai@7's `LegacyOpenTelemetry`) name their model and
 *   tokens only as `ai.model.id` and `ai.usage.tokens`: they get the GenAI names every view reads
 *   (`gen_ai.operation.name` `embeddings` or `rerank`, `gen_ai.request.model`,
 *   `gen_ai.usage.input_tokens`).
 * - A call with a model in `@tokentrail/ai-sdk`'s price table, input and output tokens (an
 *   embedding: input) and no `tokentrail.cost.usd` is priced as the middleware prices it, and
 *   says so in `tokentrail.cost.priced_by`.
 *
 * Attributes the span already has are never changed.
 */
export function completeOtherSdkCall(a: Attributes): void {
  const id = a['ai.operationId']
  if (typeof id === 'string') {
    const embed = id.endsWith('.doEmbed')
    if (embed || id.endsWith('.doRerank')) {
      if (a[ATTR.operationName] === undefined)
        a[ATTR.operationName] = embed ? 'embeddings' : 'rerank'
      const model = str(a['ai.model.id'])
      if (model !== undefined && a[ATTR.requestModel] === undefined) a[ATTR.requestModel] = model
      const tokens = num(a['ai.usage.tokens'])
      if (embed && tokens !== undefined && a[ATTR.usageInputTokens] === undefined)
        a[ATTR.usageInputTokens] = tokens
    }
  }
  if (a[ATTR.costUsd] === undefined) price(a)
}

function price(a: Attributes): void {
  let input = num(a[ATTR.usageInputTokens])
  if (input === undefined) return
  const embeddings = a[ATTR.operationName] === 'embeddings'
  const output = num(a[ATTR.usageOutputTokens]) ?? (embeddings ? 0 : undefined)
  if (output === undefined) return
  const response = str(a[ATTR.responseModel])
  const request = str(a[ATTR.requestModel])
  const rates =
    (response && cachedPrice(response, DEFAULT_PRICES)) ||
    (request && cachedPrice(request, DEFAULT_PRICES))
  if (!rates) return
  // Cache counts, part of the input: the GenAI names (ai@7's `@ai-sdk/otel`), else the AI SDK's
  // own (ai@6 `inputTokenDetails`, ai@5 `cachedInputTokens`).
  const details = num(a['ai.usage.inputTokenDetails.cacheReadTokens'])
  let cacheRead =
    num(a['gen_ai.usage.cache_read.input_tokens']) ??
    details ??
    num(a['ai.usage.cachedInputTokens'])
  let cacheWrite =
    num(a['gen_ai.usage.cache_creation.input_tokens']) ??
    num(a['ai.usage.inputTokenDetails.cacheWriteTokens'])
  // ai@5's Anthropic provider (Claude on Vertex AI too) counts cache reads and writes beside its
  // input tokens, not among them: its raw usage in the provider metadata says so (its input
  // tokens are the count without the cache), and has the writes, and the reads a `generateText`
  // span has nowhere else. Its Bedrock provider too, with the writes in its metadata.
  const system = a['gen_ai.system']
  if (
    details === undefined &&
    a['gen_ai.usage.cache_read.input_tokens'] === undefined &&
    typeof system === 'string'
  ) {
    const claude = system.startsWith('anthropic') || system.includes('.anthropic')
    const bedrock = !claude && system.includes('bedrock')
    if (claude || bedrock) {
      const meta = providerMetadata(a)
      const raw = claude ? meta?.anthropic?.usage : undefined
      const uncached = raw ? num(raw.input_tokens) : undefined
      if (uncached === input) {
        cacheRead ??= num(raw.cache_read_input_tokens)
        cacheWrite = num(raw.cache_creation_input_tokens)
      } else if (bedrock) cacheWrite = num(meta?.bedrock?.usage?.cacheWriteInputTokens)
      // Raw counts that do not match: the input has the cache already.
      if (uncached === undefined || uncached === input)
        input += (cacheRead ?? 0) + (cacheWrite ?? 0)
    }
  }
  if (cacheRead === 0) cacheRead = undefined
  const cost = computeCost({ input, output, cacheRead, cacheWrite }, rates)
  if (!cost) return
  a[ATTR.costUsd] = cost.total
  a['tokentrail.cost.input_usd'] = cost.input
  a['tokentrail.cost.output_usd'] = cost.output
  a['tokentrail.cost.priced_by'] = PRICED_BY
}

// `ai.response.providerMetadata` (JSON) of an ai@5 span, read only for the providers above.
function providerMetadata(a: Attributes): any {
  const json = a['ai.response.providerMetadata']
  if (typeof json !== 'string' || json.length > 100_000) return undefined
  try {
    return JSON.parse(json)
  } catch {
    return undefined
  }
}
