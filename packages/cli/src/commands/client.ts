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

/** The live stream broke, or the collector could not be reached for it: `tail` may reconnect. */
export class StreamLost extends CliError {}

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

  /**
   * Says that what answers at the URL is not tokentrail dev: another program on the port (an
   * OpenTelemetry Collector also listens on 4318), a web app, a proxy's error page.
   */
  private notTokentrail(path: string, answer: string): CliError {
    return new CliError(
      `${this.url} is not a tokentrail collector: ${path} answered ${answer}. Is another program (an OpenTelemetry Collector, a web app) listening there? Start \`tokentrail dev\` or pass --url`,
    )
  }

  private async check(response: Response, path: string): Promise<Response> {
    if (response.ok) return response
    let error: unknown
    try {
      error = ((await response.json()) as { error?: unknown }).error
    } catch {}
    const status = `${response.status} ${response.statusText}`.trim()
    if (response.status === 401)
      throw new CliError(
        `${
          this.token
            ? 'the collector refused the token: check --token or TOKENTRAIL_TOKEN against the one `tokentrail dev` was started with'
            : 'the collector needs a token: pass --token or set TOKENTRAIL_TOKEN'
        } (${typeof error === 'string' && error ? error : status})`,
      )
    // Every other refusal of tokentrail dev names what was wrong in `error`.
    if (typeof error !== 'string' || !error) throw this.notTokentrail(path, status)
    throw new CliError(error)
  }

  /**
   * The JSON of an answer that was OK: a body that is not JSON, or lacks the `key` every answer of
   * that path holds, comes from another program; a body that stops is said as such.
   */
  private async body<T>(response: Response, path: string, key?: string): Promise<T> {
    let text: string
    try {
      text = await response.text()
    } catch (error) {
      if ((error as Error).name === 'TimeoutError')
        throw new CliError(`the collector at ${this.url} did not finish its answer within 10 s`)
      throw new CliError(
        `lost the answer from the collector at ${this.url}: ${(error as Error).message}`,
      )
    }
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      const type = response.headers.get('content-type')?.split(';')[0] || 'no content type'
      throw this.notTokentrail(path, `${response.status} with a body that is not JSON (${type})`)
    }
    if (key !== undefined && (typeof body !== 'object' || body === null || !(key in body)))
      throw this.notTokentrail(path, `JSON without "${key}"`)
    return body as T
  }

  /** GETs a JSON API path; `key` is a field every answer of that path holds. */
  async get<T>(
    path: string,
    params: Record<string, string | number | readonly string[] | undefined> = {},
    key?: string,
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
    await this.check(response, path)
    return this.body<T>(response, path, key)
  }

  /** POSTs JSON; `key` is a field every answer of that path holds. */
  async post<T>(path: string, body: string, key?: string): Promise<T> {
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
    await this.check(response, path)
    return this.body<T>(response, path, key)
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
      throw new StreamLost(unreachable(this.url, error).message)
    }
    await this.check(response, '/api/live')
    if (!response.headers.get('content-type')?.startsWith('text/event-stream')) {
      await response.body?.cancel()
      throw this.notTokentrail('/api/live', `${response.status} without an event stream`)
    }
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
      throw new StreamLost(`lost the live stream from ${this.url}: ${(error as Error).message}`)
    }
    return signal.aborted ? 'aborted' : 'ended'
  }
}
