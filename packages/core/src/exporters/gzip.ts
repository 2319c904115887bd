import { nodeBuiltin } from './transport.js'

// Used only at export time (by the senders, loaded on first export), so not in otlp-wire.ts,
// which the exporter factories use at start-up.

/**
 * zlib's level on Node. On prose-like text level 1 took 7.4 µs/KB where level 6 took 18.2 (the
 * `CompressionStream` default, which adds its stream and copies), for bodies ~20 % larger.
 */
export const NODE_GZIP_LEVEL = 1

interface NodeZlib {
  gzip(
    body: Uint8Array,
    options: { level: number },
    done: (error: Error | null, result: Uint8Array) => void,
  ): void
}

// undefined until first asked; null where the runtime is not Node.
let zlib: NodeZlib | null | undefined

/**
 * Gzips a body: with `node:zlib` on Node (found at run time, as the transport finds `node:http`;
 * it compresses off the main thread), else with the Web `CompressionStream`.
 */
export async function gzip(body: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
  if (zlib === undefined) zlib = nodeBuiltin('node:zlib')?.gzip ? nodeBuiltin('node:zlib') : null
  const node = zlib
  if (node)
    return new Promise((resolve, reject) =>
      node.gzip(bytes, { level: NODE_GZIP_LEVEL }, (error, result) =>
        error ? reject(error) : resolve(result),
      ),
    )
  return gzipWeb(bytes)
}

/** Gzips bytes with the Web `CompressionStream` (its default level). */
export async function gzipWeb(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

// Set once gzip failed where the runtime claimed it (Next.js's edge sandbox refuses
// `CompressionStream`): every body since goes as it is.
let gzipFailed = false

/**
 * The body to send and its headers: gzipped with `headers` (which say `content-encoding: gzip`),
 * or, where gzip fails, as it is with `plain` (which do not). Failing each time, every export
 * would fail and be retried for nothing; the receiver takes either.
 */
export async function gzipOrPlain(
  body: Uint8Array,
  headers: Record<string, string>,
  plain: Record<string, string>,
): Promise<{ body: Uint8Array; headers: Record<string, string> }> {
  if (!gzipFailed)
    try {
      return { body: await gzip(body), headers }
    } catch {
      gzipFailed = true
    }
  return { body, headers: plain }
}

/** The headers without `content-encoding`, for a body sent as it is. */
export function withoutEncoding(headers: Record<string, string>): Record<string, string> {
  const plain = { ...headers }
  for (const key of Object.keys(plain))
    if (key.toLowerCase() === 'content-encoding') delete plain[key]
  return plain
}
