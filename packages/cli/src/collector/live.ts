import type { ServerResponse } from 'node:http'
import type { SpanStatus } from '@tokentrail/core'
import type { SpanSummary, TraceSummary } from '../store/store.js'

interface Client {
  response: ServerResponse
  status?: SpanStatus
  service?: string
  /** Only `traces` events (the viewer): the span rows are not encoded or sent to it. */
  tracesOnly?: boolean
}

// A client that stops reading is dropped past this much unsent data, never buffered without bound.
const MAX_BUFFERED = 1 << 20
const HEARTBEAT_MS = 15_000

/**
 * Server-Sent Events to viewers and `tokentrail tail`: `spans` and `traces` events per batch.
 * Unsent data is bounded per client (1 MB) and across all clients (`maxTotalBytes`): past the
 * total, the clients furthest behind are disconnected until the rest fit, so many clients that
 * never read cannot grow the collector's memory.
 */
export class LiveHub {
  private readonly clients = new Set<Client>()
  private readonly heartbeat: NodeJS.Timeout
  private readonly maxTotalBytes: number
  /** Clients disconnected because they fell too far behind. */
  slowClientsDropped = 0

  constructor({ maxTotalBytes = 32 * 1024 * 1024 }: { maxTotalBytes?: number } = {}) {
    this.maxTotalBytes = maxTotalBytes
    this.heartbeat = setInterval(() => {
      for (const client of this.clients) this.write(client, ': ping\n\n')
    }, HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  get size(): number {
    return this.clients.size
  }

  /**
   * Starts an event stream on `response`; `status`/`service` filter the `spans` events, and
   * `tracesOnly` leaves them out.
   */
  add(
    response: ServerResponse,
    filter: { status?: SpanStatus; service?: string; tracesOnly?: boolean },
  ): void {
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-content-type-options': 'nosniff',
    })
    response.flushHeaders()
    const client: Client = { response, ...filter }
    this.clients.add(client)
    response.on('close', () => this.clients.delete(client))
    this.write(client, 'retry: 2000\n: connected\n\n')
  }

  /** Sends the spans and trace rows one ingest stored. */
  publish(spans: readonly SpanSummary[], traces: readonly TraceSummary[]): void {
    if (this.clients.size === 0 || spans.length === 0) return
    const tracesEvent = `event: traces\ndata: ${JSON.stringify(traces)}\n\n`
    // One encoded message per filter, written to every client that shares it: a queued write
    // holds a reference to it, not a copy per client.
    const messages = new Map<string, Buffer>()
    let total = this.bufferedBytes
    for (const client of this.clients) {
      const key = client.tracesOnly ? 'traces' : `${client.status ?? ''}\n${client.service ?? ''}`
      let message = messages.get(key)
      if (!message && client.tracesOnly) {
        message = Buffer.from(tracesEvent)
        messages.set(key, message)
      } else if (!message) {
        const chosen =
          client.status || client.service
            ? spans.filter(
                (s) =>
                  (!client.status || s.status === client.status) &&
                  (!client.service || s.service === client.service),
              )
            : spans
        message = Buffer.from(
          chosen.length > 0
            ? `event: spans\ndata: ${JSON.stringify(chosen)}\n\n${tracesEvent}`
            : tracesEvent,
        )
        messages.set(key, message)
      }
      const before = client.response.writableLength
      this.write(client, message)
      total += client.response.writableLength - before
      // Checked as it grows, so the peak stays near the budget too, not just the end state.
      if (total > this.maxTotalBytes) total = this.enforceBudget()
    }
  }

  /** Bytes queued to all clients and not yet taken by their sockets. */
  get bufferedBytes(): number {
    let total = 0
    for (const client of this.clients) total += client.response.writableLength
    return total
  }

  /** Drops the clients furthest behind until the rest fit the budget; returns what stays queued. */
  private enforceBudget(): number {
    let total = this.bufferedBytes
    if (total <= this.maxTotalBytes) return total
    const behind = [...this.clients].sort(
      (a, b) => b.response.writableLength - a.response.writableLength,
    )
    for (const client of behind) {
      if (total <= this.maxTotalBytes) break
      total -= client.response.writableLength
      this.drop(client)
    }
    return total
  }

  private drop(client: Client): void {
    this.slowClientsDropped++
    this.clients.delete(client)
    // destroy() frees the queued chunks now; end() would keep them until the peer read them.
    client.response.destroy()
  }

  private write(client: Client, text: string | Buffer): void {
    if (client.response.writableLength > MAX_BUFFERED) {
      this.drop(client)
      return
    }
    client.response.write(text)
  }

  close(): void {
    clearInterval(this.heartbeat)
    for (const client of this.clients) client.response.end()
    this.clients.clear()
  }
}
