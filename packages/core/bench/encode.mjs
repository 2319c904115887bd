// OTLP JSON encode, Tokentrail against @opentelemetry/otlp-transformer on the same spans, to
// request bytes (the transformer returns bytes, so ours is UTF-8 encoded too). Warm-up first,
// then rounds alternating the two encoders; CPU time per round (process.cpuUsage), medians with
// min–max across rounds. `node bench/encode.mjs` alone, or through bench/run.mjs.
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { createTracer, encodeOtlpTraces, setTrustedAttributes } from '../dist/index.js'

const BATCH = 512
const utf8 = new TextEncoder()
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (n, d = 0) => n.toFixed(d)

const LLM = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.model': 'gpt-4o-2024-08-06',
  'gen_ai.usage.input_tokens': 1234,
  'gen_ai.usage.output_tokens': 256,
  'gen_ai.request.temperature': 0.7,
  'gen_ai.response.finish_reasons': ['stop'],
}
const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(8)
// The 50-message / 20 KB chat history of the AI SDK bench, as the ai-sdk middleware writes it:
// `gen_ai.input.messages` JSON, and the escaped form it builds alongside (setTrustedAttributes).
const turn = (i) =>
  `Turn ${i}: ${'Paris sits on the Seine; its museums, bridges and cafés draw "visitors" all year.\n'.repeat(5)}`
const history = []
for (let i = 0; i < 50; i++)
  history.push({ role: i % 2 ? 'assistant' : 'user', parts: [{ type: 'text', content: turn(i) }] })
const PROMPT = JSON.stringify(history)
const PROMPT_ESCAPED = JSON.stringify(PROMPT).slice(1, -1)

/** The rows: label, attributes, and the escaped forms the writer gives (as the middleware does). */
export const ENCODE_ROWS = [
  ['LLM spans, 8 attributes', LLM],
  ['LLM spans + 360-char output text', { ...LLM, 'gen_ai.output.text': TEXT }],
  [
    `LLM spans + ${fmt(PROMPT.length / 1024, 1)} KB prompt (gen_ai.input.messages, escaped form from the writer)`,
    { ...LLM, 'gen_ai.input.messages': PROMPT },
    { 'gen_ai.input.messages': PROMPT_ESCAPED },
  ],
  [
    `LLM spans + ${fmt(PROMPT.length / 1024, 1)} KB prompt, no escaped form (a span from setAttribute)`,
    { ...LLM, 'gen_ai.input.messages': PROMPT },
  ],
]

async function spansOf(attributes, escaped) {
  const ours = []
  const tracer = createTracer({
    serviceName: 'bench',
    maxQueueSize: 10_000,
    exporters: [
      {
        name: 'keep',
        export: async (spans) => {
          ours.push(...spans)
          return { code: 'success' }
        },
      },
    ],
  })
  const theirs = []
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [
      {
        onStart() {},
        onEnd: (span) => theirs.push(span),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  })
  const otel = provider.getTracer('@tokentrail/core', '0.1.0')
  for (let i = 0; i < BATCH; i++) {
    const span = tracer.startSpan('chat gpt-4o', { kind: 'llm' })
    if (escaped) setTrustedAttributes(span, attributes, escaped)
    else span.setAttributes(attributes)
    span.end()
    otel.startSpan('chat gpt-4o', { kind: 2, attributes }).end()
  }
  await tracer.flush()
  return { ours, theirs }
}

/** Measures every row; returns { label, ours, theirs, ratio } with spans per CPU second. */
export async function measureEncode({ rounds = 9, batchesPerRound = 40 } = {}) {
  const results = []
  for (const [label, attributes, escaped] of ENCODE_ROWS) {
    const { ours, theirs } = await spansOf(attributes, escaped)
    const run = {
      ours: () => utf8.encode(encodeOtlpTraces(ours)),
      theirs: () => JsonTraceSerializer.serializeRequest(theirs),
    }
    const perSecond = { ours: [], theirs: [] }
    const once = (name) => {
      const start = process.cpuUsage()
      for (let i = 0; i < batchesPerRound; i++) run[name]()
      const { user, system } = process.cpuUsage(start)
      return (BATCH * batchesPerRound) / ((user + system) / 1e6)
    }
    for (let i = 0; i < 3; i++) for (const name of ['ours', 'theirs']) once(name) // warm-up
    for (let r = 0; r < rounds; r++)
      for (const name of r % 2 ? ['theirs', 'ours'] : ['ours', 'theirs'])
        perSecond[name].push(once(name))
    const stat = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) })
    const o = stat(perSecond.ours)
    const t = stat(perSecond.theirs)
    const ratios = perSecond.ours.map((x, i) => x / perSecond.theirs[i])
    results.push({ label, ours: o, theirs: t, ratio: stat(ratios) })
  }
  return results
}

const k = (x) => `${fmt(x / 1000)}k`
export function encodeLine({ label, ours, theirs, ratio }) {
  return `OTLP JSON encode to bytes, ${label}: tokentrail ${k(ours.median)} spans per CPU s (${k(ours.min)}–${k(ours.max)}), @opentelemetry/otlp-transformer ${k(theirs.median)} (${k(theirs.min)}–${k(theirs.max)}) → ${fmt(ratio.median, 2)}× (${fmt(ratio.min, 2)}–${fmt(ratio.max, 2)}) faster, goal ≥ 2×: ${ratio.median >= 2 ? 'met' : 'missed'}`
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const small = process.argv.includes('--small')
  const results = await measureEncode(small ? { rounds: 3, batchesPerRound: 4 } : {})
  for (const r of results) console.log(encodeLine(r))
}
