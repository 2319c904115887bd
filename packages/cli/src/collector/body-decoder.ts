import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import { type FlatBatch, unflattenBatch } from '../store/flat-batch.js'
import { type PreparedBatch, prepareSpans } from '../store/store-schema.js'
import { HttpError } from './http-error.js'
import { decodeBody, type IngestFormat } from './ingest.js'

/** A body sent to the decode thread. */
export interface DecodeRequest {
  id: number
  format: IngestFormat
  body: Uint8Array
}

/**
 * The decode thread's answer: the prepared batch (as a `FlatBatch`: cheaper to hand over than its
 * objects), or the status and message of the error it met.
 */
export type DecodeReply =
  | { id: number; flat: FlatBatch }
  | { id: number; status?: number; message: string }

/**
 * Bodies from this size are decoded on the decode thread. A smaller one is decoded in place: it
 * takes less time than the round trip.
 */
export const WORKER_MIN_BYTES = 64 * 1024

/**
 * The decode thread's young generation (V8's new space: two semi-spaces of a third each). A 512-span
 * body parses into a few MB of objects that live until its batch is handed over; with V8's default
 * (16 MB semi-spaces) a scavenge often finds a batch still alive and copies it, and one that has
 * survived twice is promoted. With 32 MB semi-spaces: ~2 µs less CPU per span on the thread (23.7–24.6
 * against 21.8–22.3 µs, decode and preparation of bench/chat-trace.ts bodies in-process), for up to
 * 32 MB more memory while bodies keep coming.
 */
const YOUNG_GENERATION_MB = 96

// The built file, also when the collector runs from its TypeScript sources (tests build first).
function workerFile(): string | undefined {
  const own = import.meta.url.endsWith('.ts')
    ? new URL('../../dist/collector/decode-worker.js', import.meta.url)
    : new URL('./decode-worker.js', import.meta.url)
  const path = fileURLToPath(own)
  return existsSync(path) ? path : undefined
}

interface Pending {
  resolve(batch: PreparedBatch): void
  reject(error: Error): void
}

/**
 * Decodes ingest bodies into prepared spans (`prepareSpans`). When several exporters send at once, a
 * large body is parsed, decoded and prepared on a worker thread, its traces' rows merged there too
 * (`prepareBatch`), while this thread reads and writes the others: JSON parsing, the span JSON and
 * the rows were ~40 % of the collector's time at 1M stored spans. Bodies sent to the thread keep
 * their order: one thread answers in the order it was asked.
 *
 * If the thread stops, the bodies it held answer 503 (OTLP exporters send them again) and later
 * bodies are decoded in place; `onFailure` is told once.
 */
export class BodyDecoder {
  private worker: Worker | undefined
  private unavailable = false
  private nextId = 0
  private readonly pending = new Map<number, Pending>()

  constructor(
    private readonly onFailure: (message: string) => void,
    private readonly minBytes = WORKER_MIN_BYTES,
  ) {}

  /**
   * Spans of `body`; a malformed body rejects with the `HttpError` (400) naming what was wrong.
   * With `offload` (the caller has other bodies to read or store meanwhile), a large body goes to
   * the thread and its memory with it: `body` is empty afterwards.
   */
  decode(
    format: IngestFormat,
    body: Buffer,
    offload = true,
  ): Promise<PreparedBatch> | PreparedBatch {
    const worker =
      offload && body.length >= this.minBytes && !this.unavailable ? this.start() : undefined
    if (!worker) return { spans: prepareSpans(decodeBody(format, body), true) }
    // The body's memory moves to the thread when it is its own (as `Buffer.concat` makes it).
    const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength
    const bytes = own ? body : new Uint8Array(body)
    const id = this.nextId++
    return new Promise<PreparedBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      if (this.pending.size === 1) worker.ref()
      worker.postMessage({ id, format, body: bytes } satisfies DecodeRequest, [
        bytes.buffer as ArrayBuffer,
      ])
    })
  }

  private start(): Worker | undefined {
    if (this.worker) return this.worker
    const file = workerFile()
    if (!file) {
      this.unavailable = true
      return undefined
    }
    let worker: Worker
    try {
      worker = new Worker(file, {
        resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
      })
    } catch (error) {
      this.fail(`cannot start: ${(error as Error).message}`)
      return undefined
    }
    worker.on('message', (reply: DecodeReply) => {
      const waiting = this.pending.get(reply.id)
      if (!waiting) return
      this.pending.delete(reply.id)
      if (this.pending.size === 0) worker.unref()
      if ('flat' in reply) waiting.resolve(unflattenBatch(reply.flat))
      else if (reply.status !== undefined)
        waiting.reject(new HttpError(reply.status, reply.message))
      else waiting.reject(new Error(`decoding the body failed: ${reply.message}`))
    })
    worker.on('error', (error) => this.fail(error.message))
    worker.on('exit', (code) => this.fail(`it exited with code ${code}`))
    // It never keeps the process alive by itself (`decode` refs it while a body is out).
    worker.unref()
    this.worker = worker
    return worker
  }

  /** The thread stopped: what it held answers 503, and later bodies are decoded in place. */
  private fail(reason: string): void {
    if (this.unavailable) return
    this.stop(`the collector's decode thread stopped (${reason}); send the batch again`)
    this.onFailure(
      `tokentrail: the decode thread stopped (${reason}); decoding bodies on the main thread from now on`,
    )
  }

  /** Stops the thread; bodies it still held answer 503. */
  close(): void {
    this.stop('the collector is closing; send the batch again')
  }

  /** Ends the thread and answers 503 with `message` for every body it held. */
  private stop(message: string): void {
    this.unavailable = true
    const worker = this.worker
    this.worker = undefined
    if (worker) {
      worker.removeAllListeners()
      void worker.terminate()
    }
    for (const { reject } of this.pending.values()) reject(new HttpError(503, message))
    this.pending.clear()
  }
}
