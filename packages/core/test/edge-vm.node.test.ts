import { AsyncLocalStorage } from 'node:async_hooks'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { EdgeVM } from '@edge-runtime/vm'
import { build } from 'esbuild'
import { beforeAll, describe, expect, it } from 'vitest'

// Core bundled as a user's edge function would ship it, then run inside the Edge Runtime VM:
// an isolated context with Web APIs only (no `process`, no `require`).
let bundle = ''
beforeAll(async () => {
  const result = await build({
    stdin: {
      contents: `export * from './src/index.ts'; export { memoryExporter } from './src/testing.ts'`,
      resolveDir: fileURLToPath(new URL('..', import.meta.url)),
      loader: 'ts',
    },
    bundle: true,
    format: 'iife',
    globalName: 'tokentrail',
    platform: 'neutral',
    write: false,
  })
  bundle = result.outputFiles[0]!.text
})

async function runInEdge(scenario: string, extend?: (context: Record<string, unknown>) => void) {
  const vm = new EdgeVM(
    extend
      ? {
          extend: (context) => {
            extend(context)
            return context
          },
        }
      : undefined,
  )
  expect(vm.evaluate('typeof process')).toBe('undefined')
  vm.evaluate(bundle)
  return JSON.parse(await vm.evaluate(`(async () => { ${scenario} })().then(JSON.stringify)`))
}

/** A node:http receiver on a free port that answers `{}` and hands each request's raw body on. */
async function receiver(
  onBody: (request: IncomingMessage, raw: Buffer) => void,
): Promise<{ port: number; close: () => Promise<unknown> }> {
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (c) => chunks.push(c))
    request.on('end', () => {
      onBody(request, Buffer.concat(chunks))
      response.end('{}')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return { port, close: () => new Promise((resolve) => server.close(resolve)) }
}

const NESTED = `
  const { createTracer, hasAsyncContext } = tokentrail
  const exporter = tokentrail.memoryExporter()
  const tracer = createTracer({ serviceName: 'edge', exporters: [exporter] })
  await tracer.withSpan('root', async () => {
    await new Promise((r) => setTimeout(r, 1))
    await tracer.withSpan('child', async () => {})
  })
  await tracer.flush()
  const root = exporter.span('root'), child = exporter.span('child')
  return { asyncContext: hasAsyncContext(), parent: child.parentSpanId === root.spanId, sameTrace: child.traceId === root.traceId }
`

describe('core in the Edge Runtime VM', () => {
  it('follows async context where the runtime offers AsyncLocalStorage (as Vercel Edge does)', async () => {
    const result = await runInEdge(NESTED, (context) => {
      context.AsyncLocalStorage = AsyncLocalStorage
    })
    expect(result).toEqual({ asyncContext: true, parent: true, sameTrace: true })
  })

  it('still works without AsyncLocalStorage: explicit parents and synchronous nesting', async () => {
    const result = await runInEdge(`
      const { createTracer, hasAsyncContext } = tokentrail
      const exporter = tokentrail.memoryExporter()
      const tracer = createTracer({ exporters: [exporter] })
      const root = tracer.startSpan('root')
      await new Promise((r) => setTimeout(r, 1))
      tracer.startSpan('explicit', { parent: root }).end()
      tracer.withSpan('sync', () => tracer.startSpan('nested').end())
      root.end()
      await tracer.flush()
      return {
        asyncContext: hasAsyncContext(),
        explicit: exporter.span('explicit').parentSpanId === root.spanId,
        nested: exporter.span('nested').parentSpanId === exporter.span('sync').spanId,
      }
    `)
    expect(result).toEqual({ asyncContext: false, explicit: true, nested: true })
  })

  it('exports OTLP over fetch from the edge', async () => {
    const bodies: any[] = []
    const { port, close } = await receiver((_, raw) => bodies.push(JSON.parse(raw.toString())))
    try {
      const result = await runInEdge(`
        const tracer = tokentrail.createTracer({ exporters: [tokentrail.otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces' })] })
        tracer.startSpan('edge span').end()
        return await tracer.flush()
      `)
      expect(result).toEqual({ ok: true, pending: 0 })
      expect(bodies[0].resourceSpans[0].scopeSpans[0].spans[0].name).toBe('edge span')
    } finally {
      await close()
    }
  })

  // Next.js's edge sandbox has a CompressionStream that refuses to run: every export failed and
  // was retried as if the failure passed, and no edge span ever arrived.
  it('sends uncompressed where CompressionStream is there but refuses to run', async () => {
    const received: { encoding?: string; names: string[] }[] = []
    const { port, close } = await receiver((request, raw) => {
      const body = JSON.parse(raw.toString('utf8'))
      received.push({
        encoding: request.headers['content-encoding'],
        names: body.resourceSpans[0].scopeSpans[0].spans.map((s: { name: string }) => s.name),
      })
    })
    try {
      const result = await runInEdge(
        `
        const tracer = tokentrail.createTracer({ exporters: [tokentrail.otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces', compression: 'gzip' })] })
        tracer.startSpan('first').end()
        const first = await tracer.flush()
        tracer.startSpan('second').end()
        return [first, await tracer.flush()]
      `,
        (context) => {
          context.CompressionStream = class {
            constructor() {
              throw new Error('CompressionStream is not allowed in this runtime')
            }
          }
        },
      )
      expect(result).toEqual([
        { ok: true, pending: 0 },
        { ok: true, pending: 0 },
      ])
      expect(received).toEqual([
        { encoding: undefined, names: ['first'] },
        { encoding: undefined, names: ['second'] },
      ])
    } finally {
      await close()
    }
  })

  it('gzips with CompressionStream on the edge, spans queued after the first export included', async () => {
    const bodies: any[] = []
    const { port, close } = await receiver((request, raw) => {
      expect(request.headers['content-encoding']).toBe('gzip')
      bodies.push(JSON.parse(gunzipSync(raw).toString('utf8')))
    })
    try {
      const result = await runInEdge(
        `
        const tracer = tokentrail.createTracer({ exporters: [tokentrail.otlpExporter({ url: 'http://127.0.0.1:${port}/v1/traces', compression: 'gzip' })] })
        tracer.startSpan('first').end()
        const first = await tracer.flush()
        for (let i = 0; i < 3; i++) tracer.startSpan('later ' + i, { attributes: { text: 'é "q" '.repeat(2000) } }).end()
        return [first, await tracer.flush()]
      `,
        // The VM has no CompressionStream of its own; Vercel Edge and Workers do.
        (context) => {
          context.CompressionStream ??= CompressionStream
        },
      )
      expect(result).toEqual([
        { ok: true, pending: 0 },
        { ok: true, pending: 0 },
      ])
      const spans = bodies.flatMap((body) => body.resourceSpans[0].scopeSpans[0].spans)
      expect(spans.map((span: any) => span.name)).toEqual([
        'first',
        'later 0',
        'later 1',
        'later 2',
      ])
      expect(spans[3].attributes[0].value.stringValue).toBe('é "q" '.repeat(2000))
    } finally {
      await close()
    }
  })
})
