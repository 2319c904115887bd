// A raw HTTP/1.1 POST that reports what came back, or how the connection failed.
import { Agent, request as httpRequest } from 'node:http'

export interface Answer {
  status: number
  contentType: string
  body: Buffer
  /** A network-level failure instead of an answer (reset, refused, hang-up). */
  error?: string
}

export function send(
  url: string,
  body: Uint8Array | string,
  headers: Record<string, string>,
  agent?: Agent,
  method = 'POST',
): Promise<Answer> {
  return new Promise((resolve) => {
    let answered: import('node:http').IncomingMessage | undefined
    const received: Buffer[] = []
    const request = httpRequest(url, { method, headers, agent }, (response) => {
      answered = response
      const chunks = received
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          contentType: String(response.headers['content-type'] ?? ''),
          body: Buffer.concat(chunks),
        }),
      )
      response.on('error', (error) =>
        resolve({ status: 0, contentType: '', body: Buffer.alloc(0), error: String(error) }),
      )
    })
    request.setTimeout(30_000, () => request.destroy(new Error('timed out after 30 s')))
    request.on('error', (error) => {
      // A server may answer a refused upload and close before the client has written it all: the
      // write then fails (EPIPE), but the answer it sent is what counts.
      if (answered) {
        resolve({
          status: answered.statusCode ?? 0,
          contentType: String(answered.headers['content-type'] ?? ''),
          body: Buffer.concat(received),
        })
        return
      }
      resolve({ status: 0, contentType: '', body: Buffer.alloc(0), error: String(error) })
    })
    request.end(body)
  })
}

export { Agent }
