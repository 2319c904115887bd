import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { SpanData } from '@tokentrail/core'
import { encodeOtlpTraces, encodeOtlpTracesProtobuf } from '@tokentrail/core/otlp'
import { describe, expect, it } from 'vitest'
import { BodyDecoder, WORKER_MIN_BYTES } from '../src/collector/body-decoder.js'
import { HttpError } from '../src/collector/http-error.js'
import { decodeBody } from '../src/collector/ingest.js'
import { openTraceStore, startCollector } from '../src/index.js'
import { flattenBatch, unflattenBatch } from '../src/store/flat-batch.js'
import { prepareBatch, prepareSpan, prepareSpans } from '../src/store/store-schema.js'
import { chatTrace, onCleanup, tempDir } from './helpers.js'

// Chat traces (hostile text included) in one body well over the size the decode thread takes.
async function bigBatch(traces = 30, tag = 'big'): Promise<SpanData[]> {
  const spans: SpanData[] = []
  for (let i = 0; i < traces; i++)
    spans.push(
      ...(await chatTrace({
        prompt: `${tag} question ${i}: ${'why is the sky blue? '.repeat(120)}`,
        fail: i % 7 === 0,
        model: i % 2 ? 'gpt-4o-mini' : 'claude-sonnet-4',
      })),
    )
  return spans
}

const otlpJson = (spans: SpanData[]) => Buffer.from(encodeOtlpTraces(spans))

function decoder(): { decoder: BodyDecoder; failures: string[] } {
  const failures: string[] = []
  const d = new BodyDecoder((message) => failures.push(message))
  onCleanup(() => d.close())
  return { decoder: d, failures }
}

describe('the stored JSON of decoded spans', () => {
  it('is JSON.stringify of each span, its resource written once per batch, the spans left as they were', async () => {
    const spans = await bigBatch(10)
    // A second resource object for some spans, as a body with two services decodes.
    const other = { serviceName: 'other', attributes: { 'a.b': 1 } }
    const body = otlpJson(spans.map((span, i) => (i % 3 ? span : { ...span, resource: other })))
    for (const format of ['otlp-json', 'otlp-protobuf', 'spans-json'] as const) {
      const bytes =
        format === 'otlp-json'
          ? body
          : format === 'otlp-protobuf'
            ? Buffer.from(encodeOtlpTracesProtobuf(decodeBody('otlp-json', body)))
            : Buffer.from(JSON.stringify({ spans: decodeBody('otlp-json', body) }))
      const decoded = decodeBody(format, bytes)
      const before = structuredClone(decoded)
      const prepared = prepareSpans(decoded, true)
      expect(
        prepared.map((p) => p.data),
        format,
      ).toEqual(decoded.map((s) => JSON.stringify(s)))
      expect(decoded, format).toEqual(before)
      // OTLP bodies decode to resource objects shared by their spans, whose JSON is made once.
      const resources = new Set(decoded.map((s) => s.resource)).size
      if (format !== 'spans-json') expect(resources, format).toBeLessThan(decoded.length / 2)
    }
  })

  it('leaves an app’s own spans untouched: frozen spans are stored as they are', async () => {
    const spans = (await bigBatch(2)).map((span) => Object.freeze({ ...span }))
    const store = openTraceStore({ path: join(tempDir(), 'frozen.db') })
    onCleanup(() => store.close())
    expect(store.insert(spans).inserted).toBe(spans.length)
    expect(prepareSpans(spans).map((p) => p.data)).toEqual(spans.map((s) => JSON.stringify(s)))
  })
})

