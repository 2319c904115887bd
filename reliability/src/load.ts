// A closed-loop load generator over keep-alive HTTP/1.1: `concurrency` workers send `total`
// requests, each timed from send to the last body byte. Bounded: it stops at `total`.
import { Agent, request as httpRequest } from 'node:http'

/** What one load run saw. */
export interface LoadResult {
  sent: number
  /** 200 with a complete UI message stream (ends in `data: [DONE]`). */
  ok: number
  /** Anything else: a status other than 200, a cut body, a network error. */
  failed: number
  failures: string[]
  /** Milliseconds per completed request, in completion order. */
  latencies: number[]
  traceIds: string[]
  wallMs: number
}

export const TOOL_PROMPT = JSON.stringify({ prompt: 'What is the weather? Use the tool for Paris' })

function once(
  agent: Agent,
  url: URL,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; traceId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        agent,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...headers,
        },
      },
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          text += chunk
        })
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text,
            traceId: response.headers['x-trace-id'] as string | undefined,
          }),
        )
        response.on('error', reject)
      },
    )
    req.setTimeout(60_000, () => req.destroy(new Error('request timed out after 60 s')))
    req.on('error', reject)
    req.end(body)
  })
}

/** Sends `total` chat requests at `concurrency` and times each one. */
export async function runLoad({
  url,
  total,
  concurrency,
  body = TOOL_PROMPT,
  headers = {},
  expect = ['"type":"tool-output-available"', '"finishReason":"stop"'],
  durationMs = Number.POSITIVE_INFINITY,
}: {
  url: string
  total: number
  /** Stop sending after this long, even below `total`. */
  durationMs?: number
  concurrency: number
  body?: string
  headers?: Record<string, string>
  /** Texts the streamed answer must contain. */
  expect?: string[]
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  const target = new URL(url)
  const result: LoadResult = {
    sent: 0,
    ok: 0,
    failed: 0,
    failures: [],
    latencies: [],
    traceIds: [],
    wallMs: 0,
  }
  const started = performance.now()
  const worker = async () => {
    while (result.sent < total && performance.now() - started < durationMs) {
      result.sent++
      const t0 = performance.now()
      try {
        const answer = await once(agent, target, body, headers)
        const ms = performance.now() - t0
        const complete =
          answer.status === 200 &&
          answer.text.trimEnd().endsWith('data: [DONE]') &&
          expect.every((text) => answer.text.includes(text))
        if (complete) {
          result.ok++
          result.latencies.push(ms)
          if (answer.traceId) result.traceIds.push(answer.traceId)
        } else {
          result.failed++
          if (result.failures.length < 5)
            result.failures.push(`${answer.status}: ${answer.text.slice(0, 300)}`)
        }
      } catch (error) {
        result.failed++
        if (result.failures.length < 5) result.failures.push(String(error))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  result.wallMs = performance.now() - started
  agent.destroy()
  return result
}

/** The p-th percentile (0–100) by nearest rank; NaN for no samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}
