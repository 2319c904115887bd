// The names as constants, not the `ATTR` table: see semconv-names.ts.
import * as ATTR from '../semconv-names.js'
import type { Attributes, AttributeValue, SpanData } from '../types.js'
import type { OtlpProfile } from './otlp-profile.js'

/** Extra attributes for one span on the wire, or undefined for none. */
export type SpanMapper = (span: SpanData) => Attributes | undefined

const LLM_OPERATIONS: ReadonlySet<string> = new Set([
  'chat',
  'text_completion',
  'generate_content',
  'embeddings',
])

// Attributes in these namespaces are ours or OpenTelemetry's; anything else on an LLM span came
// from the user's metadata (`withTraceMetadata({ attributes })`).
const KNOWN_PREFIXES = [
  'gen_ai.',
  'tokentrail.',
  'http.',
  'url.',
  'server.',
  'client.',
  'network.',
  'user_agent.',
  'error.',
  'exception.',
  'service.',
  'telemetry.',
  'otel.',
  'user.id',
  'session.id',
]

function isUserKey(key: string): boolean {
  for (const prefix of KNOWN_PREFIXES) if (key.startsWith(prefix)) return false
  return true
}

function isLlmSpan(span: SpanData): boolean {
  const operation = span.attributes[ATTR.operationName]
  return span.kind === 'llm' || (typeof operation === 'string' && LLM_OPERATIONS.has(operation))
}

// The span a backend takes the trace's input and output from: the local root, or the request
// span an adapter opened under a remote parent.
function isTraceRoot(span: SpanData): boolean {
  return !span.parentSpanId || span.kind === 'http'
}

function num(value: AttributeValue | undefined): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function ttftMs(attributes: Attributes): number | undefined {
  const ms = num(attributes[ATTR.ttftMs])
  if (ms !== undefined) return ms
  const seconds = num(attributes[ATTR.responseTimeToFirstChunk])
  return seconds === undefined ? undefined : seconds * 1000
}

function userMetadata(attributes: Attributes): Record<string, AttributeValue> | undefined {
  let out: Record<string, AttributeValue> | undefined
  for (const key in attributes) if (isUserKey(key)) (out ??= {})[key] = attributes[key]!
  return out
}

const MAX_OPEN_TRACES = 512
// The strings are the spans' own (no copies), but a trace whose root never comes (sampled out,
// dropped) would keep them alive: bound the characters held as well as the traces.
const MAX_HELD_CHARS = 4_000_000

/**
 * Remembers, per trace, the first LLM input and the last LLM output this exporter sent, so the
 * trace's root span can carry them as `input.value` / `output.value` (both Langfuse and Phoenix
 * take a trace's input and output from its root). LLM spans end, and are exported, before the
 * span that holds them. Bounded: the oldest trace is forgotten first.
 */
class TraceContent {
  private readonly traces = new Map<string, { input?: string; output?: string }>()
  private held = 0

  see(span: SpanData): void {
    const input = span.attributes[ATTR.inputMessages]
    const output = span.attributes[ATTR.outputMessages]
    if (typeof input !== 'string' && typeof output !== 'string') return
    let entry = this.traces.get(span.traceId)
    if (!entry) this.traces.set(span.traceId, (entry = {}))
    if (typeof input === 'string' && entry.input === undefined) {
      entry.input = input
      this.held += input.length
    }
    if (typeof output === 'string') {
      this.held += output.length - (entry.output?.length ?? 0)
      entry.output = output
    }
    while (this.traces.size > MAX_OPEN_TRACES || this.held > MAX_HELD_CHARS) {
      const oldest = this.traces.keys().next().value as string
      this.take(oldest)
    }
  }

  take(traceId: string): { input?: string; output?: string } | undefined {
    const entry = this.traces.get(traceId)
    if (entry) {
      this.traces.delete(traceId)
      this.held -= (entry.input?.length ?? 0) + (entry.output?.length ?? 0)
    }
    return entry
  }
}

// OpenInference reads `*.mime_type` to render the value as JSON; Langfuse parses JSON by itself.
function addRootContent(
  out: Attributes,
  content: TraceContent,
  span: SpanData,
  mimeTypes: boolean,
): void {
  const entry = content.take(span.traceId)
  if (entry?.input !== undefined) {
    out['input.value'] = entry.input
    if (mimeTypes) out['input.mime_type'] = 'application/json'
  }
  if (entry?.output !== undefined) {
    out['output.value'] = entry.output
    if (mimeTypes) out['output.mime_type'] = 'application/json'
  }
}

