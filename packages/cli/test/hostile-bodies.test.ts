// Bodies a hostile or broken client sends `tokentrail dev`, in a real child process over raw
// sockets: none may crash it, and what it cannot take is refused with 400 naming what was wrong.
import { connect } from 'node:net'
import { describe, expect, it } from 'vitest'
import { startBuiltDev } from './helpers.js'
import { hexId } from './synthetic.js'

/** POSTs `body` to `path` over a raw socket in chunked encoding, `size` bytes per chunk; the status. */
function postChunked(url: string, path: string, body: Buffer, size: number): Promise<number> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname)
    let answer = ''
    socket.on('data', (data) => {
      answer += data
      const status = /^HTTP\/1\.1 (\d{3})/.exec(answer)
      if (status && answer.includes('\r\n\r\n')) {
        socket.destroy()
        resolve(Number(status[1]))
      }
    })
    socket.on('error', reject)
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    )
    // Framed in 64 KB writes; each frame is a chunk of its own to the server's parser.
    const frames: Buffer[] = []
    let pending = 0
    for (let at = 0; at < body.length; at += size) {
      const part = body.subarray(at, at + size)
      frames.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'))
      pending += part.length + 8
      if (pending > 65_536) {
        socket.write(Buffer.concat(frames))
        frames.length = 0
        pending = 0
      }
    }
    frames.push(Buffer.from('0\r\n\r\n'))
    socket.write(Buffer.concat(frames))
  })
}

const span = (attributes: unknown[]) =>
  JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'hostile' } }] },
        scopeSpans: [
          {
            spans: [
              {
                traceId: hexId(32),
                spanId: hexId(16),
                name: 'hostile',
                startTimeUnixNano: `${Date.now()}000000`,
                endTimeUnixNano: `${Date.now() + 5}000000`,
                attributes,
              },
            ],
          },
        ],
      },
    ],
  })

describe('hostile bodies to tokentrail dev', () => {
  it('a body under --max-body sent a byte per chunk does not run the heap out', async () => {
    // A heap small enough that a Buffer kept per byte (~170 bytes of heap each) ran it out.
    const url = await startBuiltDev(['--max-old-space-size=48'])
    const body = Buffer.from(span([{ key: 'note', value: { stringValue: 'x'.repeat(700_000) } }]))
    expect(await postChunked(url, '/v1/traces', body, 1)).toBe(200)
    expect((await fetch(`${url}/health`)).status).toBe(200)
  }, 60_000)

  it.each([
    ['a bytesValue that is no base64 string', { bytesValue: 5 }, 'bytesValue'],
    ['a bytesValue of null', { bytesValue: null }, 'bytesValue'],
    ['a boolValue written as a string', { boolValue: 'false' }, 'boolValue'],
    ['a doubleValue that is an object', { doubleValue: { a: 1 } }, 'doubleValue'],
  ])(
    '%s is refused with 400 naming it, not a 500 or a value stored wrong',
    async (_, value, name) => {
      const url = await startBuiltDev()
      const response = await fetch(`${url}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: span([{ key: 'a', value }]),
      })
      expect(response.status).toBe(400)
      expect(((await response.json()) as { message: string }).message).toContain(name)
      expect((await fetch(`${url}/health`)).status).toBe(200)
    },
  )

  it('a time past what OTLP carries is refused, by /api/spans (import) and by OTLP', async () => {
    const url = await startBuiltDev()
    const start = Date.now()
    const spans = [
      {
        traceId: hexId(32),
        spanId: hexId(16),
        name: 'far',
        kind: 'internal',
        status: 'ok',
        startTime: 1e308,
        endTime: 1e308,
        attributes: {},
        events: [],
        resource: { serviceName: 'hostile', attributes: {} },
      },
    ]
    const api = await fetch(`${url}/api/spans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spans }),
    })
    expect(api.status).toBe(400)
    expect(((await api.json()) as { error: string }).error).toMatch(
      /startTime: expected epoch milliseconds up to 18446744073709\.55/,
    )
    const otlp = JSON.parse(span([])) as any
    otlp.resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano = '9'.repeat(26)
    const response = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(otlp),
    })
    expect(response.status).toBe(400)
    expect(((await response.json()) as { message: string }).message).toContain('endTimeUnixNano')
    // A time OTLP can carry still goes in.
    otlp.resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano = `${start + 60_000}000000`
    expect(
      (
        await fetch(`${url}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(otlp),
        })
      ).status,
    ).toBe(200)
  })
})
