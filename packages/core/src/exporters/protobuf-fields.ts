/**
 * Walks the fields of one protobuf message in `bytes[start, end)`, calling `field` with each
 * field's tag (`number * 8 + wire type`, as `Field.tag`) and its value: a varint's number, or the
 * length and bounds of a length-delimited field. Fixed-width fields are skipped. Throws on a truncated or malformed
 * message. Written without a protobuf library so the exporters stay small; it reads the few
 * small answers a receiver sends (`partial_success`, `google.rpc.Status`), not spans.
 */
export function eachField(
  bytes: Uint8Array,
  start: number,
  end: number,
  field: (tag: number, value: number, from: number, to: number) => void,
): void {
  let at = start
  const varint = (): number => {
    let value = 0
    let scale = 1
    // Ten bytes at most; past 2^53 the number is not exact, which no field read here reaches.
    for (let read = 0; read < 10 && at < end; read++) {
      const byte = bytes[at++]!
      value += (byte & 0x7f) * scale
      if (byte < 0x80) return value
      scale *= 128
    }
    throw new Error('malformed protobuf')
  }
  while (at < end) {
    const tag = varint()
    const wire = tag % 8
    if (wire === 0) field(tag, varint(), at, at)
    else if (wire === 2) {
      const length = varint()
      const from = at
      at += length
      if (at > end) throw new Error('malformed protobuf')
      field(tag, length, from, at)
    } else if (wire === 1 || wire === 5) {
      at += wire === 1 ? 8 : 4
      if (at > end) throw new Error('malformed protobuf')
    } else throw new Error('malformed protobuf')
  }
}
