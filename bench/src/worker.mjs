// One contender, one task, in its own process (so global registrations and heaps never mix).
// Usage: node --expose-gc src/worker.mjs <contender> <task> '<json options>'; SINK_URL in env.
// Prints one JSON line on stdout: the measurements, or { error }.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { getHeapSpaceStatistics } from 'node:v8'
import { cpuSince, firstChunkPair, firstChunkUs, median, prompts, side } from './model.mjs'

const [contenderId, task, optionsJson = '{}'] = process.argv.slice(2)
const options = JSON.parse(optionsJson)
const url = process.env.SINK_URL

const gc = () => {
  globalThis.gc?.()
  globalThis.gc?.()
}

// `n` turns of the two sides in A B B A B A A B order (B A A B A B B A every other process), so
// linear drift in the process cancels out and a burst of load lands on both sides.
function turns(repeat, n) {
  const first = repeat % 2 ? ['traced', 'baseline'] : ['baseline', 'traced']
  return Array.from({ length: n }, (_, i) => first[[0, 1, 1, 0, 1, 0, 0, 1][i % 8]])
}

// CPU µs of one JSON.stringify of the prompt's messages: the unit for "passes over the prompt".
// CPU time like the rows it divides: wall time swung 2× between processes on a loaded machine.
function stringifyUs(prompt) {
  const value = prompt.messages ?? [{ role: 'user', content: prompt.prompt }]
  for (let i = 0; i < 200; i++) JSON.stringify(value)
  const start = process.cpuUsage()
  for (let i = 0; i < 2000; i++) JSON.stringify(value)
  return cpuSince(start) / 2000
}

async function calls(s, n) {
  for (let i = 0; i < n; i++) {
    const result = await s.generateText({ model: s.model, ...s.options })
    if (result.text.length === 0) throw new Error('generateText returned no text')
    // Let timers and sockets run, as they do between requests in a server.
    if (i % 50 === 49) await yieldToLoop()
  }
}

async function drainText(result) {
  let n = 0
  for await (const _ of result.textStream) n++
  return n
}

// The heap spaces that hold JavaScript data (objects, strings, arrays), not the engine's own code
// and bytecode: those moved ±1 MB within 50,000 calls for every contender (optimised code added
// +0.55 to +0.68 MB, bytecode flushed or not −1.04 to +0.20 MB, 2026-12-06), which no tracer keeps.
const DATA_SPACE = /^(?:new|old|new_large_object|large_object)_space$/

/** Bytes of JavaScript data on the heap plus ArrayBuffer memory (an exporter may queue bytes there). */
function heapAndBuffers() {
  let data = 0
  for (const space of getHeapSpaceStatistics())
    if (DATA_SPACE.test(space.space_name)) data += space.space_used_size
  return data + process.memoryUsage().arrayBuffers
}

// KB of heap held per stream while it is open (first chunk read, the rest not yet), traced and
// untraced, with the long prompt: what a server holds per in-flight chat answer. The model holds
// each answer after its first chunk until all are counted: otherwise the AI SDK reads the whole
// (in-memory) answer ahead, the streams have ended inside before they are counted, and the row
// would measure finished spans waiting for export instead of open streams.
async function openStreams(c, n, prompt = 'long') {
  let release
  const held = async (name) => {
    const hold = new Promise((resolve) => (release = resolve))
    const s = side(name === 'traced' ? c : c.baseline, { prompt, hold })
    await yieldToLoop()
    gc()
    const before = process.memoryUsage().heapUsed
    const open = []
    for (let i = 0; i < n; i++) {
      const iterator = s
        .streamText({ model: s.model, ...s.options })
        .textStream[Symbol.asyncIterator]()
      await iterator.next()
      open.push(iterator)
    }
    // Timers run too: a tracer may make a stream's spans just after its first chunk, and the row
    // must count them (a server holds them a millisecond later).
    await new Promise((resolve) => setTimeout(resolve, 20))
    await yieldToLoop()
    gc()
    const bytes = (process.memoryUsage().heapUsed - before) / n
    release()
    for (const iterator of open) while (!(await iterator.next()).done) {}
    return bytes
  }
  const sides = { baseline: 'baseline', traced: 'traced' }
  await held(sides.baseline)
  await held(sides.traced)
  await c.flush()
  const bytes = { baseline: [], traced: [] }
  for (let i = 0; i < 3; i++)
    for (const name of i % 2 ? ['traced', 'baseline'] : ['baseline', 'traced']) {
      bytes[name].push(await held(sides[name]))
      await c.flush()
    }
  return { value: median(bytes.traced) / 1024, baseline: median(bytes.baseline) / 1024 }
}

