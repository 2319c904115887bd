// UTF-8 into a byte buffer, by the fastest way this runtime has. On Node, `Buffer#write` converts
// a one-byte string that holds non-ASCII characters (`café`: most European text) with simdutf, 20 KB
// in ~2 µs, where `TextEncoder.encodeInto` takes ~20 µs (V8 goes character by character once it
// meets a byte ≥ 0x80); on ASCII and two-byte strings the two are level. Both write U+FFFD for a
// lone surrogate and never write part of a character. Node's Buffer is found at run time through
// `process.getBuiltinModule`, as the transport finds `node:http`: never a static `node:` import, so
// core still bundles for any runtime, and everywhere else it is `encodeInto`.

interface NodeBytes extends Uint8Array {
  write(text: string, offset: number, length: number, encoding: 'utf8'): number
}
interface NodeBufferClass {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): NodeBytes
}

const encoder = new TextEncoder()

// undefined until first asked; null where the runtime is not Node.
let nodeBuffer: NodeBufferClass | null | undefined

function findNodeBuffer(): NodeBufferClass | null {
  try {
    const scope = globalThis as any
    const process = scope.process
    // Bun, Deno and workerd answer getBuiltinModule('node:buffer') too, some with a Buffer
    // written in JavaScript: only Node itself takes this path.
    if (
      typeof process?.getBuiltinModule === 'function' &&
      process.release?.name === 'node' &&
      scope.Bun === undefined &&
      scope.Deno === undefined &&
      (scope.navigator?.userAgent ?? 'Node.js').startsWith('Node.js')
    ) {
      const found = process.getBuiltinModule('node:buffer')?.Buffer
      if (typeof found?.from === 'function' && typeof found.prototype?.write === 'function')
        return found
    }
  } catch {}
  return null
}

/** Chooses how `Utf8Sink` encodes: `'auto'` (the runtime's fastest) or `'encodeInto'` (tests). */
export function useUtf8Method(method: 'auto' | 'encodeInto'): void {
  nodeBuffer = method === 'auto' ? undefined : null
}

/** A byte buffer (which its subclass may grow) that strings are written into as UTF-8. */
export class Utf8Sink {
  buf: Uint8Array
  // Node's Buffer over the same memory as `buf`, made on the first long write into that memory.
  private nodeBytes: NodeBytes | undefined

  constructor(size: number) {
    this.buf = new Uint8Array(size)
  }

  /**
   * Writes `text` as UTF-8 at byte `at`, which must leave room for `text.length * 3` bytes, and
   * returns how many bytes it wrote. For texts of a few dozen characters or more: below that,
   * writing char by char beats any call into native code.
   */
  protected utf8At(text: string, at: number): number {
    if (nodeBuffer === undefined) nodeBuffer = findNodeBuffer()
    if (nodeBuffer !== null) {
      const buf = this.buf
      let bytes = this.nodeBytes
      if (bytes === undefined || bytes.buffer !== buf.buffer)
        this.nodeBytes = bytes = nodeBuffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
      return bytes.write(text, at, bytes.length - at, 'utf8')
    }
    return encoder.encodeInto(text, this.buf.subarray(at)).written
  }
}
