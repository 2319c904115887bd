// A zero-latency language model (AI SDK LanguageModelV4): answers from memory at once, so every
// microsecond measured is the AI SDK's and the tracer's own. Nothing here is traced or faked: the
// real generateText/streamText run over it exactly as over a provider.
import { setImmediate as yieldToLoop } from 'node:timers/promises'

const usage = {
  inputTokens: { total: 40, noCache: 40, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 12, text: 12, reasoning: undefined },
}

const generateResult = {
  content: [{ type: 'text', text: 'The capital of France is Paris, a city on the Seine.' }],
  finishReason: { unified: 'stop', raw: 'stop' },
  usage,
  warnings: [],
  response: { id: 'resp-1', modelId: 'gpt-4o-2024-08-06', timestamp: new Date(0) },
}

/** Stream parts of one answer with `chunks` text deltas. */
export function streamParts(chunks) {
  const parts = [
    { type: 'stream-start', warnings: [] },
    {
      type: 'response-metadata',
      id: 'resp-1',
      modelId: 'gpt-4o-2024-08-06',
      timestamp: new Date(0),
    },
    { type: 'text-start', id: 't' },
  ]
  for (let i = 0; i < chunks; i++) parts.push({ type: 'text-delta', id: 't', delta: 'token ' })
  parts.push(
    { type: 'text-end', id: 't' },
    { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage },
  )
  return parts
}

/**
 * The model: `doGenerate` resolves at once; `doStream` yields `chunks` deltas, 64 per pull like a
 * socket read. With `hold` (a promise), the stream stops after its first text delta until `hold`
 * resolves: an answer still being generated, as a slow provider's is while its first chunk is read.
 */
export function createModel({ chunks = 8, hold } = {}) {
  const parts = streamParts(chunks)
  return {
    specificationVersion: 'v4',
    provider: 'openai.chat',
    modelId: 'gpt-4o',
    supportedUrls: {},
    doGenerate: async () => generateResult,
    doStream: async () => {
      let i = 0
      return {
        stream: new ReadableStream({
          async pull(controller) {
            // parts[3] is the first text delta: what comes after waits for `hold`.
            if (hold && i === 4) await hold
            for (let n = 0; n < 64 && i < parts.length; n++) {
              controller.enqueue(parts[i++])
              if (hold && i === 4) return
            }
            if (i >= parts.length) controller.close()
          },
        }),
      }
    },
  }
}

/** The same short call every contender makes: a system prompt and one user message. */
export const PROMPT = {
  system: 'You are a concise assistant.',
  prompt: 'What is the capital of France?',
  temperature: 0.2,
  maxOutputTokens: 256,
}

// A chat 50 messages long (≈ 20 KB of text): the history a chat route sends on every turn.
const turn = (i) =>
  `Turn ${i}: ${'Paris sits on the Seine; its museums, bridges and cafés draw visitors all year. '.repeat(5)}`
const history = []
for (let i = 0; i < 49; i++)
  history.push(
    i % 2 === 0
      ? { role: 'user', content: [{ type: 'text', text: turn(i) }] }
      : { role: 'assistant', content: [{ type: 'text', text: turn(i) }] },
  )
history.push({ role: 'user', content: [{ type: 'text', text: 'What is the capital of France?' }] })

/** The long call: the same settings over a 50-message, ≈ 20 KB history. */
export const LONG_PROMPT = {
  system: PROMPT.system,
  messages: history,
  temperature: PROMPT.temperature,
  maxOutputTokens: PROMPT.maxOutputTokens,
}

/** The prompt of a size: `short` (1 message) or `long` (50 messages, ≈ 20 KB). */
export const prompts = { short: PROMPT, long: LONG_PROMPT }

/**
 * The hooks Tokentrail's integration registers on ai@7, each doing nothing: what the AI SDK itself
 * spends dispatching events to an integration (alloc-profile.mjs `hooks`, hooks-ab.mjs).
 */
export function noopHooks() {
  const noop = () => {}
  return {
    onStepStart: noop,
    onObjectStepStart: noop,
    executeTool: async ({ execute }) => execute(),
    onToolExecutionEnd: noop,
    onEnd: noop,
    onAbort: noop,
    onError: noop,
  }
}

/** `noopHooks()` with only the handlers HOOKS names (`HOOKS=onStepStart,onEnd`; all without it). */
export function noopHooksFromEnv() {
  const hooks = noopHooks()
  if (process.env.HOOKS === undefined) return hooks
  const keep = new Set(process.env.HOOKS.split(',').filter(Boolean))
  for (const key of Object.keys(hooks)) if (!keep.has(key)) delete hooks[key]
  return hooks
}

/**
 * Runs `k` calls of `side` (a contender or its baseline) one after another, yielding to the event
 * loop every 50 as between server requests: `generateText`, or with KIND=stream `streamText` read to
 * its end. `after(i)`, if given, runs after each call.
 */
export function callRunner(side, model, options, after) {
  const stream = process.env.KIND === 'stream'
  return async (k) => {
    for (let i = 0; i < k; i++) {
      if (stream) for await (const _ of side.streamText({ model, ...options }).textStream);
      else await side.generateText({ model, ...options })
      if (i % 50 === 49) await yieldToLoop()
      if (after) await after(i)
    }
  }
}

/** CPU µs spent since `from` (a process.cpuUsage()): all threads, GC helpers, sockets. */
export function cpuSince(from) {
  const { user, system } = process.cpuUsage(from)
  return user + system
}

/** The middle value of `xs` (the upper one of an even count). */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** One way of calling the AI SDK: a contender's, or its untraced baseline in the same process. */
export function side(c, { chunks = 8, prompt = 'short', hold } = {}) {
  return {
    generateText: c.generateText,
    streamText: c.streamText,
    model: c.model(createModel({ chunks, hold })),
    options: { ...prompts[prompt], ...c.options },
  }
}

/**
 * One `streamText` call of `s` (a `side`) read to its end; resolves to the µs from the call to its
 * first `textStream` chunk.
 */
export async function firstChunkUs(s) {
  const start = performance.now()
  const iterator = s.streamText({ model: s.model, ...s.options }).textStream[Symbol.asyncIterator]()
  await iterator.next()
  const us = (performance.now() - start) * 1000
  while (!(await iterator.next()).done) {}
  return us
}

/**
 * Pair `i` of a first-chunk measurement: one call of each of `sides` (baseline, traced), the order
 * alternating with `i`; each µs pushed to `into[name]`.
 */
export async function firstChunkPair(sides, i, into) {
  for (const name of i % 2 ? ['traced', 'baseline'] : ['baseline', 'traced'])
    into[name].push(await firstChunkUs(sides[name]))
}
