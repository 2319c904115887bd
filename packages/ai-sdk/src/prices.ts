import { closestKey, collectionName, shownValue } from '@tokentrail/core/internal'

/** List prices of one model in USD per million tokens. */
export interface ModelPrice {
  /** Uncached input tokens. */
  input: number
  /** Output tokens, reasoning included. */
  output: number
  /** Input tokens read from the prompt cache. @default input */
  cachedInput?: number
  /** Input tokens written to the prompt cache (Anthropic: its 5-minute cache). @default input */
  cacheWrite?: number
  /** Input tokens written to Claude's 1-hour prompt cache (Anthropic, Vertex AI, Bedrock). @default 2 × input, Anthropic's rate */
  cacheWrite1h?: number
  /**
   * The rates of a call whose input (cache reads and writes included) is above `above` tokens,
   * for a model whose price rises with the prompt's length; its own rates default as above.
   */
  longPrompt?: LongPromptPrice
}

/** A model's rates for prompts above `above` input tokens (see `ModelPrice.longPrompt`). */
export interface LongPromptPrice {
  above: number
  input: number
  output: number
  cachedInput?: number
  cacheWrite?: number
  cacheWrite1h?: number
}

/** A price table: model id (without date suffix) to prices. */
export type PriceTable = Readonly<Record<string, ModelPrice>>

/**
 * The date the built-in prices were compiled. Standard (not batch, not priority, not fast) rates
 * for short prompts, USD per million tokens; Anthropic cache writes are the 5-minute rate.
 * Prompt-length tiers (`longPrompt`): OpenAI's GPT-5.6 and later double input and cache rates
 * (output × 1.5) above 272K input tokens, and Claude Haiku 5.5 bills five times more above 100K.
 * Not modelled: Gemini 2.5 Pro and the Gemini 3 previews charge more above 200K, and xAI's Grok
 * 4.20 and 4.3 above 200K (their rates here are for shorter prompts). DeepSeek's are its peak (standard) rates:
 * off-peak, half of them, it bills most hours of the day.
 */
export const PRICES_AS_OF = '2026-12-04'

const p = (input: number, cachedInput: number, output: number, cacheWrite?: number): ModelPrice =>
  cacheWrite === undefined
    ? { input, cachedInput, output }
    : { input, cachedInput, output, cacheWrite }

// A model whose rates rise above `above` input tokens: input and cache rates × `inputTimes`,
// output × `outputTimes`.
const tiered = (price: ModelPrice, above: number, inputTimes: number, outputTimes: number) => {
  const times = (rate: number | undefined) =>
    rate === undefined ? undefined : Math.round(rate * inputTimes * 1e6) / 1e6
  const longPrompt: LongPromptPrice = {
    above,
    input: times(price.input)!,
    output: Math.round(price.output * outputTimes * 1e6) / 1e6,
  }
  for (const key of ['cachedInput', 'cacheWrite', 'cacheWrite1h'] as const)
    if (price[key] !== undefined) longPrompt[key] = times(price[key])
  return { ...price, longPrompt }
}

