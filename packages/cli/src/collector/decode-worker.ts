// The program of the collector's decode thread (see `BodyDecoder`): it turns a request body into
// prepared spans, so the thread that owns the store only writes them.
import { parentPort } from 'node:worker_threads'
import { flattenBatch } from '../store/flat-batch.js'
import { prepareBatch } from '../store/store-schema.js'
import type { DecodeReply, DecodeRequest } from './body-decoder.js'
import { HttpError } from './http-error.js'
import { decodeBody } from './ingest.js'

const port = parentPort
if (!port) throw new Error('decode-worker.js runs as a worker thread of the collector')
port.on('message', ({ id, format, body }: DecodeRequest) => {
  let reply: DecodeReply
  try {
    const spans = decodeBody(format, Buffer.from(body.buffer, body.byteOffset, body.byteLength))
    reply = { id, flat: flattenBatch(prepareBatch(spans, true)) }
  } catch (error) {
    reply =
      error instanceof HttpError
        ? { id, status: error.status, message: error.message }
        : { id, message: (error as Error)?.stack ?? String(error) }
  }
  port.postMessage(reply)
})