describe('decoding large bodies on the decode thread', () => {
  it('prepares a large body off the main thread exactly as in place, in every format', async () => {
    const { decoder: d, failures } = decoder()
    const spans = await bigBatch()
    const bodies = [
      ['otlp-json', otlpJson(spans)],
      ['otlp-protobuf', Buffer.from(encodeOtlpTracesProtobuf(spans))],
      ['spans-json', Buffer.from(JSON.stringify({ spans }))],
    ] as const
    for (const [format, body] of bodies) {
      expect(body.length).toBeGreaterThan(WORKER_MIN_BYTES)
      const spans = decodeBody(format, body)
      const expected = prepareBatch(spans)
      const answer = d.decode(format, body)
      // A promise: the body went to the thread (a small one is answered in place, below).
      expect(answer).toBeInstanceOf(Promise)
      const batch = await answer
      // Strict: a summary the thread's hand-over rebuilt has no key set to undefined, and its keys
      // come in the order the store's own summaries have them (live events are their JSON).
      expect(batch, format).toStrictEqual(expected)
      const keys = (spans: { summary: object }[]) => spans.map((span) => Object.keys(span.summary))
      expect(keys(batch.spans)).toEqual(keys(expected.spans))
      for (const [traceId, row] of batch.rows!)
        expect(Object.keys(row)).toEqual(Object.keys(expected.rows.get(traceId)!))
      // Its rows are what the store makes of the spans itself.
      const direct = openTraceStore({ path: ':memory:' })
      const viaThread = openTraceStore({ path: ':memory:' })
      onCleanup(() => direct.close())
      onCleanup(() => viaThread.close())
      expect(viaThread.insertPrepared(batch)).toEqual(direct.insert(spans))
      expect(viaThread.listTraces({ limit: 100 })).toEqual(direct.listTraces({ limit: 100 }))
      expect(viaThread.stats()).toEqual(direct.stats())
    }
    const small = otlpJson(await chatTrace())
    const inPlace = { spans: decodeBody('otlp-json', small).map(prepareSpan) }
    const answer = d.decode('otlp-json', small)
    expect(answer).not.toBeInstanceOf(Promise)
    expect(answer).toEqual(inPlace)
    expect(failures).toEqual([])
  })

  it('hands a batch over as plain values that give back the same summaries and rows', async () => {
    const spans = await bigBatch(8)
    // Values a lazy `?? null` or truthiness check would lose: zero tokens, cost and TTFT, and a
    // span with none of the optional summary fields.
    const llm = spans.find((span) => span.kind === 'llm')!
    Object.assign(llm.attributes, {
      'gen_ai.usage.input_tokens': 0,
      'gen_ai.usage.output_tokens': 0,
      'tokentrail.cost.usd': 0,
      'tokentrail.ttft_ms': 0,
    })
    const { parentSpanId: _, ...bare } = spans.find((span) => span.kind !== 'llm')!
    spans.push({ ...bare, spanId: 'f00dfeedf00dfeed', status: 'ok', error: undefined })
    const expected = prepareBatch(spans)
    const flat = flattenBatch(expected)
    // What crosses to the store's thread: two arrays of strings, numbers and nulls.
    for (const value of [...flat.spans, ...flat.rows])
      expect(value === null || ['string', 'number'].includes(typeof value)).toBe(true)
    const batch = unflattenBatch(structuredClone(flat))
    expect(batch).toStrictEqual(expected)
    expect(batch.spans.some((span) => span.summary.inputTokens === 0)).toBe(true)
    const keys = (spans: { summary: object }[]) => spans.map((span) => Object.keys(span.summary))
    expect(keys(batch.spans)).toEqual(keys(expected.spans))
    const direct = openTraceStore({ path: ':memory:' })
    const viaFlat = openTraceStore({ path: ':memory:' })
    onCleanup(() => direct.close())
    onCleanup(() => viaFlat.close())
    expect(viaFlat.insertPrepared(batch)).toStrictEqual(direct.insert(spans))
  })

  it('answers a malformed large body with the same 400 as in place, naming the field', async () => {
    const { decoder: d } = decoder()
    const good = JSON.parse(encodeOtlpTraces(await bigBatch(20)))
    // Each chat trace comes from its own tracer, so its own resource.
    good.resourceSpans[7].scopeSpans[0].spans[2].name = 42
    const body = Buffer.from(JSON.stringify(good))
    const notJson = Buffer.concat([body, Buffer.from('}')])
    expect(body.length).toBeGreaterThan(WORKER_MIN_BYTES)
    let inPlace: unknown
    try {
      decodeBody('otlp-json', body)
    } catch (error) {
      inPlace = error
    }
    const offThread = await (d.decode('otlp-json', body) as Promise<unknown>).catch((e) => e)
    expect(offThread).toBeInstanceOf(HttpError)
    expect(offThread).toMatchObject({ status: 400, message: (inPlace as Error).message })
    expect((offThread as Error).message).toMatch(
      /resourceSpans\[7\]\.scopeSpans\[0\]\.spans\[2\]\.name: expected a string/,
    )
    await expect(d.decode('otlp-json', notJson)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/^body is not valid JSON/),
    })
    // The thread keeps working after a bad body.
    const next = otlpJson(await bigBatch(10))
    const expected = prepareBatch(decodeBody('otlp-json', next))
    expect(await d.decode('otlp-json', next)).toEqual(expected)
  })

  it('answers 503 for the bodies a stopped thread held, says so once, then decodes in place', async () => {
    const { decoder: d, failures } = decoder()
    const spans = await bigBatch(60)
    // Each call hands the body's memory to the thread: one body each.
    const held = [d.decode('otlp-json', otlpJson(spans)), d.decode('otlp-json', otlpJson(spans))]
    // The thread dies while it holds both bodies (as an out-of-memory crash would end it).
    await (d as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate()
    for (const answer of held)
      await expect(answer).rejects.toMatchObject({
        status: 503,
        message: expect.stringMatching(/decode thread stopped.*send the batch again/),
      })
    expect(failures).toHaveLength(1)
    expect(failures[0]).toMatch(/decode thread stopped.*main thread from now on/)
    const body = otlpJson(spans)
    const expected = { spans: decodeBody('otlp-json', body).map(prepareSpan) }
    const after = d.decode('otlp-json', body)
    expect(after).not.toBeInstanceOf(Promise)
    expect(after).toEqual(expected)
    expect(failures).toHaveLength(1)
  })

  it('answers 503 for a body still out when it closes', async () => {
    const { decoder: d } = decoder()
    const out = d.decode('otlp-json', otlpJson(await bigBatch(60)))
    d.close()
    await expect(out).rejects.toMatchObject({ status: 503, message: /closing/ })
  })

  it('stores large batches sent at once over HTTP as storing the spans directly does', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db'), log: () => {} })
    onCleanup(() => c.close())
    const direct = openTraceStore({ path: ':memory:' })
    onCleanup(() => direct.close())
    const batches = [await bigBatch(30, 'a'), await bigBatch(30, 'b'), await bigBatch(30, 'c')]
    // A trace split over two large bodies sent at the same time, its parts in either order.
    const split = await chatTrace({ prompt: 'split over two bodies' })
    batches[0]!.push(...split.slice(1))
    batches[1]!.push(split[0]!)
    // A new trace whose body repeats a span: its row counts the span once.
    const doubled = await chatTrace({ prompt: 'a span twice in one body' })
    batches[2]!.push(...doubled, doubled[1]!)
    const send = (path: string, body: Buffer, headers: Record<string, string> = {}) =>
      fetch(`${c.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: new Uint8Array(body),
      }).then(async (r) => ({ status: r.status, body: await r.text() }))
    const bodies = [
      otlpJson(batches[0]!),
      otlpJson(batches[1]!),
      Buffer.from(JSON.stringify({ spans: batches[2] })),
    ] as const
    const answers = await Promise.all([
      send('/v1/traces', bodies[0]),
      send('/v1/traces', gzipSync(bodies[1]), { 'content-encoding': 'gzip' }),
      send('/api/spans', bodies[2]),
    ])
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200])
    // OTLP carries times in nanoseconds: the direct store gets the spans as decoded in place.
    direct.insert(decodeBody('otlp-json', bodies[0]))
    direct.insert(decodeBody('otlp-json', bodies[1]))
    direct.insert(decodeBody('spans-json', bodies[2]))
    const all = batches.flat()
    expect(c.stats()).toMatchObject({
      spansReceived: all.length,
      spansStored: all.length - 1,
      duplicateSpans: 1,
    })
    const byId = (list: { traceId: string }[]) =>
      [...list].sort((a, b) => a.traceId.localeCompare(b.traceId))
    expect(byId(c.store.listTraces({ limit: 200 }).traces)).toEqual(
      byId(direct.listTraces({ limit: 200 }).traces),
    )
    const splitId = split[0]!.traceId
    expect(c.store.getTrace(splitId)).toEqual(direct.getTrace(splitId))
    expect(c.store.getTrace(splitId)?.spans).toHaveLength(split.length)
    expect(c.store.getTrace(doubled[0]!.traceId)).toEqual(direct.getTrace(doubled[0]!.traceId))
    expect(c.store.getTrace(doubled[0]!.traceId)?.spans).toHaveLength(doubled.length)
    expect(c.store.stats()).toEqual(direct.stats())
    // Sent again (an exporter's retry): every span is a duplicate.
    const again = await send('/api/spans', Buffer.from(JSON.stringify({ spans: batches[2] })))
    expect(JSON.parse(again.body)).toMatchObject({ stored: 0, duplicates: batches[2]!.length })
    expect(c.store.counts).toEqual(direct.counts)
    const bad = JSON.parse(encodeOtlpTraces(await bigBatch(20)))
    bad.resourceSpans[4].scopeSpans[0].spans[1].endTimeUnixNano = '1'
    const refused = await send('/v1/traces', Buffer.from(JSON.stringify(bad)))
    expect(refused.status).toBe(400)
    expect(JSON.parse(refused.body).message).toMatch(
      /resourceSpans\[4\]\.scopeSpans\[0\]\.spans\[1\]\.endTimeUnixNano: .*is before startTimeUnixNano/,
    )
  }, 30_000)
})