/** The built-in price table (see `PRICES_AS_OF`). Override or extend it with the `prices` option. */
export const DEFAULT_PRICES: PriceTable = Object.freeze({
  // OpenAI. GPT-6.x and GPT-5.6 from their model pages, read 2026-12-04:
  // https://developers.openai.com/api/docs/models/gpt-6.2-sol (and …/gpt-6.1-sol, …/gpt-6-luna,
  // …/gpt-5.6-terra, …/gpt-5.6-luna); cache writes, billed from GPT-5.6 on, are 1.25 × input.
  // The older entries: https://developers.openai.com/api/docs/pricing as compiled 2026-07-04.
  'gpt-6.2-sol': tiered(p(2, 0.1, 10, 2.5), 272_000, 2, 1.5),
  'gpt-6.1-sol': tiered(p(2, 0.1, 10, 2.5), 272_000, 2, 1.5),
  'gpt-6-luna': tiered(p(0.1, 0.01, 0.5, 0.125), 272_000, 2, 1.5),
  'gpt-5.6-terra': tiered(p(2, 0.2, 12, 2.5), 272_000, 2, 1.5),
  'gpt-5.6-luna': tiered(p(0.2, 0.02, 1.2, 0.25), 272_000, 2, 1.5),
  'gpt-5.5': p(5, 0.5, 30),
  'gpt-5.4': p(2.5, 0.25, 15),
  'gpt-5.4-mini': p(0.75, 0.075, 4.5),
  'gpt-5.4-nano': p(0.2, 0.02, 1.25),
  'gpt-5.1': p(1.25, 0.125, 10),
  'gpt-5': p(1.25, 0.125, 10),
  'gpt-5-mini': p(0.25, 0.025, 2),
  'gpt-5-nano': p(0.05, 0.005, 0.4),
  'gpt-4.1': p(2, 0.5, 8),
  'gpt-4.1-mini': p(0.4, 0.1, 1.6),
  'gpt-4.1-nano': p(0.1, 0.025, 0.4),
  'gpt-4o': p(2.5, 1.25, 10),
  // The first gpt-4o snapshot keeps its own price (a dated id is otherwise priced as its model),
  // with no cached-input discount listed.
  'gpt-4o-2024-05-13': p(5, 5, 15),
  'gpt-4o-mini': p(0.15, 0.075, 0.6),
  o3: p(2, 0.5, 8),
  'o4-mini': p(1.1, 0.275, 4.4),
  // Anthropic: https://platform.claude.com/docs/en/about-claude/pricing and the model pages
  // (https://platform.claude.com/docs/en/models/<model>/overview), read 2026-12-04. The 1-hour
  // cache writes are 2 × input for every model here (cacheWrite1h's default).
  'claude-fable-5-1': p(10, 0.25, 50, 12.5),
  'claude-mythos-5-1': p(10, 0.25, 50, 12.5),
  'claude-fable-5': p(10, 1, 50, 12.5),
  'claude-mythos-5': p(10, 1, 50, 12.5),
  'claude-opus-5-5': p(4, 0.2, 20, 5),
  'claude-opus-5': p(5, 0.5, 25, 6.25),
  'claude-opus-4-8': p(5, 0.5, 25, 6.25),
  'claude-opus-4-7': p(5, 0.5, 25, 6.25),
  'claude-opus-4-6': p(5, 0.5, 25, 6.25),
  'claude-opus-4-5': p(5, 0.5, 25, 6.25),
  'claude-opus-4-1': p(15, 1.5, 75, 18.75),
  'claude-opus-4': p(15, 1.5, 75, 18.75),
  // Cache hits on Opus 5.5 and Sonnet 5.5 are 0.05× the input rate (0.1× on the others).
  'claude-sonnet-5-5': p(2, 0.1, 10, 2.5),
  'claude-sonnet-5': p(2, 0.2, 10, 2.5),
  'claude-sonnet-4-6': p(3, 0.3, 15, 3.75),
  'claude-sonnet-4-5': p(3, 0.3, 15, 3.75),
  'claude-sonnet-4': p(3, 0.3, 15, 3.75),
  // Prompts above 100K tokens: every rate × 5 (the 1-hour cache write too, 2 × the input rate).
  'claude-haiku-5-5': tiered({ ...p(0.1, 0.01, 0.5, 0.125), cacheWrite1h: 0.2 }, 100_000, 5, 5),
  'claude-haiku-4-5': p(1, 0.1, 5, 1.25),
  'claude-3-5-haiku': p(0.8, 0.08, 4, 1),
  // OpenAI embeddings (input only)
  'text-embedding-3-small': p(0.02, 0.02, 0),
  'text-embedding-3-large': p(0.13, 0.13, 0),
  'text-embedding-ada-002': p(0.1, 0.1, 0),
  // Google (prompts up to 200k tokens): https://ai.google.dev/gemini-api/docs/pricing as compiled
  // 2026-07-04 (not re-read: the page was not to be had on 2026-12-04).
  'gemini-3.1-pro-preview': p(2, 0.2, 12),
  'gemini-3-flash-preview': p(0.5, 0.05, 3),
  'gemini-2.5-pro': p(1.25, 0.125, 10),
  'gemini-2.5-flash': p(0.3, 0.03, 2.5),
  'gemini-2.5-flash-lite': p(0.1, 0.01, 0.4),
  // xAI (prompts under 200k tokens): https://docs.x.ai/developers/pricing and
  // https://docs.x.ai/developers/models/grok-4.20-0309, read 2026-12-04. `@ai-sdk/xai@3` and later
  // pass on what xAI billed, which wins over these; `@2` (ai@5) does not.
  'grok-4.3': p(1.25, 0.2, 2.5),
  'grok-4.20-0309-reasoning': p(1.25, 0.2, 2.5),
  'grok-4.20-0309-non-reasoning': p(1.25, 0.2, 2.5),
  'grok-4.20-multi-agent-0309': p(1.25, 0.2, 2.5),
  'grok-4.20': p(1.25, 0.2, 2.5),
  'grok-4.20-reasoning': p(1.25, 0.2, 2.5),
  'grok-4.20-non-reasoning': p(1.25, 0.2, 2.5),
  'grok-4-1-fast-reasoning': p(0.2, 0.05, 0.5),
  'grok-4-1-fast-non-reasoning': p(0.2, 0.05, 0.5),
  // DeepSeek: https://api-docs.deepseek.com/quick_start/pricing, read 2026-12-04. Peak (standard)
  // rates, 01:00–04:00 and 06:00–10:00 UTC on weekdays; off-peak DeepSeek bills half. Cache hits
  // (`prompt_cache_hit_tokens`) are the cached input. `deepseek-v4-flash` is the retired name
  // DeepSeek still accepts and serves as `deepseek-flash`.
  'deepseek-flash': p(0.3, 0.006, 1.2),
  'deepseek-v4-flash': p(0.3, 0.006, 1.2),
  'deepseek-v4-pro': p(1.32, 0.044, 3.96),
})

