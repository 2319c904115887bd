// Core benchmarks: ratios against the OpenTelemetry JS SDK measured in the same run.
// Run with `pnpm bench` (after a build). Not a test: it prints figures and targets.
import { gzipSync } from 'node:zlib'
import { context as otelContext, trace } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { build } from 'esbuild'
import { encodeOtlpTracesBytes } from '../dist/exporters/otlp-json.js'
import { chooseTransport, webFetch } from '../dist/exporters/transport.js'
import { createTracer, otlpExporter } from '../dist/index.js'
import { encodeOtlpTraces, encodeOtlpTracesProtobuf } from '../dist/otlp.js'

const small = process.argv.includes('--small')
const ROUNDS = small ? 3 : 7
const OPS = small ? 20_000 : 200_000

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const fmt = (n, d = 1) => n.toFixed(d)
const rows = []
const row = (name, value, target, pass) => rows.push({ name, value, target, pass })
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve))

async function timePerOp(fn) {
  const samples = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.hrtime.bigint()
    for (let i = 0; i < OPS; i += 1000) {
      for (let j = 0; j < 1000; j++) fn()
      await yieldToLoop()
    }
    samples.push(Number(process.hrtime.bigint() - start) / OPS)
  }
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples) }
}

// 1. span start + end + queue
const noop = { name: 'noop', export: async () => ({ code: 'success' }) }
const ours = createTracer({ serviceName: 'bench', exporters: [noop] })
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'bench' }),
  spanProcessors: [
    new BatchSpanProcessor({ export: (_s, done) => done({ code: 0 }), shutdown: async () => {} }),
  ],
})
const otel = provider.getTracer('bench')
const attrs = { 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 12 }
const otelParent = otel.startSpan('parent')
const otelCtx = trace.setSpan(otelContext.active(), otelParent)
const ourParent = ours.startSpan('parent')
// warm-up
await timePerOp(() => ours.startSpan('op', { parent: ourParent, attributes: attrs }).end())
await timePerOp(() => otel.startSpan('op', { attributes: attrs }, otelCtx).end())
const tSpan = await timePerOp(() =>
  ours.startSpan('op', { parent: ourParent, attributes: attrs }).end(),
)
const oSpan = await timePerOp(() => otel.startSpan('op', { attributes: attrs }, otelCtx).end())
const spanRatio = tSpan.median / oSpan.median
row(
  `span start+end+queue: tokentrail ${fmt(tSpan.median)} ns/op (${fmt(tSpan.min)}–${fmt(tSpan.max)}), OTel SDK ${fmt(oSpan.median)} ns/op (${fmt(oSpan.min)}–${fmt(oSpan.max)})`,
  `${fmt(spanRatio, 2)}×`,
  '≤ 0.5×',
  spanRatio <= 0.5,
)

// 2. OTLP JSON encoding to request bytes (both serializers return bytes)
const BATCH = 512
const llmAttrs = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.model': 'gpt-4o-2024-08-06',
  'gen_ai.usage.input_tokens': 1234,
  'gen_ai.usage.output_tokens': 256,
  'gen_ai.request.temperature': 0.7,
  'gen_ai.response.finish_reasons': ['stop'],
}
async function encodeRow(label, attributes) {
  const memory = []
  const collectTracer = createTracer({
    serviceName: 'bench',
    maxQueueSize: 10_000,
    exporters: [
      {
        name: 'keep',
        export: async (spans) => {
          memory.push(...spans)
          return { code: 'success' }
        },
      },
    ],
  })
  const otelSpans = []
  const otelProvider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [
      {
        onStart() {},
        onEnd: (s) => otelSpans.push(s),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  })
  const otelCollect = otelProvider.getTracer('@tokentrail/core', '0.1.0')
  for (let i = 0; i < BATCH; i++) {
    collectTracer.startSpan('chat gpt-4o', { kind: 'llm', attributes }).end()
    otelCollect.startSpan('chat gpt-4o', { kind: 2, attributes }).end()
  }
  await collectTracer.flush()
  const encodeRounds = small ? 20 : 200
  const rate = (fn) => {
    const samples = []
    for (let r = 0; r < ROUNDS; r++) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < encodeRounds; i++) fn()
      samples.push((BATCH * encodeRounds) / (Number(process.hrtime.bigint() - start) / 1e9))
    }
    return median(samples)
  }
  const ours = () => encodeOtlpTracesBytes(memory)
  const theirs = () => JsonTraceSerializer.serializeRequest(otelSpans)
  rate(ours)
  rate(theirs)
  const t = rate(ours)
  const o = rate(theirs)
  row(
    `OTLP JSON encode to bytes, ${label}: tokentrail ${fmt(t / 1000, 0)}k spans/s, @opentelemetry/otlp-transformer ${fmt(o / 1000, 0)}k spans/s`,
    `${fmt(t / o, 2)}× faster`,
    '≥ 2×',
    t / o >= 2,
  )
}
await encodeRow('LLM spans, 8 attributes', llmAttrs)
await encodeRow('LLM spans + 360-char output text', {
  ...llmAttrs,
  'tokentrail.output.text': 'The quick brown fox jumps over the lazy dog. '.repeat(8),
})

