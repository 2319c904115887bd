// One contender, one task, in its own process (so global registrations and heaps never mix).
// Usage: node --expose-gc src/worker.mjs <contender> <task> '<json options>'; SINK_URL in env.
// Prints one JSON line on stdout: the measurements, or { error }.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { createModel, PROMPT } from './model.mjs'

const [contenderId, task, optionsJson = '{}'] = process.argv.slice(2)
const options = JSON.parse(optionsJson)
const url = process.env.SINK_URL

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const gc = () => {
  globalThis.gc?.()
  globalThis.gc?.()
}

// One way of calling the AI SDK: the contender's, or its untraced baseline in the same process.
function side(c, { chunks = 8 } = {}) {
  return {
    generateText: c.generateText,
    streamText: c.streamText,
    model: c.model(createModel({ chunks })),
    options: { ...PROMPT, ...c.options },
  }
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

  // µs per generateText, traced and untraced in alternating blocks, each block ending with the
  // contender's flush (so deferred export work is counted).
  async overhead(c, { calls: n }) {
    const sides = { baseline: side(c.baseline), traced: side(c) }
    const us = { baseline: 0, traced: 0 }
    for (const s of Object.values(sides)) await calls(s, n / 4)
    await c.flush()
    const blocks = 4
    for (let block = 0; block < blocks; block++)
      for (const name of block % 2 ? ['traced', 'baseline'] : ['baseline', 'traced']) {
        const start = performance.now()
        await calls(sides[name], n / blocks)
        await c.flush()
        us[name] += ((performance.now() - start) * 1000) / n
      }
    return { value: us.traced, baseline: us.baseline }
  },

  // Chunks per second through streamText of one long answer read as text, traced and untraced.
  async stream(c, { chunks, repeat = 0 }) {
    const sides = { baseline: side(c.baseline, { chunks }), traced: side(c, { chunks }) }
    for (const name of ['baseline', 'traced']) {
      const s = side(name === 'traced' ? c : c.baseline, { chunks: Math.min(chunks, 10_000) })
      await drainText(s.streamText({ model: s.model, ...s.options }))
    }
    await c.flush()
    // A B B A (or B A A B): linear drift within the process (JIT, heap growth) cancels out.
    const order = repeat % 2 ? ['traced', 'baseline'] : ['baseline', 'traced']
    const seconds = { baseline: 0, traced: 0 }
    for (const name of [...order, ...[...order].reverse()]) {
      const s = sides[name]
      const start = performance.now()
      const received = await drainText(s.streamText({ model: s.model, ...s.options }))
      seconds[name] += (performance.now() - start) / 1000
      if (received !== chunks) throw new Error(`streamText gave ${received} chunks, not ${chunks}`)
      await c.flush()
    }
    const perSecond = {
      baseline: (2 * chunks) / seconds.baseline,
      traced: (2 * chunks) / seconds.traced,
    }
    return { value: perSecond.traced, baseline: perSecond.baseline }
  },

  // Median µs from the streamText call to the first text chunk in the consumer's hands, traced
  // and untraced calls interleaved.
  async ttft(c, { samples }) {
    const sides = { baseline: side(c.baseline), traced: side(c) }
    const once = async (s) => {
      const start = performance.now()
      const iterator = s
        .streamText({ model: s.model, ...s.options })
        .textStream[Symbol.asyncIterator]()
      await iterator.next()
      const us = (performance.now() - start) * 1000
      while (!(await iterator.next()).done) {}
      return us
    }
    for (let i = 0; i < samples / 2; i++) {
      await once(sides.baseline)
      await once(sides.traced)
    }
    await c.flush()
    const us = { baseline: [], traced: [] }
    for (let i = 0; i < samples; i++) {
      for (const name of i % 2 ? ['traced', 'baseline'] : ['baseline', 'traced'])
        us[name].push(await once(sides[name]))
      if (i % 50 === 49) await yieldToLoop()
    }
    await c.flush()
    return { value: median(us.traced), baseline: median(us.baseline) }
  },

  // Heap still held (after full GCs) once `calls` traced calls are done; no flush in between.
  // With the exporter down there is no flush at all: it would only wait for retries.
  async memory(c, { calls: n, down }) {
    const s = side(c)
    await calls(s, 1000)
    if (!down) await c.flush()
    await yieldToLoop()
    gc()
    const before = process.memoryUsage().heapUsed
    await calls(s, n)
    await new Promise((resolve) => setTimeout(resolve, 200)) // in-flight exports settle
    gc()
    const after = process.memoryUsage().heapUsed
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
