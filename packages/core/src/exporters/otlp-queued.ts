// Spans queued for an OTLP/HTTP JSON exporter, kept as their encoded bytes.
//
// Why: an ended span waits in its batch processor's queue until a batch of 512 goes (or the 2 s
// timer). Kept as a SpanData, it holds its attribute object and every string in it (an LLM span
// with a 20 KB prompt: ~23 KB of JS heap) through one or two scavenges, which copy it, then promote
// it to old space, which a mark-compact must later sweep. Most of the per-call GC time of a traced
// call was that copying.
//
// Design: once the exporter's code has loaded (at its first export: nothing moves to start-up), the
// processor hands each span to `encode` as it queues (BatchProcessor.onEnd, through the exporter's
// non-enumerable `encodeQueued`: an internal capability, no public API). `encode` writes the span's
// OTLP JSON (writeSpan, the very bytes a batch body holds for it, the backend mapper's extra
// attributes included) into a scratch writer, then copies them into a byte arena outside the JS
// heap: chunks of CHUNK bytes (an ArrayBuffer's memory is not moved by a scavenge), appended in
// queue order, a new chunk when the span does not fit. The queue keeps a QueuedSpan: the span's
// resource (batches group by it) and a view of its bytes. The span object and its strings die young.
// A chunk is freed by the GC once no view of it is left (every span in it was sent or dropped).
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
import type { JsonWriter } from '../otlp/json-writer.js'
import type { Attributes, Resource, SpanData } from '../types.js'

/** A span as it waits in the queue: its resource and its encoded bytes (a view of an arena chunk). */
export class QueuedSpan {
  constructor(
    readonly resource: Resource,
    readonly bytes: Uint8Array,
  ) {}
}

// Chunk size: ~20 LLM spans with a 20 KB prompt, hundreds of small ones. A larger span gets a
// chunk of its own size.
const CHUNK = 512 * 1024
// The scratch writer's buffer is let go past this (a span with huge attributes), not kept.
const MAX_SCRATCH = 1024 * 1024

/**
 * An encoder for one exporter: `encode(span)` returns what the queue keeps for it. `writeSpan` is
 * otlp-json.ts's, passed in so this module and the encoder share one copy.
 */
export function queuedEncoder(
  writeSpan: (out: JsonWriter, span: SpanData, more: Attributes | undefined) => void,
  newWriter: () => JsonWriter,
  extra: ((span: SpanData) => Attributes | undefined) | undefined,
): (span: SpanData) => QueuedSpan {
  let scratch = newWriter()
  let chunk = new Uint8Array(CHUNK)
  let at = 0
  return function encode(span) {
    scratch.pos = 0
    writeSpan(scratch, span, extra?.(span))
    const length = scratch.pos
    if (length > chunk.length - at) {
      chunk = new Uint8Array(Math.max(CHUNK, length))
      at = 0
    }
    chunk.set(scratch.buf.subarray(0, length), at)
    const bytes = chunk.subarray(at, at + length)
    at += length
    if (scratch.buf.length > MAX_SCRATCH) scratch = newWriter()
    return new QueuedSpan(span.resource, bytes)
  }
}