// 2a. OTLP protobuf: encode rate against our JSON and OTel's protobuf serializer, and bytes per
// call for JSON, protobuf and gzip, with each backend profile's added keys.
{
  const callAttrs = {
    ...llmAttrs,
    'gen_ai.usage.reasoning.output_tokens': 64,
    'tokentrail.ttft_ms': 120.5,
    'tokentrail.cost.usd': 0.0042,
    'tokentrail.cost.input_usd': 0.003,
    'tokentrail.cost.output_usd': 0.0012,
    'tokentrail.tags': ['chat', 'beta'],
    'user.id': 'user-1',
    'session.id': 'chat-9',
    'tokentrail.output.text': 'The quick brown fox jumps over the lazy dog. '.repeat(8),
  }
  // One call = a request span holding one LLM span, as the adapters and the middleware record it.
  const CALLS = 256
  const memory = []
  const keep = createTracer({
    serviceName: 'bench',
    maxQueueSize: 10_000,
    exporters: [
      {
        name: 'keep',
        export: async (spans) => {
          memory.push(...spans)
          return { code: 'success' }
        },
      },
    ],
  })
  // Each call's answer differs (gzip would otherwise fold 256 identical texts into one).
  const words =
    'the quick brown fox jumps over lazy dog while seven wizards quietly judge boxing'.split(' ')
  let seed = 7
  const answer = () => {
    let text = ''
    while (text.length < 360) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      text += `${words[seed % words.length]} `
    }
    return text
  }
  for (let i = 0; i < CALLS; i++) {
    const root = keep.startSpan('POST /api/chat', { kind: 'http' })
    keep
      .startSpan('chat gpt-4o', {
        kind: 'llm',
        parent: root,
        attributes: { ...callAttrs, 'tokentrail.output.text': answer() },
      })
      .end()
    root.end()
  }
  await keep.flush()
  const otelSpans = []
  const otelProvider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'bench' }),
    spanProcessors: [
      {
        onStart() {},
        onEnd: (s) => otelSpans.push(s),
        forceFlush: async () => {},
        shutdown: async () => {},
      },
    ],
  })
  const otelTracer = otelProvider.getTracer('@tokentrail/core', '0.1.0')
  for (let i = 0; i < CALLS; i++)
    otelTracer.startSpan('chat gpt-4o', { kind: 2, attributes: callAttrs }).end()
  const rounds = small ? 20 : 200
  const rate = (fn, spans) => {
    const samples = []
    for (let r = 0; r < ROUNDS; r++) {
      const start = process.hrtime.bigint()
      for (let i = 0; i < rounds; i++) fn()
      samples.push((spans * rounds) / (Number(process.hrtime.bigint() - start) / 1e9))
    }
    return median(samples)
  }
  const llmOnly = memory.filter((s) => s.kind === 'llm')
  const jsonRun = () => encodeOtlpTracesBytes(llmOnly)
  const protoRun = () => encodeOtlpTracesProtobuf(llmOnly)
  const otelRun = () => ProtobufTraceSerializer.serializeRequest(otelSpans)
  for (const fn of [jsonRun, protoRun, otelRun]) rate(fn, CALLS)
  const json = rate(jsonRun, CALLS)
  const proto = rate(protoRun, CALLS)
  const otelProto = rate(otelRun, CALLS)
  row(
    `OTLP encode to bytes, LLM spans (16 attributes + 360-char text): protobuf ${fmt(proto / 1000, 0)}k spans/s, JSON ${fmt(json / 1000, 0)}k spans/s, @opentelemetry/otlp-transformer protobuf ${fmt(otelProto / 1000, 0)}k spans/s`,
    `${fmt(proto / json, 2)}× JSON, ${fmt(proto / otelProto, 2)}× OTel`,
    'protobuf ≥ 1× JSON',
    proto >= json,
  )
  // Bytes per call as each profile's exporter would send them (the same encoders, the same mapper),
  // counted by a local server (the exporter picks its transport itself: node:http here).
  const { createServer } = await import('node:http')
  let bytes = 0
  const counter = createServer((request, response) => {
    request.on('data', (chunk) => {
      bytes += chunk.length
    })
    request.on('end', () => response.end())
  })
  await new Promise((resolve) => counter.listen(0, '127.0.0.1', resolve))
  const counterUrl = `http://127.0.0.1:${counter.address().port}/v1/traces`
  const sizes = {}
  for (const profile of ['otel', 'langfuse', 'phoenix']) {
    for (const protocol of ['http/json', 'http/protobuf']) {
      bytes = 0
      const exporter = otlpExporter({ url: counterUrl, profile, protocol })
      await exporter.export(memory, new AbortController().signal)
      const body =
        protocol === 'http/json' ? encodeOtlpTracesBytes(memory) : encodeOtlpTracesProtobuf(memory)
      sizes[`${profile} ${protocol}`] = bytes / CALLS
      if (profile === 'otel') sizes[`gzip ${protocol}`] = gzipSync(body).length / CALLS
    }
  }
  counter.closeAllConnections()
  counter.close()
  const b = (key) => Math.round(sizes[key]).toLocaleString('en')
  row(
    `bytes per call (request span + LLM span), batch of ${CALLS}: JSON ${b('otel http/json')}, protobuf ${b('otel http/protobuf')}, gzip JSON ${b('gzip http/json')}, gzip protobuf ${b('gzip http/protobuf')}`,
    `protobuf ${fmt(sizes['otel http/protobuf'] / sizes['otel http/json'], 2)}× JSON`,
    'protobuf < JSON',
    sizes['otel http/protobuf'] < sizes['otel http/json'],
  )
  row(
    `bytes per call by profile (JSON / protobuf): otel ${b('otel http/json')} / ${b('otel http/protobuf')}, langfuse ${b('langfuse http/json')} / ${b('langfuse http/protobuf')}, phoenix ${b('phoenix http/json')} / ${b('phoenix http/protobuf')}`,
    `+${Math.round(sizes['langfuse http/protobuf'] - sizes['otel http/protobuf'])} / +${Math.round(sizes['phoenix http/protobuf'] - sizes['otel http/protobuf'])} bytes (protobuf)`,
    'only on the profile that needs them',
    true,
  )
}

