import { request as httpRequest } from 'node:http'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'

// What an exporter sees when its batch is over --max-body: the 413, not a broken pipe (which OTLP
// exporters would take for a network error and retry).
function postWhole(url: string, body: Buffer, chunked: boolean): Promise<string> {
  return new Promise((resolve) => {
    const target = new URL(url)
    const request = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: chunked
          ? { 'content-type': 'application/json', 'transfer-encoding': 'chunked' }
          : { 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        // The whole answer must arrive, body included, not only the status line.
        response.resume()
        response.on('end', () => resolve(String(response.statusCode)))
        response.on('error', (error) => resolve(String(error)))
      },
    )
    request.on('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? String(error)))
    if (!chunked) request.end(body)
    else {
      for (let i = 0; i < body.length; i += 16 * 1024)
        request.write(body.subarray(i, i + 16 * 1024))
      request.end()
    }
  })
}

describe('an over-limit body', () => {
  it('is read to its end and answered 413, every time, without a broken pipe', async () => {
    const c = await startCollector({
      port: 0,
      db: join(tempDir(), 'traces.db'),
      maxBodyBytes: 64 * 1024,
    })
    onCleanup(() => c.close())
    const body = Buffer.alloc(2 * 1024 * 1024, 'x')
    for (const chunked of [false, true]) {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => postWhole(`${c.url}/v1/traces`, body, chunked)),
      )
      expect(answers).toEqual(Array(40).fill('413'))
    }
    expect(c.store.counts).toEqual({ traces: 0, spans: 0 })
  })
})