/** Langfuse: keys from `langfuse/langfuse` packages/shared/src/server/otel (see backends.md). */
function langfuseMapper(): SpanMapper {
  const content = new TraceContent()
  return function langfuse(span) {
    const a = span.attributes
    let out: Attributes | undefined
    if (span.status === 'cancelled') {
      out = { 'langfuse.observation.level': 'WARNING' }
      const by = a[ATTR.cancelledBy]
      out['langfuse.observation.status_message'] = by ? `cancelled (${by})` : 'cancelled'
    }
    // Tags sit on the call span and its LLM spans; Langfuse merges them into the trace's.
    const tags = a[ATTR.tags]
    if (Array.isArray(tags) && tags.length > 0) (out ??= {})['langfuse.trace.tags'] = tags
    if (isLlmSpan(span)) {
      out ??= {}
      const ttft = ttftMs(a)
      if (ttft !== undefined)
        out['langfuse.observation.completion_start_time'] = new Date(
          span.startTime + ttft,
        ).toISOString()
      const cost = num(a[ATTR.costUsd])
      if (cost !== undefined) {
        const input = num(a[ATTR.costInputUsd])
        const output = num(a[ATTR.costOutputUsd])
        out['langfuse.observation.cost_details'] =
          input !== undefined && output !== undefined
            ? `{"input":${input},"output":${output},"total":${cost}}`
            : `{"total":${cost}}`
      }
      // Langfuse adds every gen_ai.usage.* key into the total, which counts reasoning and cached
      // tokens twice (they are part of output and input); send disjoint buckets when they exist.
      const reasoning = num(a[ATTR.usageReasoningOutputTokens])
      const cacheRead = num(a[ATTR.usageCacheReadInputTokens])
      const cacheWrite = num(a[ATTR.usageCacheCreationInputTokens])
      if (reasoning !== undefined || cacheRead !== undefined || cacheWrite !== undefined) {
        // A count the provider did not give stays out (never 0 for unknown).
        const input = num(a[ATTR.usageInputTokens])
        const output = num(a[ATTR.usageOutputTokens])
        const usage: Record<string, number> = {}
        if (input !== undefined)
          usage.input = Math.max(0, input - (cacheRead ?? 0) - (cacheWrite ?? 0))
        if (output !== undefined) usage.output = Math.max(0, output - (reasoning ?? 0))
        if (cacheRead !== undefined) usage.input_cached_tokens = cacheRead
        if (cacheWrite !== undefined) usage.input_cache_creation = cacheWrite
        if (reasoning !== undefined) usage.output_reasoning_tokens = reasoning
        if (input !== undefined && output !== undefined) usage.total = input + output
        out['langfuse.observation.usage_details'] = JSON.stringify(usage)
      }
      const metadata = userMetadata(a)
      for (const key in metadata) out[`langfuse.trace.metadata.${key}`] = metadata[key]!
      content.see(span)
    } else if (isTraceRoot(span)) {
      out ??= {}
      addRootContent(out, content, span, false)
      // Langfuse takes a trace's name, input and output from a span without a parent only: the
      // request span under a remote parent (an incoming traceparent) sets them with its own keys.
      if (span.parentSpanId) {
        out['langfuse.trace.name'] = span.name
        if (out['input.value'] !== undefined) out['langfuse.trace.input'] = out['input.value']
        if (out['output.value'] !== undefined) out['langfuse.trace.output'] = out['output.value']
      }
    }
    return out && Object.keys(out).length > 0 ? out : undefined
  }
}

/** Phoenix (OpenInference): keys from the OpenInference semantic conventions (see backends.md). */
function phoenixMapper(toolDefinitions: boolean): SpanMapper {
  const content = new TraceContent()
  return function phoenix(span) {
    const a = span.attributes
    const tags = a[ATTR.tags]
    const tagged: Attributes | undefined =
      Array.isArray(tags) && tags.length > 0 ? { 'tag.tags': tags } : undefined
    if (isLlmSpan(span)) {
      const out: Attributes = tagged ?? {}
      const reasoning = num(a[ATTR.usageReasoningOutputTokens])
      if (reasoning !== undefined) out['llm.token_count.completion_details.reasoning'] = reasoning
      const cacheRead = num(a[ATTR.usageCacheReadInputTokens])
      if (cacheRead !== undefined) out['llm.token_count.prompt_details.cache_read'] = cacheRead
      const cost = num(a[ATTR.costUsd])
      if (cost !== undefined) {
        out['llm.cost.total'] = cost
        const input = num(a[ATTR.costInputUsd])
        const output = num(a[ATTR.costOutputUsd])
        if (input !== undefined) out['llm.cost.prompt'] = input
        if (output !== undefined) out['llm.cost.completion'] = output
      }
      // OpenInference has no time-to-first-token key; Phoenix shows `metadata` on every span.
      let metadata: Record<string, AttributeValue> | undefined = userMetadata(a)
      const ttft = ttftMs(a)
      if (ttft !== undefined) (metadata ??= {}).ttft_ms = ttft
      if (metadata) out.metadata = JSON.stringify(metadata)
      const definitions = a[ATTR.toolDefinitions]
      if (toolDefinitions && typeof definitions === 'string') {
        try {
          const list = JSON.parse(definitions)
          if (Array.isArray(list))
            for (let i = 0; i < list.length; i++)
              out[`llm.tools.${i}.tool.json_schema`] = JSON.stringify(list[i])
        } catch {}
      }
      content.see(span)
      return Object.keys(out).length > 0 ? out : undefined
    }
    if (isTraceRoot(span)) {
      // A request span is a CHAIN; an AI SDK call span at the root keeps the AGENT Phoenix (and
      // Langfuse, behind a fan-out) makes of its `invoke_agent`.
      const out: Attributes =
        a[ATTR.operationName] === 'invoke_agent'
          ? { ...tagged }
          : { ...tagged, 'openinference.span.kind': 'CHAIN' }
      addRootContent(out, content, span, true)
      return Object.keys(out).length > 0 ? out : undefined
    }
    return tagged
  }
}

/** The mapper for a profile, or undefined when the profile adds nothing. */
export function createSpanMapper(
  profile: OtlpProfile,
  { toolDefinitions = false }: { toolDefinitions?: boolean } = {},
): SpanMapper | undefined {
  if (profile === 'langfuse') return langfuseMapper()
  if (profile === 'phoenix') return phoenixMapper(toolDefinitions)
  return undefined
}
