import type { SpanStatus } from '@tokentrail/core'
import type { SpanSummary } from '../store/store.js'

/** A failure the CLI prints as one clear line and exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
    this.name = 'CliError'
  }
}

function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string } }).cause
  const code = cause?.code ?? (error as { code?: string }).code
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'ENOTFOUND')
    return new CliError(
      `no collector is running at ${url} (${code}): start one with \`tokentrail dev\`, or pass --url`,
    )
  if ((error as Error).name === 'TimeoutError')
    return new CliError(`the collector at ${url} did not answer within 10 s`)
  return new CliError(`cannot reach the collector at ${url}: ${(error as Error).message}`)
}

/** Talks to a running collector's HTTP API. */
export class CollectorClient {
  constructor(
    readonly url: string,
    private readonly token?: string,
  ) {}

  private headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {}
  }

  private async check(response: Response): Promise<Response> {
    if (response.ok) return response
    let message = `${response.status} ${response.statusText}`
    try {
      const body = (await response.json()) as { error?: string }
      if (body.error) message = body.error
    } catch {}
    if (response.status === 401)
      throw new CliError(
        `the collector needs a token: pass --token or set TOKENTRAIL_TOKEN (${message})`,
      )
    throw new CliError(message)
  }

  /** GETs a JSON API path. */
  async get<T>(
    path: string,
    params: Record<string, string | number | readonly string[] | undefined> = {},
  ): Promise<T> {
    const search = new URLSearchParams()
    for (const [key, value] of Object.entries(params))
      if (Array.isArray(value)) for (const item of value) search.append(key, item)
      else if (value !== undefined && value !== '') search.set(key, String(value))
    const target = `${this.url}${path}${search.size ? `?${search}` : ''}`
    let response: Response
    try {
      response = await fetch(target, {
        headers: this.headers(),
        signal: AbortSignal.timeout(10_000),
      })
    } catch (error) {
      throw unreachable(this.url, error)
    }
    await this.check(response)
    return (await response.json()) as T
  }

  /** POSTs JSON. */
  async post<T>(path: string, body: string): Promise<T> {
    let response: Response
    try {
      response = await fetch(`${this.url}${path}`, {
        method: 'POST',
        headers: { ...this.headers(), 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(30_000),
      })
    } catch (error) {
      throw unreachable(this.url, error)
    }
    await this.check(response)
    return (await response.json()) as T
  }

  /** Follows `/api/live`, calling `onSpans` per batch until `signal` aborts or the stream ends. */
  async follow(
    filter: { status?: SpanStatus; service?: string },
    onSpans: (spans: SpanSummary[]) => void,
    signal: AbortSignal,
    onOpen?: () => void,
  ): Promise<'aborted' | 'ended'> {
    const search = new URLSearchParams()
    if (filter.status) search.set('status', filter.status)
    if (filter.service) search.set('service', filter.service)
    let response: Response
    try {
      response = await fetch(`${this.url}/api/live?${search}`, {
        headers: { ...this.headers(), accept: 'text/event-stream' },
        signal,
      })
    } catch (error) {
      if (signal.aborted) return 'aborted'
      throw unreachable(this.url, error)
    }
    await this.check(response)
    onOpen?.()
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true })
        let end = buffer.indexOf('\n\n')
        while (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          end = buffer.indexOf('\n\n')
          let event = 'message'
          let data = ''
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7)
            else if (line.startsWith('data: ')) data += line.slice(6)
          }
          if (event === 'spans' && data) onSpans(JSON.parse(data) as SpanSummary[])
        }
      }
    } catch (error) {
      if (signal.aborted) return 'aborted'
      throw new CliError(`lost the live stream from ${this.url}: ${(error as Error).message}`)
    }
    return signal.aborted ? 'aborted' : 'ended'
  }
}