// `gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`, `o3-2025-04-16`
const DATE_SUFFIX = /-(\d{4}-\d{2}-\d{2}|\d{8})$/

// The middleware's own tables never change once made, and the model ids its calls name are few:
// their lookups are kept (a regex per call is not free).
const lookups = new WeakMap<PriceTable, Map<string, ModelPrice | undefined>>()

/** `findPrice` for a table nobody changes after this call (the middleware's own), remembered. */
export function cachedPrice(
  modelId: string | undefined,
  table: PriceTable,
): ModelPrice | undefined {
  if (!modelId) return undefined
  let cache = lookups.get(table)
  if (!cache) lookups.set(table, (cache = new Map()))
  if (cache.has(modelId)) return cache.get(modelId)
  const price = findPrice(modelId, table)
  if (cache.size < 1000) cache.set(modelId, price)
  return price
}

// Claude ids as routers and clouds spell them: Bedrock's `us.anthropic.claude-sonnet-4-5-20250929-v1:0`,
// Vertex's `claude-sonnet-4-5@20250929`, OpenRouter's and the AI Gateway's `claude-sonnet-4.5`,
// Anthropic's own aliases `claude-3-5-haiku-latest` and `claude-sonnet-4-0`.
const BEDROCK_VENDOR = /^(?:[a-z]+\.)?anthropic\./
const BEDROCK_VERSION = /-v\d+(?::\d+)?$/
const VERTEX_VERSION = /@(?:\d{8}|latest)$/
const VERSION_DOT = /(\d)\.(\d)/g
const ALIAS = /-(?:latest|0)$/

/** The table's spelling of a Claude model id written another way, or undefined. */
function claudeId(bare: string): string | undefined {
  const id = bare
    .replace(BEDROCK_VENDOR, '')
    .replace(BEDROCK_VERSION, '')
    .replace(VERTEX_VERSION, '')
    .replace(DATE_SUFFIX, '')
  if (!id.startsWith('claude-')) return undefined
  return id.replace(VERSION_DOT, '$1-$2').replace(ALIAS, '')
}

/**
 * Finds a model's prices in `table` (the built-in `DEFAULT_PRICES` unless given): the exact id
 * first, then without a provider prefix (`openai/gpt-4o`, `models/gemini-2.5-pro`) and without a
 * date suffix, then a Claude id as Bedrock, Vertex, OpenRouter and Anthropic's aliases write it.
 * Unknown models get `undefined`.
 */
