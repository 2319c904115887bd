// OTLP JSON and protobuf encode, Tokentrail against @opentelemetry/otlp-transformer on the same spans, to
// request bytes (what the exporter sends: both encoders return bytes). Warm-up first, then rounds
// alternating the encoders; CPU time per round (process.cpuUsage), medians with min–max across
// rounds. `node bench/encode.mjs` alone, or through bench/run.mjs.
// `--before=<dist dir>` adds a third encoder, the core built from another commit (its byte
// encoder into a kept buffer where it has one, else `encodeOtlpTraces`), in the same rounds.
// `--protobuf` measures the protobuf encoders instead (`encodeOtlpTracesProtobuf` into a kept
// ProtobufWriter, as the exporter calls it, against ProtobufTraceSerializer).
import { pathToFileURL } from 'node:url'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base'
import { encodeOtlpTracesBytes } from '../dist/exporters/otlp-json.js'
import { encodeOtlpTracesProtobuf } from '../dist/exporters/otlp-protobuf.js'
import * as core from '../dist/index.js'
import { JsonWriter } from '../dist/otlp/json-writer.js'
import { ProtobufWriter } from '../dist/otlp/protobuf-writer.js'

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
// `gen_ai.input.messages` JSON. Row 3 gives the escaped form alongside, as `setTrustedAttributes`
// lets a writer do; the middleware no longer does (holding that second copy until export cost more
// in GC than escaping at export), so row 4 is the path its prompts take.
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

// Spans made by `lib`'s own tracer: the escaped forms are kept by that build's module.
async function tracerSpans(lib, attributes, escaped) {
  const ours = []
  const tracer = lib.createTracer({
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
  for (let i = 0; i < BATCH; i++) {
    const span = tracer.startSpan('chat gpt-4o', { kind: 'llm' })
    if (escaped) lib.setTrustedAttributes(span, attributes, escaped)
    else span.setAttributes(attributes)
    span.end()
  }
  await tracer.flush()
  return ours
}

function otelSpans(attributes) {
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
  for (let i = 0; i < BATCH; i++) otel.startSpan('chat gpt-4o', { kind: 2, attributes }).end()
  return theirs
}

/**
 * Measures every row; returns { label, ours, theirs, ratio, before?, beforeRatio? } with spans per
 * CPU second. `before` is another build's dist/index.js module, measured in the same rounds.
 */
export async function measureEncode({
  rounds = 9,
  batchesPerRound = 40,
  before,
  protobuf = false,
} = {}) {
  const results = []
  for (const [label, attributes, escaped] of ENCODE_ROWS) {
    const ours = await tracerSpans(core, attributes, escaped)
    const theirs = otelSpans(attributes)
    // Into one buffer kept between batches, as the exporter does (it takes the buffer back once
    // the receiver answered 2xx); the transformer allocates its body each time.
    const writer = new JsonWriter(0)
    const protobufWriter = new ProtobufWriter(1024)
    const run = protobuf
      ? {
          ours: () => encodeOtlpTracesProtobuf(ours, undefined, protobufWriter),
          theirs: () => ProtobufTraceSerializer.serializeRequest(theirs),
        }
      : {
          ours: () => encodeOtlpTracesBytes(ours, undefined, writer),
          theirs: () => JsonTraceSerializer.serializeRequest(theirs),
        }
    if (before && protobuf) {
      const old = await tracerSpans(before.core, attributes, escaped)
      // A build without the kept writer ignores the third argument (one shared buffer, copied out).
      const oldWriter = before.ProtobufWriter ? new before.ProtobufWriter(1024) : undefined
      run.before = () => before.encodeOtlpTracesProtobuf(old, undefined, oldWriter)
    } else if (before) {
      const old = await tracerSpans(before.core, attributes, escaped)
      const oldWriter = before.JsonWriter ? new before.JsonWriter(0) : undefined
      run.before = before.encodeOtlpTracesBytes
        ? () => before.encodeOtlpTracesBytes(old, undefined, oldWriter)
        : () => {
            const body = before.encodeOtlpTraces(old)
            return typeof body === 'string' ? utf8.encode(body) : body
          }
    }
    const names = Object.keys(run)
    const perSecond = Object.fromEntries(names.map((name) => [name, []]))
    const once = (name) => {
      const start = process.cpuUsage()
      for (let i = 0; i < batchesPerRound; i++) run[name]()
      const { user, system } = process.cpuUsage(start)
      return (BATCH * batchesPerRound) / ((user + system) / 1e6)
    }
    for (let i = 0; i < 3; i++) for (const name of names) once(name) // warm-up
    // Each round in a new order (rotated, then reversed on odd rounds), so none always runs first.
    for (let r = 0; r < rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length])
      for (const name of r % 2 ? order.reverse() : order) perSecond[name].push(once(name))
    }
    const stat = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) })
    const ratioOf = (name) => stat(perSecond[name].map((x, i) => x / perSecond.theirs[i]))
    const result = {
      wire: protobuf ? 'protobuf' : 'JSON',
      label,
      ours: stat(perSecond.ours),
      theirs: stat(perSecond.theirs),
      ratio: ratioOf('ours'),
    }
    if (before) {
      result.before = stat(perSecond.before)
      result.beforeRatio = ratioOf('before')
    }
    results.push(result)
  }
  return results
}

