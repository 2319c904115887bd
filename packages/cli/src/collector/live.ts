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
// Viewer tabs get the trace rows of many ingests merged into one event, at most this often: a
// tab shows them no faster, and each event wakes every open tab (its network, main thread and
// devtools, if attached) right when the collector is answering the next exporter.
const TRACES_INTERVAL_MS = 250

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
  /** Trace rows waiting for the next `traces`-only event, by trace id (the newest row wins). */
  private readonly pendingTraces = new Map<string, TraceSummary>()
  private tracesTimer: NodeJS.Timeout | undefined
  private tracesSentAt = Number.NEGATIVE_INFINITY

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
    // A service matches in any case, as `/api/traces?service=` does.
    const client: Client = { response, ...filter, service: filter.service?.toLowerCase() }
    this.clients.add(client)
    response.on('close', () => this.clients.delete(client))
    this.write(client, 'retry: 2000\n: connected\n\n')
  }

  /**
   * Sends the spans and trace rows one ingest stored. `traces`-only clients (viewer tabs) get
   * the rows at once after a quiet spell, else merged with the next ingests' rows, at most every
   * TRACES_INTERVAL_MS.
   */
  publish(spans: readonly SpanSummary[], traces: readonly TraceSummary[]): void {
    if (this.clients.size === 0 || spans.length === 0) return
    let tracesOnly = false
    let tracesEvent: string | undefined
    // One encoded message per filter, written to every client that shares it: a queued write
    // holds a reference to it, not a copy per client.
    const messages = new Map<string, Buffer>()
    let total = this.bufferedBytes
    for (const client of this.clients) {
      if (client.tracesOnly) {
        tracesOnly = true
        continue
      }
      const key = `${client.status ?? ''}\n${client.service ?? ''}`
      let message = messages.get(key)
      if (!message) {
        tracesEvent ??= `event: traces\ndata: ${JSON.stringify(traces)}\n\n`
        const chosen =
          client.status || client.service
            ? spans.filter(
                (s) =>
                  (!client.status || s.status === client.status) &&
                  (!client.service || s.service.toLowerCase() === client.service),
              )
            : spans
        message = Buffer.from(
          chosen.length > 0
            ? `event: spans\ndata: ${JSON.stringify(chosen)}\n\n${tracesEvent}`
            : tracesEvent,
        )
        messages.set(key, message)
      }
      total = this.send(client, message, total)
    }
    if (!tracesOnly || traces.length === 0) return
    for (const trace of traces) {
      // Re-set, so a trace updated again is sent in the order of its latest row.
      this.pendingTraces.delete(trace.traceId)
      this.pendingTraces.set(trace.traceId, trace)
    }
    if (this.tracesTimer) return
    const wait = this.tracesSentAt + TRACES_INTERVAL_MS - performance.now()
    if (wait <= 0) this.flushTraces()
    else this.tracesTimer = setTimeout(() => this.flushTraces(), wait)
  }

  /** Writes the waiting trace rows, as one `traces` event, to every `traces`-only client. */
  private flushTraces(): void {
    this.tracesTimer = undefined
    this.tracesSentAt = performance.now()
    if (this.pendingTraces.size === 0) return
    const message = Buffer.from(
      `event: traces\ndata: ${JSON.stringify([...this.pendingTraces.values()])}\n\n`,
    )
    this.pendingTraces.clear()
    let total = this.bufferedBytes
    for (const client of this.clients)
      if (client.tracesOnly) total = this.send(client, message, total)
  }

  /** Queues `message` to `client`; returns the bytes queued to all clients after it. */
  private send(client: Client, message: Buffer, total: number): number {
    const before = client.response.writableLength
    this.write(client, message)
    total += client.response.writableLength - before
    // Checked as it grows, so the peak stays near the budget too, not just the end state.
    return total > this.maxTotalBytes ? this.enforceBudget() : total
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
    clearTimeout(this.tracesTimer)
    this.pendingTraces.clear()
    for (const client of this.clients) client.response.end()
    this.clients.clear()
  }
}