const tasks = {
  // A few calls of each kind, to check that the contender runs and reaches the sink.
  async smoke(c) {
    const s = side(c, { chunks: 20 })
    const { text } = await s.generateText({ model: s.model, ...s.options })
    const chunks = await drainText(s.streamText({ model: s.model, ...s.options }))
    await c.flush()
    return { text, chunks }
  },

  // Only the untraced baseline: the sink must receive nothing.
  async baselineOnly(c) {
    const s = side(c.baseline, { chunks: 20 })
    await calls(s, 20)
    await drainText(s.streamText({ model: s.model, ...s.options }))
    await c.flush()
    return { value: 0 }
  },

  // µs per generateText (wall and CPU), traced and untraced, with the short and the long prompt,
  // in interleaved blocks in the same process, each block ending with the contender's flush (so
  // deferred export work is counted). Both sides warm up first, so neither is measured while the
  // JIT is still compiling (a short warm-up made the untraced side look slow: a flattering figure).
  async overhead(c, { calls: n, warmup = n / 2, repeat = 0 }) {
    const sizes = Object.keys(prompts)
    const sides = {}
    for (const prompt of sizes)
      sides[prompt] = { baseline: side(c.baseline, { prompt }), traced: side(c, { prompt }) }
    // `n` measured calls in all: per prompt size and side, 4 blocks of `blockCalls`.
    const round50 = (x) => Math.max(50, Math.round(x / 50) * 50)
    const blockCalls = round50(n / sizes.length / 2 / 4)
    const warmupCalls = round50(warmup / sizes.length / 2 / 2)
    for (let i = 0; i < 2; i++)
      for (const prompt of sizes)
        for (const s of Object.values(sides[prompt])) await calls(s, warmupCalls)
    await c.flush()
    const order = turns(repeat, 8)
    const totals = {}
    for (const prompt of sizes)
      totals[prompt] = { wall: { baseline: 0, traced: 0 }, cpu: { baseline: 0, traced: 0 } }
    for (const name of order)
      for (const prompt of sizes) {
        const cpuStart = process.cpuUsage()
        const start = performance.now()
        await calls(sides[prompt][name], blockCalls)
        await c.flush()
        totals[prompt].wall[name] += (performance.now() - start) * 1000
        totals[prompt].cpu[name] += cpuSince(cpuStart)
      }
    const perCall = blockCalls * 4 // each side ran 4 blocks
    const byPrompt = {}
    for (const prompt of sizes) {
      const { wall, cpu } = totals[prompt]
      byPrompt[prompt] = {
        value: wall.traced / perCall,
        baseline: wall.baseline / perCall,
        cpu: cpu.traced / perCall,
        cpuBaseline: cpu.baseline / perCall,
        stringifyUs: stringifyUs(prompts[prompt]),
      }
    }
    return { value: byPrompt.short.value, calls: perCall, byPrompt }
  },

  // Chunks per second through streamText, traced and untraced: after `warmup` chunks per side,
  // `blocks` answers of `chunks` each per side, read as text, in A B B A B A A B order (the mirror
  // every other process), so drift in the process and bursts of load on the machine land on both
  // sides. Wall and CPU time per side, each answer's flush included. Until 2026-12-06 each side
  // read 2 answers of 100k chunks (A B B A) after one of 10k: an answer's CPU per chunk was still
  // falling 400k chunks in (38 → 29 µs on Node 22), and the untraced-vs-untraced floor read 1.136
  // in one run and 1.052 in the next.
  async stream(c, { chunks, blocks, warmup, repeat = 0 }) {
    const sides = { baseline: side(c.baseline, { chunks }), traced: side(c, { chunks }) }
    const warmChunks = Math.min(chunks, warmup)
    const warming = [side(c.baseline, { chunks: warmChunks }), side(c, { chunks: warmChunks })]
    for (let done = 0; done < warmup; done += chunks)
      for (const s of warming) await drainText(s.streamText({ model: s.model, ...s.options }))
    await c.flush()
    const order = turns(repeat, 2 * blocks)
    const seconds = { baseline: 0, traced: 0 }
    const cpu = { baseline: 0, traced: 0 }
    for (const name of order) {
      const s = sides[name]
      const cpuStart = process.cpuUsage()
      const start = performance.now()
      const received = await drainText(s.streamText({ model: s.model, ...s.options }))
      await c.flush()
      seconds[name] += (performance.now() - start) / 1000
      cpu[name] += cpuSince(cpuStart)
      if (received !== chunks) throw new Error(`streamText gave ${received} chunks, not ${chunks}`)
    }
    const read = blocks * chunks
    return {
      value: read / seconds.traced,
      baseline: read / seconds.baseline,
      // CPU µs per chunk: the same work without the time the machine gave other processes.
      cpu: cpu.traced / read,
      cpuBaseline: cpu.baseline / read,
    }
  },

  // Median µs from the streamText call to the first text chunk in the consumer's hands, traced
  // and untraced calls interleaved, with the short and the long prompt; then the heap each open
  // stream holds with the long prompt.
  // `warmup` pairs (untraced, traced) per prompt size before the `samples` measured: on Node 22 the
  // added time still falls for the first ~4,000 pairs as the engine optimises both paths
  // (ttft-warmup.mjs prints the curve).
  async ttft(c, { samples, warmup = samples, streams }) {
    const byPrompt = {}
    for (const prompt of Object.keys(prompts)) {
      const sides = { baseline: side(c.baseline, { prompt }), traced: side(c, { prompt }) }
      for (let i = 0; i < warmup; i++) {
        await firstChunkUs(sides.baseline)
        await firstChunkUs(sides.traced)
        if (i % 50 === 49) await yieldToLoop()
      }
      await c.flush()
      const us = { baseline: [], traced: [] }
      for (let i = 0; i < samples; i++) {
        await firstChunkPair(sides, i, us)
        if (i % 50 === 49) await yieldToLoop()
      }
      await c.flush()
      byPrompt[prompt] = { value: median(us.traced), baseline: median(us.baseline) }
    }
    const openStream = await openStreams(c, streams)
    return { value: byPrompt.short.value, byPrompt, openStream }
  },

  // Memory still held (after full GCs) once `calls` traced calls are done; no flush in between.
  // With the exporter down there is no flush at all: it would only wait for retries. The JS heap
  // and ArrayBuffer memory both: an exporter may queue spans as bytes outside the heap.
  async memory(c, { calls: n, warmup = 1000, down }) {
    const s = side(c)
    await calls(s, warmup)
    if (!down) await c.flush()
    await yieldToLoop()
    gc()
    const before = heapAndBuffers()
    await calls(s, n)
    await new Promise((resolve) => setTimeout(resolve, 200)) // in-flight exports settle
    gc()
    const after = heapAndBuffers()
    return { value: (after - before) / 1024 / 1024 }
  },

  // A sustained generateText loop, then a flush. After the warm-up the worker prints a mark, so
  // the parent counts only what the sink receives from the measured calls.
  async export(c, { calls: n }) {
    const s = side(c)
    await calls(s, 200)
    await c.flush()
    await new Promise((resolve) => setTimeout(resolve, 50))
    process.stdout.write('{"mark":true}\n')
    const start = performance.now()
    await calls(s, n)
    await c.flush()
    return { value: (performance.now() - start) / 1000, calls: n }
  },
}

try {
  const { setup } = await import(`./contenders/${contenderId}.mjs`)
  const contender = await setup({ url })
  const result = await tasks[task](contender, options)
  if (contender.stats) result.stats = contender.stats()
  process.stdout.write(`${JSON.stringify(result)}\n`)
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: String(error?.stack ?? error) })}\n`)
}
process.exit(0)
