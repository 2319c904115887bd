// `redirect()`, `notFound()`, `forbidden()` and `unauthorized()` throw an error whose `digest`
// tells Next how to answer: answers, not failures, in a route handler and in a server action.

/** The status Next answers a control-flow throw with, or undefined for any other error. */
export function controlFlowStatus(error: unknown): number | undefined {
  const digest = (error as { digest?: unknown } | null)?.digest
  if (typeof digest !== 'string') return undefined
  if (digest.startsWith('NEXT_REDIRECT;')) return Number(digest.split(';')[3]) || 307
  if (digest.startsWith('NEXT_HTTP_ERROR_FALLBACK;')) return Number(digest.split(';')[1]) || 404
  if (digest === 'NEXT_NOT_FOUND') return 404
  return undefined
}

const FALLBACKS: Record<number, string> = {
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
}

/** `redirect`, `not_found`, `forbidden` or `unauthorized` for a control-flow throw, else undefined. */
export function controlFlow(error: unknown): string | undefined {
  const status = controlFlowStatus(error)
  if (status === undefined) return undefined
  if (String((error as { digest: string }).digest).startsWith('NEXT_REDIRECT;')) return 'redirect'
  return FALLBACKS[status] ?? `http_${status}`
}
