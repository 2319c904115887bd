// Fuzz the collector's ingest endpoints (the real `tokentrail dev` process) with random and
// malformed bodies: JSON and protobuf, mutated valid requests, wrong types, deep nesting, invalid
// UTF-8, oversized and decompression bombs. Every answer is 200 or a 4xx with a message; the
// process stays up and the database stays consistent.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FULL, recordFigure } from '../src/figures.js'
import { Agent, type Answer, send } from '../src/http-send.js'
import { seedBodies } from '../src/otel-bodies.js'
import { type Child, startCollectorProcess } from '../src/processes.js'

const BODIES = FULL ? 10_000 : 2000
const MAX_BODY = 1024 * 1024

let dir: string
let collector: Child
const seeds = seedBodies()

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-fuzz-'))
  collector = await startCollectorProcess({
    db: join(dir, 'traces.db'),
    extra: ['--max-body', '1mb'],
  })
})

afterAll(async () => {
  await collector?.stop()
  rmSync(dir, { recursive: true, force: true })
})

// Minimal protobuf writer, for shapes no serializer will make.
const varint = (n: number) => {
  const out: number[] = []
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
  return Buffer.from(out)
}
const field = (number: number, bytes: Buffer) =>
  Buffer.concat([varint((number << 3) | 2), varint(bytes.length), bytes])

/** An ExportTraceServiceRequest whose one attribute nests `depth` array values deep (built in one pass). */
function deepProtobuf(depth: number): Buffer {
  const leaf = field(1, Buffer.from('leaf')) // AnyValue.string_value
  const prefixes: Buffer[] = []
  let length = leaf.length
  for (let i = 0; i < depth; i++) {
    // AnyValue.array_value (5) holding ArrayValue.values (1) holding the inner AnyValue.
    const inner = Buffer.concat([Buffer.from([0x0a]), varint(length)])
    const outer = Buffer.concat([Buffer.from([0x2a]), varint(inner.length + length)])
    prefixes.push(Buffer.concat([outer, inner]))
    length += outer.length + inner.length
  }
  const value = Buffer.concat([...prefixes.reverse(), leaf])
  const attribute = Buffer.concat([field(1, Buffer.from('deep')), field(2, value)])
  const span = Buffer.concat([
    field(1, Buffer.alloc(16, 1)),
    field(2, Buffer.alloc(8, 2)),
    field(5, Buffer.from('deep')),
    Buffer.from([0x39, 1, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0x41, 2, 0, 0, 0, 0, 0, 0, 0]),
    field(9, attribute),
  ])
  return field(1, field(2, field(2, span)))
}