// 2b. metrics: added cost per traced LLM call with GenAI metrics on vs off
{
  const llmSpanAttrs = {
    ...llmAttrs,
    'tokentrail.ttft_ms': 120.5,
    'tokentrail.time_to_last_chunk_ms': 900.25,
    'tokentrail.chunk_count': 40,
    'tokentrail.cost.usd': 0.0042,
  }
  const off = createTracer({ serviceName: 'bench', exporters: [noop], metrics: false })
  const on = createTracer({
    serviceName: 'bench',
    exporters: [noop],
    metrics: { exporters: [{ name: 'noop-metrics', export: async () => ({ code: 'success' }) }] },
  })
  const call = (tracer) => () =>
    tracer.startSpan('chat gpt-4o', { kind: 'llm', attributes: llmSpanAttrs }).end()
  await timePerOp(call(off))
  await timePerOp(call(on))
  const tOff = await timePerOp(call(off))
  const tOn = await timePerOp(call(on))
  row(
    `LLM span with GenAI metrics: on ${fmt(tOn.median)} ns/call, off ${fmt(tOff.median)} ns/call`,
    `+${fmt(tOn.median - tOff.median)} ns/call (${fmt(tOn.median / tOff.median, 2)}×)`,
    '< 1 µs added',
    tOn.median - tOff.median < 1000,
  )
}

