// tracing() on the real Deno (the `deno` npm package): Deno.serve with a Hono app, the AI SDK
// (ai@7, @ai-sdk/openai, the tracing middleware) against the mock OpenAI server, spans to a real
// OTLP receiver by otlpExporter over Deno's fetch.
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { type OtlpReceiver, startOtlpReceiver } from '@tokentrail/otlp-receiver'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const here = dirname(fileURLToPath(import.meta.url))

// The binary the `deno` package's install script put beside it (or its platform package holds).
function findDeno(): { binary: string } | { missing: string } {
  try {
    const root = dirname(createRequire(import.meta.url).resolve('deno/package.json'))
    if (existsSync(join(root, 'deno'))) return { binary: join(root, 'deno') }
    return { binary: createRequire(join(root, 'package.json'))('./install_api.cjs').runInstall() }
  } catch (error) {
    return { missing: `the deno binary is not installed: ${(error as Error).message}` }
  }
}

const found = findDeno()
let receiver: OtlpReceiver
let mock: MockOpenAI

describe.skipIf('missing' in found)(
  `tracing() on Deno (real Deno.serve)${'missing' in found ? ` (skipped: ${found.missing})` : ''}`,
  () => {
    beforeAll(async () => {
      receiver = await startOtlpReceiver()
      mock = await startMockOpenAI({})
    })
    afterAll(async () => {
      await mock?.close()
      await receiver?.close()
    })

    it('continues the trace, nests the AI SDK spans, delivers without a flush, says nothing on stderr', async () => {
      const run = await promisify(execFile)(
        (found as { binary: string }).binary,
        [
          'run',
          '--no-prompt',
          // The package's source, as the Bun test runs it: its imports name .js for .ts files.
          '--unstable-sloppy-imports',
          // The AI SDK reads env and (through @vercel/oidc) the host name; tracing needs only net.
          '--allow-env',
          '--allow-sys=hostname',
          '--allow-net=127.0.0.1',
          join(here, 'deno', 'server.ts'),
          `${receiver.url}/v1/traces`,
          mock.url,
        ],
        { encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } },
      )
      // Deno.serve warned here ("request.signal aborts on successful responses") when tracing()
      // listened to the request's signal: a line in the app's stderr that the app never asked for.
      expect(run.stderr).toBe('')
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!)
      expect(result).toMatchObject({
        asyncContext: true,
        status: 200,
        text: 'You said: Say hello',
        wsEcho: 'echo ping',
      })
      expect(result.runtime).toMatch(/^deno 2\./)
      const traceId = '0af7651916cd43dd8448eb211c80319c'
      expect(result.traceIdHeader).toBe(traceId)

      await receiver.waitFor(
        (spans) =>
          spans.filter((s) => s.traceId === traceId).length === 3 &&
          spans.some((s) => s.traceId === result.endlessTraceId),
        10_000,
      )
      const trace = receiver.trace(traceId)
      const root = trace.find((s) => s.name === 'POST /api/chat')!
      expect(root.parentSpanId).toBe('b7ad6b7169203331')
      expect(root.attributes['http.response.body.size']).toBe(19)
      const llm = trace.find((s) => s.name === 'chat gpt-4o')!
      const call = trace.find((s) => s.spanId === llm.parentSpanId)!
      expect(call.parentSpanId).toBe(root.spanId)
      for (const span of trace) expect(span.status.code).not.toBe(2)

      // The client went away mid-body: Deno cancels the body, and the span ends cancelled.
      const [endless] = receiver.trace(result.endlessTraceId)
      expect(endless).toMatchObject({ name: 'GET /api/endless' })
      expect(endless!.attributes['tokentrail.span.status']).toBe('cancelled')

      // The WebSocket upgrade went through untouched, and its request has a span of its own.
      await receiver.waitFor((spans) => spans.some((s) => s.name === 'GET /api/ws'), 10_000)
      const ws = receiver.spans.find((s) => s.name === 'GET /api/ws')!
      expect(ws.attributes['http.response.status_code']).toBe(101)
    })
  },
)
