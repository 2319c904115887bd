// What withTracing costs a request: the time to get the Response and read its whole body, traced
// vs the same handler untraced, for a raw stream of many small chunks (the worst case: per-chunk
// cost shows) and for a real streamText reply over a mock model. Prints ratios; no assertions.
//
//   node bench/overhead.ts
import { createTracer, type Tracer } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { streamText } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'

// The built package, as users get it (`pnpm bench` builds first).
const { withTracing }: typeof import('../src/index.ts') = await import(
  new URL('../dist/index.js', import.meta.url).href
)

const VERCEL_CONTEXT = Symbol.for('@vercel/request-context')
const captured: Promise<unknown>[] = []
;(globalThis as Record<symbol, unknown>)[VERCEL_CONTEXT] = {
  get: () => ({ waitUntil: (promise: Promise<unknown>) => captured.push(promise) }),
}

const chunk = new TextEncoder().encode('x'.repeat(64))
const rawStream = async () => {
  let left = 200
  return new Response(
    new ReadableStream({
      pull(controller) {
        if (left-- > 0) controller.enqueue(chunk)
        else controller.close()
      },
    }),
  )
}

const words = Array.from({ length: 50 }, (_, i) => ` w${i}`)
const model = new MockLanguageModelV4({
  doStream: async () => ({
    stream: new ReadableStream({
      start(controller) {
        controller.enqueue({ type: 'stream-start', warnings: [] })
        controller.enqueue({ type: 'text-start', id: 't' })
        for (const delta of words) controller.enqueue({ type: 'text-delta', id: 't', delta })
        controller.enqueue({ type: 'text-end', id: 't' })
        controller.enqueue({
          type: 'finish',
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 5, noCache: 5, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 50, text: 50, reasoning: 0 },
          },
        } as any)
        controller.close()
      },
    }),
  }),
})
const chat = async () => streamText({ model, prompt: 'Hi' }).toUIMessageStreamResponse()

async function time(handler: (request: Request) => Promise<Response>, iterations: number) {
  const started = performance.now()
  for (let i = 0; i < iterations; i++) {
    const response = await handler(new Request('http://h/api/chat', { method: 'POST' }))
    const reader = response.body!.getReader()
    while (!(await reader.read()).done) {}
  }
  const elapsed = performance.now() - started
  await Promise.all(captured.splice(0))
  exporter.reset()
  return (elapsed * 1000) / iterations
}

const exporter = memoryExporter()
const recording: Tracer = createTracer({ exporters: [exporter], flushIntervalMs: 600_000 })
const disabled: Tracer = createTracer({ enabled: false })

const rows: string[][] = []
for (const [name, handler, iterations] of [
  ['raw stream, 200 chunks', rawStream, 600],
  ['streamText → UI message stream', chat, 100],
] as const) {
  const variants = {
    untraced: handler,
    'withTracing (recording)': withTracing(handler, { tracer: recording }),
    'withTracing (tracing off)': withTracing(handler, { tracer: disabled }),
  }
  const results: Record<string, number[]> = {}
  for (let round = 0; round < 5; round++)
    for (const [variant, fn] of Object.entries(variants)) {
      const us = await time(fn, round === 0 ? 50 : iterations)
      if (round > 0) (results[variant] ??= []).push(us)
    }
  const best = (variant: string) => Math.min(...results[variant]!)
  for (const variant of Object.keys(variants))
    rows.push([
      name,
      variant,
      `${best(variant).toFixed(1)} µs`,
      `${(best(variant) / best('untraced')).toFixed(2)}×`,
    ])
}
const header = ['case', 'handler', 'per request (best of 4)', 'ratio to untraced']
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
console.log(
  'withTracing overhead: time to the Response plus reading its whole body, sequential requests',
)
console.log(
  [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join(
    '\n',
  ),
)
