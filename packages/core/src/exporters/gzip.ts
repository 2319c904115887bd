// Used only at export time (by the senders, loaded on first export), so not in otlp-wire.ts,
// which the exporter factories use at start-up.

/** Gzips a body with the Web `CompressionStream`. */
export async function gzip(body: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}
