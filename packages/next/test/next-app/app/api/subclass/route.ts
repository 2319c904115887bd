import { withTracing } from '../../../../../dist/index.js'

export const dynamic = 'force-dynamic'

// A Response subclass with a constructor of its own, as apps write for JSON answers.
class JsonResponse extends Response {
  constructor(data: unknown, init?: ResponseInit) {
    super(JSON.stringify(data), {
      ...init,
      headers: { 'content-type': 'application/json', ...(init?.headers as Record<string, string>) },
    })
  }
}

export const GET = withTracing(
  async () => new JsonResponse({ answer: 42 }, { status: 201, headers: { 'x-kind': 'json' } }),
)

// The same with the trace id header, on a bodiless answer.
export const POST = withTracing(async () => new JsonResponse(null, { status: 202 }), {
  traceIdHeader: 'x-trace-id',
})