const k = (x) => `${fmt(x / 1000)}k`
export function encodeLine({ wire = 'JSON', label, ours, theirs, ratio, before, beforeRatio }) {
  const line = `OTLP ${wire} encode to bytes, ${label}: tokentrail ${k(ours.median)} spans per CPU s (${k(ours.min)}–${k(ours.max)}), @opentelemetry/otlp-transformer ${k(theirs.median)} (${k(theirs.min)}–${k(theirs.max)}) → ${fmt(ratio.median, 2)}× (${fmt(ratio.min, 2)}–${fmt(ratio.max, 2)}) faster, goal ≥ 2×: ${ratio.median >= 2 ? 'met' : 'missed'}`
  if (!before) return line
  return `${line}; before: ${k(before.median)} (${k(before.min)}–${k(before.max)}) → ${fmt(beforeRatio.median, 2)}× (${fmt(beforeRatio.min, 2)}–${fmt(beforeRatio.max, 2)})`
}

// Another build's encoder, called as this one is: into a kept JsonWriter where that build has the
// byte encoder (since h20a), else its `encodeOtlpTraces` (main entry before the /otlp subpath).
async function loadBefore(dir) {
  const load = async (file) => import(pathToFileURL(`${dir}/${file}`).href).catch(() => undefined)
  const core = await load('index.js')
  const bytes = await load('exporters/otlp-json.js')
  const writer = await load('otlp/json-writer.js')
  const protobuf = await load('exporters/otlp-protobuf.js')
  const protobufWriter = await load('otlp/protobuf-writer.js')
  const protobufEncoder = {
    encodeOtlpTracesProtobuf: protobuf?.encodeOtlpTracesProtobuf,
    ProtobufWriter: protobufWriter?.ProtobufWriter,
  }
  if (bytes?.encodeOtlpTracesBytes && writer?.JsonWriter)
    return {
      core,
      encodeOtlpTracesBytes: bytes.encodeOtlpTracesBytes,
      JsonWriter: writer.JsonWriter,
      ...protobufEncoder,
    }
  const encodeOtlpTraces = core.encodeOtlpTraces ?? (await load('otlp.js'))?.encodeOtlpTraces
  if (!encodeOtlpTraces) throw new Error(`--before=${dir}: no OTLP JSON encoder found there`)
  return { core, encodeOtlpTraces, ...protobufEncoder }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const small = process.argv.includes('--small')
  const beforeArg = process.argv.find((arg) => arg.startsWith('--before='))
  const before = beforeArg ? await loadBefore(beforeArg.slice('--before='.length)) : undefined
  const protobuf = process.argv.includes('--protobuf')
  if (protobuf && before && !before.encodeOtlpTracesProtobuf)
    throw new Error(`${beforeArg}: no OTLP protobuf encoder found there`)
  const results = await measureEncode({
    ...(small ? { rounds: 3, batchesPerRound: 4 } : {}),
    before,
    protobuf,
  })
  for (const r of results) console.log(encodeLine(r))
}
