// Spans queued for an OTLP/HTTP JSON exporter, kept as their encoded bytes.
//
// Why: an ended span waits in its batch processor's queue until a batch of 512 goes (or the 2 s
// timer). Kept as a SpanData, it holds its attribute object and every string in it (an LLM span
// with a 20 KB prompt: ~23 KB of JS heap) through one or two scavenges, which copy it, then promote
// it to old space, which a mark-compact must later sweep. Most of the per-call GC time of a traced
// call was that copying.
//
// Design: once the exporter's code has loaded (the first span to end starts the load, so nothing
// moves to start-up and only the spans of its first milliseconds queue as SpanData), the
// processor hands each span to `encode` as it queues (BatchProcessor.onEnd, through the exporter's
// non-enumerable `encodeQueued`: an internal capability, no public API). `encode` writes the span's
// OTLP JSON (writeSpan, the very bytes a batch body holds for it, the backend mapper's extra
// attributes included) into a scratch writer, then copies them into a byte arena outside the JS
// heap: chunks of CHUNK bytes (an ArrayBuffer's memory is not moved by a scavenge), appended in
// queue order, a new chunk when the span does not fit. The queue keeps a QueuedSpan: the span's
// resource (batches group by it), its chunk and where its bytes are. The span object and its
// strings die young. Once a batch has settled (sent, or failed for good: BatchProcessor.drain, after
// every export of it returned; each export copies the bytes into its body before its first await)
// the processor calls `releaseQueued(batch)`: a chunk none of whose spans is still queued is written
// from its start again, and up to POOL free chunks are kept for reuse. A fresh ArrayBuffer per chunk
// grew V8's external memory by every span's bytes (twice the incremental markings over 20,000 long
// calls). Items never released (dropped at shutdown, put back by `restart`) only keep their chunk
// from reuse: the GC frees it. A release too early would corrupt a queued span's bytes, so it has
// one caller (the planted mistake "reuse a chunk with spans still in it" fails otlp-queued.node.test).
//
// At export, encodeOtlpTracesBytes writes the body around the pieces (resource, scope groups) and
// copies each QueuedSpan's bytes in place: the same body, byte for byte, as from the SpanData. A
// batch may mix both (spans queued before the code loaded, or whose encoding threw: those are
// encoded at export as before). The processor never reads a queued item's fields (it splices,
// counts, splits batches after a 413, retries and drops them as opaque items), so counts, retries,
// the 413 split, shutdown and exit paths are the same code as before.
//
// Left on the SpanData path: protobuf (its encoder would need the same split), and every other
// exporter (console, memory, httpExporter, user exporters).
//
// Differences from before: a stateful backend mapper (langfuse, phoenix: root spans carry their
// trace's input and output) is called once per span in queue order, at queue time, instead of in
// each attempt's group order; a retried batch so sends the same body again (before, a retry's root
// span had lost `input.value`, taken by the first attempt).
//
// Measured (Node 22, `--trace-gc-nvp` over 10,000 traced generateText calls with a 20 KB history,
// batches of 512, sink in another process): 253 MB promoted by young GCs with SpanData queued, 2.6
// MB queued as bytes; scavenge time 403 -> 126 ms. Only with the objects that hold a span's long
// strings made by constructors (span.ts EndedSpan, escaped-values.ts KnownEscaped): V8 pretenures
// an object literal's allocation site once its objects survive (as every queued SpanData did), and
// such an object, born old, kept its young strings alive through each young GC.
import type { JsonWriter } from '../otlp/json-writer.js'
import type { Attributes, Resource, SpanData } from '../types.js'

/** Part of the arena: spans are appended at `at`; `live` of them not released yet. */
class Chunk {
  at = 0
  live = 0
  constructor(readonly buf: Uint8Array) {}
}

/** A span as it waits in the queue: its resource and where its encoded bytes are. */
export class QueuedSpan {
  constructor(
    readonly resource: Resource,
    readonly chunk: Chunk,
    readonly start: number,
    readonly end: number,
  ) {}

  get bytes(): Uint8Array {
    return this.chunk.buf.subarray(this.start, this.end)
  }
}

// Chunk size: ~20 LLM spans with a 20 KB prompt, hundreds of small ones. A larger span gets a
// chunk of its own size, never reused.
const CHUNK = 512 * 1024
// Free chunks kept for reuse (up to 8 MB, a full batch of long-prompt spans; the body buffer is kept
// up to 16 MB, see otlp-send.ts): a new ArrayBuffer per chunk grew the engine's external
// memory by the bytes of every span, which it answers with more incremental marking.
const POOL = 16
const FIRST_CHUNK = 16 * 1024
// The scratch writer's buffer is let go past this (a span with huge attributes), not kept.
const MAX_SCRATCH = 1024 * 1024

/** What the queue of one exporter uses: `encode` as a span queues, `release` once a batch settled. */
export interface QueuedEncoder {
  encode(span: SpanData): QueuedSpan
  /**
   * The batch's spans are done with (sent, or failed for good): their chunks may be reused. Only
   * the processor's send loop calls it, once per batch it settled, never for spans still queued or
   * put back; an item never released only keeps its chunk from reuse (the GC frees it).
   */
  release(items: readonly unknown[]): void
}

/**
 * An encoder for one exporter. `writeSpan` is otlp-json.ts's, passed in so this module and the
 * encoder share one copy.
 */
export function queuedEncoder(
  writeSpan: (out: JsonWriter, span: SpanData, more: Attributes | undefined) => void,
  newWriter: () => JsonWriter,
  extra: ((span: SpanData) => Attributes | undefined) | undefined,
): QueuedEncoder {
  let scratch = newWriter()
  // Chunks start small and double up to CHUNK: an exporter that queues a few spans (a tracer per
  // request, a short script) does not hold 512 KB, whose external memory made the engine run full
  // GCs sooner (many-tracers.node.test's count of open tracers fell under its 64).
  let size = FIRST_CHUNK
  let chunk = new Chunk(new Uint8Array(size))
  const pool: Chunk[] = []
  return {
    encode(span) {
      scratch.pos = 0
      writeSpan(scratch, span, extra?.(span))
      const length = scratch.pos
      if (length > CHUNK) {
        // A chunk of its own that never becomes the current one: kept as current, it would be
        // written from its start again once emptied and hold its size for as long as it lasted.
        const own = new Chunk(scratch.buf.slice(0, length))
        own.at = length
        own.live = 1
        scratch = newWriter()
        return new QueuedSpan(span.resource, own, 0, length)
      }
      if (length > chunk.buf.length - chunk.at) {
        if (chunk.live === 0) chunk.at = 0
        if (length > chunk.buf.length - chunk.at) {
          size = Math.min(size * 2, CHUNK)
          chunk =
            length > size
              ? new Chunk(new Uint8Array(length))
              : (pool.pop() ?? new Chunk(new Uint8Array(size)))
        }
      }
      const start = chunk.at
      chunk.buf.set(scratch.buf.subarray(0, length), start)
      chunk.at += length
      chunk.live++
      if (scratch.buf.length > MAX_SCRATCH) scratch = newWriter()
      return new QueuedSpan(span.resource, chunk, start, start + length)
    },
    release(items) {
      for (let i = 0; i < items.length; i++) {
        const item = items[i]
        if (!(item instanceof QueuedSpan)) continue
        const done = item.chunk
        if (--done.live > 0) continue
        done.at = 0
        if (done !== chunk && done.buf.length === CHUNK && pool.length < POOL) pool.push(done)
      }
    },
  }
}