export function findPrice(
  modelId: string | undefined,
  table: PriceTable = DEFAULT_PRICES,
): ModelPrice | undefined {
  if (!modelId) return undefined
  const own = (id: string) => (Object.hasOwn(table, id) ? table[id] : undefined)
  const exact = own(modelId)
  if (exact) return exact
  const bare = modelId.slice(modelId.lastIndexOf('/') + 1)
  const found = own(bare) ?? own(bare.replace(DATE_SUFFIX, ''))
  if (found || !bare.includes('claude-')) return found
  const claude = claudeId(bare)
  return claude === undefined ? undefined : own(claude)
}

/**
 * The cost a provider says it billed for a call, in USD, or undefined when it said none (or 0):
 * what the user pays, cache discounts and server-side tools included, which a list price can only
 * estimate. The Vercel AI Gateway's `providerMetadata.gateway.cost` (a decimal string; 0 for a call
 * on the user's own provider key, which that provider bills: the list price tells more), and
 * xAI's `cost_in_usd_ticks` (10^10 ticks to the dollar), in its provider metadata (@ai-sdk/xai@5)
 * or its raw usage (@3; @2 passes on neither: a generate answer's body has it, `bodyUsage`, and a
 * stream nowhere), OpenRouter's (see `openRouterCost`) and Perplexity's.
 */
export function reportedCost(
  provider: string,
  providerMetadata: unknown,
  usage: unknown,
  bodyUsage?: unknown,
): number | undefined {
  if (provider === 'gateway')
    return positive((providerMetadata as { gateway?: { cost?: unknown } })?.gateway?.cost)
  if (provider === 'x_ai') {
    const ticks = positive(
      (providerMetadata as { xai?: { costInUsdTicks?: unknown } })?.xai?.costInUsdTicks ??
        (usage as { raw?: { cost_in_usd_ticks?: unknown } })?.raw?.cost_in_usd_ticks ??
        (bodyUsage as { cost_in_usd_ticks?: unknown } | undefined)?.cost_in_usd_ticks,
    )
    return ticks === undefined ? undefined : ticks / 1e10
  }
  if (provider === 'openrouter') return openRouterCost(providerMetadata, usage)
  // Perplexity's `usage.cost.total_cost`, in USD: tokens, the request fee and searches.
  if (provider === 'perplexity')
    return positive(
      (providerMetadata as { perplexity?: { cost?: { totalCost?: unknown } } })?.perplexity?.cost
        ?.totalCost,
    )
  return undefined
}

/**
 * What OpenRouter billed, from its usage accounting (in every response since 2025): `cost`, in
 * credits of one dollar. On the user's own provider key (`is_byok`) that is OpenRouter's fee, and
 * `cost_details.upstream_inference_cost` what the upstream billed the key (OpenRouter fills it on
 * other calls too, equal to the cost). `@openrouter/ai-sdk-provider@1` (ai@5) passes on neither
 * `is_byok` nor the raw usage, but the upstream's cost in its provider metadata: a fee (5% of the
 * upstream's cost, or none) less than half of it says the call was on the user's own key. A cost of
 * 0 (a free model) is the bill only where the call is known not to be on the user's own key.
 */
function openRouterCost(providerMetadata: unknown, usage: unknown): number | undefined {
  const metadata = (providerMetadata as { openrouter?: { usage?: any } })?.openrouter?.usage
  const cost = metadata?.cost
  const raw = (usage as { raw?: { is_byok?: unknown; cost_details?: any } })?.raw
  const upstream = raw
    ? raw.cost_details?.upstream_inference_cost
    : metadata?.costDetails?.upstreamInferenceCost
  let byok = raw?.is_byok
  if (typeof byok !== 'boolean' && typeof cost === 'number' && typeof upstream === 'number')
    byok = cost < upstream / 2
  if (byok === true) {
    const fee = positive(cost) ?? 0
    const billed = fee + (positive(upstream) ?? 0)
    return billed > 0 ? billed : undefined
  }
  if (byok === false && cost === 0) return 0
  return positive(cost)
}

function positive(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined
  const n = Number(value)
  return Number.isFinite(n) && n > 0 ? n : undefined
}

/** Cost of one call in USD. */
export interface Cost {
  total: number
  input: number
  output: number
}