// 2c. export: µs per span from encode to the collector's answer, over fetch and over the
// keep-alive node:http transport (what Node now uses), to a local sink, CPU time beside wall time.
{
  // The sink runs in its own process, so its CPU time is not counted as the exporter's.
  const { spawn } = await import('node:child_process')
  const sink = spawn(
    process.execPath,
    [
      '-e',
      `require('node:http').createServer((q, r) => { q.resume(); q.on('end', () => r.end('{}')) }).listen(0, '127.0.0.1', function () { console.log(this.address().port) })`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  const port = await new Promise((resolve) => sink.stdout.once('data', (d) => resolve(Number(d))))
  const url = `http://127.0.0.1:${port}/v1/traces`
  const spans = []
  const collect = createTracer({
    serviceName: 'bench',
    exporters: [
      {
        name: 'keep',
        export: async (batch) => {
          spans.push(...batch)
          return { code: 'success' }
        },
      },
    ],
  })
  for (let i = 0; i < 64; i++)
    collect.startSpan('chat gpt-4o', { kind: 'llm', attributes: llmAttrs }).end()
  await collect.flush()
  const headers = { 'content-type': 'application/json' }
  const transports = { fetch: webFetch, 'node:http': chooseTransport() }
  const EXPORTS = small ? 500 : 5_000
  const perSpan = async (send, batch) => {
    const samples = { wall: [], cpu: [] }
    for (let round = 0; round < ROUNDS; round++) {
      const cpu = process.cpuUsage()
      const start = performance.now()
      for (let i = 0; i < EXPORTS / batch; i++) {
        const response = await send(url, {
          method: 'POST',
          headers,
          body: encodeOtlpTraces(spans.slice(0, batch)),
          signal: AbortSignal.timeout(10_000),
        })
        await response.text()
      }
      const { user, system } = process.cpuUsage(cpu)
      samples.wall.push(((performance.now() - start) * 1000) / EXPORTS)
      samples.cpu.push((user + system) / EXPORTS)
    }
    return { wall: median(samples.wall), cpu: median(samples.cpu) }
  }
  for (const batch of [1, 64]) {
    const result = {}
    for (const name of Object.keys(transports)) await perSpan(transports[name], batch) // warm-up
    // Interleaved rounds per transport: fetch, node, node, fetch.
    for (const name of [...Object.keys(transports), ...Object.keys(transports).reverse()]) {
      const r = await perSpan(transports[name], batch)
      result[name] ??= { wall: 0, cpu: 0 }
      result[name].wall += r.wall / 2
      result[name].cpu += r.cpu / 2
    }
    const f = result.fetch
    const n = result['node:http']
    row(
      `export, ${batch === 1 ? '1 span per request (a flush per call)' : `${batch} spans per request`}, encode to answer, µs per span: fetch CPU ${fmt(f.cpu)} (wall ${fmt(f.wall)}), node:http keep-alive CPU ${fmt(n.cpu)} (wall ${fmt(n.wall)})`,
      `${fmt(n.cpu / f.cpu, 2)}× the CPU of fetch`,
      '< 1× (node:http cheaper)',
      n.cpu < f.cpu,
    )
  }
  // The exporter as users get it: otlpExporter over the chosen transport.
  const exporter = otlpExporter({ url })
  const viaExporter = async () => {
    const cpu = process.cpuUsage()
    for (let i = 0; i < EXPORTS; i++)
      await exporter.export(spans.slice(0, 1), AbortSignal.timeout(10_000))
    const { user, system } = process.cpuUsage(cpu)
    return (user + system) / EXPORTS
  }
  await viaExporter()
  const viaCpu = await viaExporter()
  row(
    `otlpExporter().export of 1 span (the chosen transport: ${chooseTransport() === webFetch ? 'fetch' : 'node:http'}), CPU µs per span`,
    `${fmt(viaCpu)} µs`,
    '—',
    true,
  )
  sink.kill()
}

// 3. heap with an exporter that never answers
const hanging = createTracer({
  serviceName: 'bench',
  exportTimeoutMs: 3_600_000,
  exporters: [{ name: 'hang', export: () => new Promise(() => {}) }],
})
global.gc?.()
const heapBefore = process.memoryUsage().heapUsed
const SPANS = small ? 100_000 : 1_000_000
for (let i = 0; i < SPANS; i++) {
  hanging.startSpan('op', { attributes: attrs }).end()
  if (i % 10_000 === 0) await yieldToLoop()
}
global.gc?.()
const heapAfter = process.memoryUsage().heapUsed
const grownMb = (heapAfter - heapBefore) / 1024 / 1024
const st = hanging.stats()
row(
  `heap after ${SPANS.toLocaleString('en')} spans, exporter never answers (queue 2048): +${fmt(grownMb)} MB, dropped ${st.dropped.queueFull.toLocaleString('en')} (counted), queued ${st.queued}`,
  `+${fmt(grownMb)} MB`,
  'bounded (< 16 MB)',
  grownMb < 16 && st.dropped.queueFull + st.queued + 512 >= SPANS,
)

// 3b. trace-complete sampling and redaction: wall time with CPU time beside it, medians (min–max)
// of ROUNDS rounds after a warm-up round, and an A/A row (the same setup measured twice) for the
// noise floor.
async function wallAndCpu(fn, ops) {
  const wall = []
  const cpu = []
  for (let round = -1; round < ROUNDS; round++) {
    const start = process.hrtime.bigint()
    const cpuStart = process.cpuUsage()
    for (let i = 0; i < ops; i += 100) {
      for (let j = 0; j < 100; j++) fn()
      await yieldToLoop()
    }
    const used = process.cpuUsage(cpuStart)
    if (round < 0) continue // warm-up
    wall.push(Number(process.hrtime.bigint() - start) / ops)
    cpu.push(((used.user + used.system) * 1000) / ops)
  }
  const stat = (xs) => ({ median: median(xs), min: Math.min(...xs), max: Math.max(...xs) })
  return { wall: stat(wall), cpu: stat(cpu) }
}
const us = (ns) => fmt(ns / 1000, 2)
const spread = (s) => `${us(s.median)} µs (${us(s.min)}–${us(s.max)})`
{
  const OPS_TRACE = small ? 5_000 : 50_000
  const llm = {
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.usage.input_tokens': 1234,
    'gen_ai.usage.output_tokens': 256,
    'tokentrail.cost.usd': 0.0042,
  }
  const make = (sampling) =>
    createTracer({
      serviceName: 'bench',
      exporters: [noop],
      sampleRate: 0.1,
      metrics: false,
      sampling,
    })
  // One request: a root span with an LLM call span beneath it.
  const request = (tracer) => () => {
    const root = tracer.startSpan('POST /api/chat', { kind: 'http' })
    tracer.startSpan('chat gpt-4o', { kind: 'llm', parent: root, attributes: llm }).end()
    root.end()
  }
  const head = make(false)
  const tail = make({})
  const headA = await wallAndCpu(request(head), OPS_TRACE)
  const tailT = await wallAndCpu(request(tail), OPS_TRACE)
  const headB = await wallAndCpu(request(head), OPS_TRACE)
  row(
    `per request (root + LLM span), p = 0.1: trace-complete ${spread(tailT.wall)} wall, ${spread(tailT.cpu)} CPU; head ${spread(headA.wall)} wall, ${spread(headA.cpu)} CPU; head again (noise) ${spread(headB.wall)} wall`,
    `+${us(tailT.wall.median - headA.wall.median)} µs wall, +${us(tailT.cpu.median - headA.cpu.median)} µs CPU per request`,
    '< 5 µs CPU added',
    tailT.cpu.median - headA.cpu.median < 5000,
  )

  const OPS_REDACT = small ? 500 : 5_000
  const prose =
    'The customer asked about the refund for order 5531 placed last week, and whether the replacement ships before Friday. '
  let prompt = ''
  while (prompt.length < 20 * 1024) prompt += prose
  prompt = `Contact jane.doe@example.com or +1 415-555-2671. ${prompt}`
  const messages = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: prompt }] }])
  const withPrompt = { ...llm, 'gen_ai.input.messages': messages }
  const tracerWith = (redaction) =>
    createTracer({ serviceName: 'bench', exporters: [noop], metrics: false, redaction })
  const off = tracerWith(false)
  const on = tracerWith({})
  const onPaths = tracerWith({ paths: ['gen_ai.input.messages[*].parts[*].content'] })
  const span = (tracer) => () =>
    tracer.startSpan('chat gpt-4o', { kind: 'llm', attributes: withPrompt }).end()
  const offA = await wallAndCpu(span(off), OPS_REDACT)
  const onT = await wallAndCpu(span(on), OPS_REDACT)
  const pathT = await wallAndCpu(span(onPaths), OPS_REDACT)
  const offB = await wallAndCpu(span(off), OPS_REDACT)
  row(
    `LLM span with a ${fmt(messages.length / 1024, 1)} KB prompt, redaction off ${spread(offA.wall)} wall, ${spread(offA.cpu)} CPU; off again (noise) ${spread(offB.wall)}`,
    '—',
    'baseline',
    true,
  )
  row(
    `… all 7 detectors on: ${spread(onT.wall)} wall, ${spread(onT.cpu)} CPU`,
    `+${us(onT.wall.median - offA.wall.median)} µs wall, +${us(onT.cpu.median - offA.cpu.median)} µs CPU per span`,
    '< 200 µs CPU added',
    onT.cpu.median - offA.cpu.median < 200_000,
  )
  row(
    `… 7 detectors + JSON-path rule on the message content: ${spread(pathT.wall)} wall, ${spread(pathT.cpu)} CPU`,
    `+${us(pathT.wall.median - offA.wall.median)} µs wall, +${us(pathT.cpu.median - offA.cpu.median)} µs CPU per span`,
    '< 200 µs CPU added',
    pathT.cpu.median - offA.cpu.median < 200_000,
  )
}

