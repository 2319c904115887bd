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

async function calls(c, model, n) {
  for (let i = 0; i < n; i++) {
    const result = await c.generateText({ model, ...PROMPT })
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
    const model = c.model(createModel())
    const { text } = await c.generateText({ model, ...PROMPT })
    const chunks = await drainText(
      c.streamText({ model: c.model(createModel({ chunks: 20 })), ...PROMPT }),
    )
    await c.flush()
    return { text, chunks }
  },

  // µs per generateText (including the flush at the end of each round, so deferred work counts).
  async overhead(c, { calls: n, rounds }) {
    const model = c.model(createModel())
    await calls(c, model, n)
    await c.flush()
    const us = []
    for (let r = 0; r < rounds; r++) {
      const start = performance.now()
      await calls(c, model, n)
      await c.flush()
      us.push(((performance.now() - start) * 1000) / n)
    }
    return { us }
  },

  // Chunks per second through streamText of a long answer, read as text by the consumer.
  async stream(c, { chunks, rounds }) {
    const model = c.model(createModel({ chunks }))
    const perSecond = []
    for (let r = 0; r <= rounds; r++) {
      const start = performance.now()
      const received = await drainText(c.streamText({ model, ...PROMPT }))
      const seconds = (performance.now() - start) / 1000
      if (received !== chunks) throw new Error(`streamText gave ${received} chunks, not ${chunks}`)
      await c.flush()
      if (r > 0) perSecond.push(chunks / seconds) // round 0 warms up
    }
    return { perSecond }
  },

  // µs from the streamText call to the first text chunk in the consumer's hands.
  async ttft(c, { samples, rounds }) {
    const model = c.model(createModel({ chunks: 8 }))
    const once = async () => {
      const start = performance.now()
      const iterator = c.streamText({ model, ...PROMPT }).textStream[Symbol.asyncIterator]()
      await iterator.next()
      const us = (performance.now() - start) * 1000
      while (!(await iterator.next()).done) {}
      return us
    }
    for (let i = 0; i < samples; i++) await once()
    await c.flush()
    const us = []
    for (let r = 0; r < rounds; r++) {
      const round = []
      for (let i = 0; i < samples; i++) {
        round.push(await once())
        if (i % 50 === 49) await yieldToLoop()
      }
      await c.flush()
      us.push(median(round))
    }
    return { us }
  },

  // Heap still held (after full GC) once `calls` traced calls are done; no flush beforehand.
  async memory(c, { calls: n }) {
    const model = c.model(createModel())
    await calls(c, model, 1000)
    await c.flush()
    await yieldToLoop()
    gc()
    const before = process.memoryUsage().heapUsed
    await calls(c, model, n)
    await new Promise((resolve) => setTimeout(resolve, 200)) // in-flight exports settle
    gc()
    const after = process.memoryUsage().heapUsed
    return { retainedMb: (after - before) / 1024 / 1024 }
  },

  // Sustained generateText loop, then a flush: the parent divides the spans the sink received by this time.
  async export(c, { calls: n, rounds }) {
    const model = c.model(createModel())
    const seconds = []
    for (let r = 0; r < rounds; r++) {
      const start = performance.now()
      await calls(c, model, n)
      await c.flush()
      seconds.push((performance.now() - start) / 1000)
    }
    return { seconds, calls: n * rounds }
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