/** Token counts a cost is computed from; cache counts are part of `input`. */
export interface CostUsage {
  input?: number | undefined
  output?: number | undefined
  cacheRead?: number | undefined
  cacheWrite?: number | undefined
  /** Of `cacheWrite`, the tokens written to Anthropic's 1-hour cache. */
  cacheWrite1h?: number | undefined
}

// Sub-nano-dollar float noise (0.1 + 0.2) is not a cost anyone bills.
const round = (usd: number) => Math.round(usd * 1e12) / 1e12

/** The cost of a call, or undefined unless both input and output token counts are known. */
export function computeCost(usage: CostUsage, price: ModelPrice): Cost | undefined {
  const { input, output } = usage
  if (input === undefined || output === undefined) return undefined
  const cacheRead = usage.cacheRead ?? 0
  const cacheWrite = usage.cacheWrite ?? 0
  const cacheWrite1h = Math.min(usage.cacheWrite1h ?? 0, cacheWrite)
  const uncached = Math.max(0, input - cacheRead - cacheWrite)
  // A long prompt's rates, for a model whose price rises with the prompt's length.
  const long = price.longPrompt
  if (long !== undefined && input > long.above) price = long
  const inputUsd =
    (uncached * price.input +
      cacheRead * (price.cachedInput ?? price.input) +
      (cacheWrite - cacheWrite1h) * (price.cacheWrite ?? price.input) +
      cacheWrite1h * (price.cacheWrite1h ?? 2 * price.input)) /
    1e6
  const outputUsd = (output * price.output) / 1e6
  return { total: round(inputUsd + outputUsd), input: round(inputUsd), output: round(outputUsd) }
}

const RATE_FIELDS = ['input', 'output', 'cachedInput', 'cacheWrite', 'cacheWrite1h'] as const
const PRICE_FIELDS = [...RATE_FIELDS, 'longPrompt'] as const

/** Checks a user price table, naming the first bad entry. Returns an error message or undefined. */
export function checkPriceTable(table: unknown): string | undefined {
  if (table === null || typeof table !== 'object' || collectionName(table))
    return `prices must be an object of { [modelId]: { input, output, cachedInput?, cacheWrite?, cacheWrite1h? } } (USD per million tokens), or false${
      table !== null && typeof table === 'object' ? `, got ${collectionName(table, true)}` : ''
    }`
  for (const [id, price] of Object.entries(table)) {
    // A misspelt rate (`cached`, `cacheRead`) was ignored: those tokens were priced at another rate.
    if (price !== null && typeof price === 'object')
      for (const key of Object.keys(price))
        if (!(PRICE_FIELDS as readonly string[]).includes(key)) {
          const near = closestKey(key, PRICE_FIELDS)
          return `prices["${id}"]: unknown rate \`${key}\`${near ? ` — did you mean \`${near}\`?` : '.'} Rates: ${RATE_FIELDS.join(', ')} (USD per million tokens), and longPrompt`
        }
    const wrong = wrongRate(price, `prices["${id}"]`)
    if (wrong) return wrong
    const long = (price as ModelPrice | null)?.longPrompt
    if (long === undefined) continue
    const where = `prices["${id}"].longPrompt`
    if (long === null || typeof long !== 'object')
      return `${where} must be an object { above, input, output, … }, got ${shownValue(long)}`
    for (const key of Object.keys(long))
      if (key !== 'above' && !(RATE_FIELDS as readonly string[]).includes(key))
        return `${where}: unknown field \`${key}\`. Fields: above (input tokens), ${RATE_FIELDS.join(', ')}`
    if (!Number.isInteger(long.above) || long.above < 1)
      return `${where}.above must be a whole number of input tokens ≥ 1, got ${shownValue(long.above)}`
    const wrongLong = wrongRate(long, where)
    if (wrongLong) return wrongLong
  }
  return undefined
}

// The first rate of `price` that is not a number ≥ 0 (input and output required), said.
function wrongRate(price: unknown, where: string): string | undefined {
  for (const field of RATE_FIELDS) {
    const value = (price as any)?.[field]
    const optional = field !== 'input' && field !== 'output'
    if (optional && value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      return `${where}.${field} must be a number ≥ 0 (USD per million tokens), got ${shownValue(value)}`
  }
  return undefined
}