// 3c. heap with 10,000 traces open at once under trace-complete sampling (default budget:
// 20,000 spans, 32 MiB estimated): each trace has three finished spans waiting for its root.
{
  const tracer = createTracer({
    serviceName: 'bench',
    exporters: [noop],
    sampleRate: 0.1,
    sampling: {},
  })
  const OPEN = small ? 2_000 : 10_000
  global.gc?.()
  const before = process.memoryUsage().heapUsed
  const roots = []
  for (let i = 0; i < OPEN; i++) {
    const root = tracer.startSpan('POST /api/chat', { kind: 'http' })
    for (let j = 0; j < 3; j++)
      tracer.startSpan('chat gpt-4o', { kind: 'llm', parent: root, attributes: llmAttrs }).end()
    roots.push(root)
    if (i % 1000 === 0) await yieldToLoop()
  }
  global.gc?.()
  const open = tracer.stats().sampling
  const grown = (process.memoryUsage().heapUsed - before) / 1024 / 1024
  for (const root of roots) root.end()
  const done = tracer.stats().sampling
  row(
    `heap with ${OPEN.toLocaleString('en')} traces open (3 finished spans each, trace-complete sampling, budget 20,000 spans): +${fmt(grown)} MB, ${open.bufferedSpans.toLocaleString('en')} spans buffered (${fmt(open.bufferedBytes / 1024 / 1024)} MB estimated), ${open.decidedEarly.toLocaleString('en')} traces decided early, ${open.headFallback.toLocaleString('en')} at their start; after the roots end: ${done.bufferedSpans} buffered`,
    `+${fmt(grown)} MB`,
    'bounded (≤ 20,000 spans buffered)',
    open.bufferedSpans <= 20_000 && done.bufferedSpans === 0,
  )
}