function deepJson(depth: number, kind: 'array' | 'object' | 'kvlist'): string {
  if (kind === 'array') return `${'['.repeat(depth)}${']'.repeat(depth)}`
  if (kind === 'object') return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`
  const seed = JSON.parse(seeds.json)
  const inner = `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth)}{"stringValue":"x"}${'}]}}'.repeat(depth)}`
  seed.resourceSpans[0].scopeSpans[0].spans[0].attributes.push({ key: 'deep', value: '__DEEP__' })
  return JSON.stringify(seed).replace('"__DEEP__"', inner)
}

/** Sets a random path of a JSON value to a random value: wrong types, missing fields, nulls. */
function mutateJson(value: unknown, path: number[], replacement: unknown): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value)
  if (entries.length === 0) return replacement
  const [key, child] = entries[path[0]! % entries.length]!
  const copy: any = Array.isArray(value) ? [...value] : { ...value }
  copy[key] = mutateJson(child, path.slice(1), replacement)
  return copy
}

type Case = {
  path: '/v1/traces' | '/api/spans'
  type: string
  body: Buffer
  encoding?: string
  kind: string
}

const json = (kind: string, text: string, path: Case['path'] = '/v1/traces'): Case => ({
  path,
  type: 'application/json',
  body: Buffer.from(text),
  kind,
})
const proto = (kind: string, body: Uint8Array): Case => ({
  path: '/v1/traces',
  type: 'application/x-protobuf',
  body: Buffer.from(body),
  kind,
})

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.uint8Array({ maxLength: 3000 }).map((b) => proto('random protobuf bytes', b)),
  fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.nat(),
    )
    .map(([flips, cut]) => {
      const bytes = Buffer.from(seeds.protobuf)
      for (const [at, value] of flips) bytes[at % bytes.length] = value
      return proto(
        'mutated valid protobuf',
        cut % 3 === 0 ? bytes.subarray(0, cut % bytes.length) : bytes,
      )
    }),
  fc.jsonValue().map((v) => json('random JSON value', JSON.stringify(v) ?? 'null')),
  fc
    .jsonValue()
    .map((v) => json('random JSON value (/api/spans)', JSON.stringify(v) ?? 'null', '/api/spans')),
  fc
    .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 9 }), fc.jsonValue())
    .map(([path, replacement]) =>
      json(
        'valid OTLP JSON, one field of a wrong type',
        JSON.stringify(mutateJson(JSON.parse(seeds.json), path, replacement)),
      ),
    ),
  fc
    .tuple(fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), fc.jsonValue())
    .map(([path, replacement]) =>
      json(
        'valid span JSON, one field of a wrong type (/api/spans)',
        JSON.stringify(mutateJson({ spans: [JSON.parse(seeds.json)] }, path, replacement)),
        '/api/spans',
      ),
    ),
  fc
    .tuple(fc.nat(seeds.json.length), fc.string({ unit: 'binary', maxLength: 20 }))
    .map(([at, text]) =>
      json(
        'valid OTLP JSON, text spliced in',
        seeds.json.slice(0, at) + text + seeds.json.slice(at),
      ),
    ),
  fc
    .uint8Array({ minLength: 1, maxLength: 50 })
    .map((b) =>
      json(
        'invalid UTF-8 in JSON',
        `{"resourceSpans":[],"x":"${Buffer.from(b).toString('latin1')}"}`,
      ),
    ),
  fc
    .tuple(fc.integer({ min: 100, max: 200_000 }), fc.constantFrom('array', 'object', 'kvlist'))
    .map(([depth, kind]) =>
      json(
        `deep nesting (JSON ${kind})`,
        deepJson(kind === 'kvlist' ? Math.min(depth, 20_000) : depth, kind as any),
      ),
    ),
  fc
    .integer({ min: 60, max: 100_000 })
    .map((depth) => proto('deep nesting (protobuf)', deepProtobuf(depth))),
  fc.constantFrom('text/plain', '', 'application/jsonx', 'multipart/form-data').map(
    (type): Case => ({
      path: '/v1/traces',
      type,
      body: Buffer.from(seeds.json),
      kind: 'wrong content-type',
    }),
  ),
  fc
    .uint8Array({ maxLength: 200 })
    .map((b): Case => ({ ...json('garbage gzip', ''), body: Buffer.from(b), encoding: 'gzip' })),
)

function hasMessage(answer: Answer): boolean {
  if (answer.contentType.startsWith('application/json')) {
    const parsed = JSON.parse(answer.body.toString())
    return (
      typeof (parsed.message ?? parsed.error) === 'string' &&
      (parsed.message ?? parsed.error).length > 0
    )
  }
  // A protobuf google.rpc.Status: code, then the message as field 2.
  return answer.body.length > 2 && answer.body.toString('latin1').length > 2
}

describe('collector fuzz', () => {
  it(`answers ${BODIES} random and malformed bodies with 200 or a 4xx with a message, and stays up`, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 8 })
    const statuses: Record<string, number> = {}
    const bad: string[] = []
    const cases = fc.sample(caseArb, { numRuns: BODIES, seed: 8 })
    const kinds = new Set(cases.map((c) => c.kind))
    let next = 0
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!
        const headers: Record<string, string> = { 'content-type': c.type }
        if (c.encoding) headers['content-encoding'] = c.encoding
        const answer = await send(`${collector.url}${c.path}`, c.body, headers, agent)
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1
        const ok =
          answer.status === 200 ||
          (answer.status >= 400 && answer.status < 500 && hasMessage(answer))
        if (!ok && bad.length < 10)
          bad.push(
            `${c.kind}: ${answer.status} ${answer.error ?? answer.body.toString().slice(0, 200)}`,
          )
      }
    }
    await Promise.all(Array.from({ length: 8 }, worker))
    agent.destroy()
    expect(bad).toEqual([])
    expect(kinds.size).toBeGreaterThanOrEqual(12)
    expect((await fetch(`${collector.url}/health`)).status).toBe(200)
    recordFigure('Bad input', ['check', 'cases', 'result'], {
      check: `collector fuzz: ${kinds.size} kinds of random/malformed JSON and protobuf bodies`,
      cases: BODIES,
      result: `answers ${Object.entries(statuses)
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}; no 5xx, no reset; still up`,
    })
  })

  it('refuses oversized bodies and decompression bombs with 413, whole', async () => {
    const oversized = Buffer.alloc(MAX_BODY + 1, 0x20)
    const declared = await send(`${collector.url}/v1/traces`, oversized, {
      'content-type': 'application/json',
    })
    const chunked = await send(`${collector.url}/v1/traces`, oversized, {
      'content-type': 'application/json',
      'transfer-encoding': 'chunked',
    })
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20))
    const bombed = await send(`${collector.url}/v1/traces`, bomb, {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    })
    for (const answer of [declared, chunked, bombed]) {
      expect(answer.error).toBeUndefined()
      expect(answer.status).toBe(413)
      expect(hasMessage(answer)).toBe(true)
    }
    recordFigure('Bad input', ['check', 'cases', 'result'], {
      check: `oversized bodies (declared, chunked) and a ${(bomb.length / 1024).toFixed(0)} KB gzip of 64 MB`,
      cases: 3,
      result: '413 with a message each, nothing stored',
    })
  })

  it('keeps the database consistent: integrity check, trace rows match their spans', async () => {
    const stats = (await (await fetch(`${collector.url}/api/stats`)).json()) as any
    await collector.stop()
    const db = new DatabaseSync(join(dir, 'traces.db'), { readOnly: true })
    try {
      expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' })
      const mismatched = db
        .prepare(
          'SELECT count(*) AS n FROM traces t WHERE span_count != (SELECT count(*) FROM spans s WHERE s.trace_row = t.rowid)',
        )
        .get() as { n: number }
      const orphans = db
        .prepare(
          'SELECT count(*) AS n FROM spans s WHERE NOT EXISTS (SELECT 1 FROM traces t WHERE t.rowid = s.trace_row)',
        )
        .get() as { n: number }
      const spans = db.prepare('SELECT count(*) AS n FROM spans').get() as { n: number }
      expect(mismatched.n).toBe(0)
      expect(orphans.n).toBe(0)
      expect(spans.n).toBe(stats.collector.spansStored)
    } finally {
      db.close()
    }
    collector = await startCollectorProcess({
      db: join(dir, 'traces.db'),
      extra: ['--max-body', '1mb'],
    })
  })
})
