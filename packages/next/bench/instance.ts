// One function instance of the freeze harness, run as its own process. Like a serverless platform
// it gives each invocation a request context with waitUntil (through AsyncLocalStorage, as Vercel
// does), invokes the handler, reads the whole response body, waits for the waitUntil promises to
// settle, reports, then freezes for good with SIGKILL: nothing scheduled after that point can run,
// because the process is gone. Several invocations may share the instance concurrently (as with
// Vercel's Fluid compute); it freezes once all of them are done.
import { AsyncLocalStorage } from 'node:async_hooks'
import { writeSync } from 'node:fs'

interface RequestContext {
  waitUntil(promise: Promise<unknown>): void
}
const requestContext = new AsyncLocalStorage<RequestContext>()
;(globalThis as Record<symbol, unknown>)[Symbol.for('@vercel/request-context')] = {
  get: () => requestContext.getStore(),
}

const handlers: Record<string, (request: Request) => Promise<Response>> = await import(
  './function.js'
)

async function invoke(id: string) {
  const waitUntil: Promise<unknown>[] = []
  const start = performance.now()
  let status = 0
  let bytes = 0
  let error: string | undefined
  let responseMs = 0
  let bodyMs = 0
  await requestContext.run({ waitUntil: (promise) => waitUntil.push(promise) }, async () => {
    try {
      const response = await handlers[process.env.FREEZE_PATTERN!]!(
        new Request('http://fn.local/api/chat', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-invocation': id },
          body: JSON.stringify({ prompt: `Hello from invocation ${id}` }),
        }),
      )
      responseMs = performance.now() - start
      status = response.status
      for await (const chunk of response.body!) bytes += chunk.byteLength
      bodyMs = performance.now() - start
    } catch (e) {
      error = String(e)
    }
  })
  await Promise.allSettled(waitUntil)
  return {
    id,
    status,
    bytes,
    error,
    responseMs,
    bodyMs,
    settledMs: performance.now() - start,
    waitUntil: waitUntil.length,
  }
}

const reports = await Promise.all(process.env.FREEZE_INVOCATIONS!.split(',').map(invoke))
writeSync(1, reports.map((report) => `${JSON.stringify(report)}\n`).join(''))
// The freeze: no event-loop turn, timer, socket write or promise runs after this line.
process.kill(process.pid, 'SIGKILL')