// 4. bundle size
const bundle = await build({
  entryPoints: [new URL('../dist/index.js', import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
})
const gz = gzipSync(bundle.outputFiles[0].contents, { level: 9 }).length
row(
  `core bundle (esbuild, min+gzip, everything exported)`,
  `${fmt(gz / 1024, 2)} KB`,
  '≤ 6 KB',
  gz <= 6 * 1024,
)
const treeShaken = await build({
  stdin: {
    contents: `export { createTracer, otlpExporter } from './dist/index.js'`,
    resolveDir: new URL('..', import.meta.url).pathname,
  },
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'neutral',
  write: false,
})
const gz2 = gzipSync(treeShaken.outputFiles[0].contents, { level: 9 }).length
row(
  `core bundle, createTracer + otlpExporter only (min+gzip)`,
  `${fmt(gz2 / 1024, 2)} KB`,
  '≤ 6 KB',
  gz2 <= 6 * 1024,
)

console.log(
  `\n@tokentrail/core benchmarks — Node ${process.version}, ${ROUNDS} rounds, medians (min–max)\n`,
)
console.log('| measure | result | target | met |')
console.log('|---|---|---|---|')
for (const r of rows)
  console.log(`| ${r.name} | ${r.value} | ${r.target} | ${r.pass ? 'yes' : 'NO'} |`)
process.exit(0)
