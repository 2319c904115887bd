// Issue 15: a database of schema 1 (before trace identity, search and the stats rollup) is brought
// to the current schema in place, a backup kept, said once. The fixture `fixtures/schema-1.db` was
// written by the schema-1 collector itself (see fixtures/README.md): three traces from core's
// tracer over /v1/traces and the GenAI metrics over /v1/metrics.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { describe, expect, it } from 'vitest'
import { runCli } from '../src/index.js'
import { SCHEMA_VERSION } from '../src/store/store-schema.js'
import { tempDir } from './helpers.js'
import { llmTrace } from './synthetic.js'

const FIXTURE = new URL('./fixtures/schema-1.db', import.meta.url).pathname
const FIXTURE_2 = new URL('./fixtures/schema-2.db', import.meta.url).pathname
const FIXTURE_3 = new URL('./fixtures/schema-3.db', import.meta.url).pathname
const FIXTURE_4 = new URL('./fixtures/schema-4.db', import.meta.url).pathname

function schemaOf(path: string): { version: number; spans: number } {
  const db = new DatabaseSync(path, { readOnly: true })
  try {
    const version = (db.prepare('PRAGMA user_version').get() as { user_version: number })
      .user_version
    const spans = (db.prepare('SELECT count(*) AS n FROM spans').get() as { n: number }).n
    return { version, spans }
  } finally {
    db.close()
  }
}

/** Runs `tokentrail dev` on `db`, calls `whileUp` with its URL, stops it; answers its stderr. */
async function dev(dir: string, db: string | undefined, whileUp: (url: string) => Promise<void>) {
  const controller = new AbortController()
  let stderr = ''
  let failure: unknown
  const code = await runCli(['dev', '--port', '0', ...(db === undefined ? [] : ['--db', db])], {
    stdout: { write: () => true },
    stderr: { write: (text: string) => (stderr += text) },
    env: {},
    cwd: dir,
    signal: controller.signal,
    onListening: (url) => {
      whileUp(url)
        .catch((error) => (failure = error))
        .finally(() => controller.abort())
    },
  })
  if (failure) throw failure
  return { code, stderr }
}

describe('schema 1 databases', () => {
  it('are migrated in place on start, with a backup, said once', async () => {
    const dir = tempDir()
    const db = join(dir, 'traces.db')
    copyFileSync(FIXTURE, db)
    expect(schemaOf(db)).toEqual({ version: 1, spans: 6 })

    const first = await dev(dir, db, async (url) => {
      const all = await (await fetch(`${url}/api/traces`)).json()
      expect(all.traces).toHaveLength(3)
      // Identity and previews, which schema 1 never stored, are computed from the spans again.
      const byUser = await (await fetch(`${url}/api/traces?user=user-0`)).json()
      expect(byUser.traces.map((t: { rootName: string }) => t.rootName).sort()).toEqual([
        'POST /api/chat 0',
        'POST /api/chat 2',
      ])
      const bySession = await (await fetch(`${url}/api/traces?session=session-old`)).json()
      expect(bySession.traces).toHaveLength(3)
      const byTag = await (await fetch(`${url}/api/traces?tag=turn-1`)).json()
      expect(byTag.traces.map((t: { input: string }) => t.input)).toEqual(['old question 1'])
      const found = await (await fetch(`${url}/api/traces?text=old%20answer%202`)).json()
      expect(found.traces).toHaveLength(1)
      expect(found.traces[0].status).toBe('error')
      // The stats rollup is built; the metric points came along.
      const stats = await (await fetch(`${url}/api/stats`)).json()
      expect(stats.traces).toMatchObject({ count: 3, errors: 1 })
      expect(stats.models[0]).toMatchObject({ model: 'gpt-4o-mini', calls: 3, inputTokens: 63 })
      const metrics = await (
        await fetch(`${url}/api/metrics?name=gen_ai.client.token.usage`)
      ).json()
      expect(metrics.series.length).toBeGreaterThan(0)
      // A trace reads as before.
      const trace = await (await fetch(`${url}/api/traces/${all.traces[0].traceId}`)).json()
      expect(trace.spans).toHaveLength(2)
    })
    expect(first.code).toBe(0)
    const backup = `${db}.schema-1.bak`
    expect(first.stderr).toBe(
      `note ${db} was written by an older tokentrail (schema 1): brought to schema ${SCHEMA_VERSION} in place (3 traces, 6 spans); the file as it was is kept at ${backup}\n`,
    )
    expect(schemaOf(db)).toEqual({ version: SCHEMA_VERSION, spans: 6 })
    expect(schemaOf(backup)).toEqual({ version: 1, spans: 6 })
    expect(readdirSync(dir).filter((name) => name.includes('migrating'))).toEqual([])

    // Once: the next start finds the current schema and says nothing.
    const second = await dev(dir, db, async (url) => {
      expect((await (await fetch(`${url}/api/traces`)).json()).traces).toHaveLength(3)
    })
    expect(second).toEqual({ code: 0, stderr: '' })
  }, 30_000)

  it('keeps an earlier backup and replaces a half-built file left by a crash', async () => {
    const dir = tempDir()
    const db = join(dir, 'traces.db')
    copyFileSync(FIXTURE, db)
    copyFileSync(FIXTURE, `${db}.schema-1.bak`)
    // A crash while building leaves this behind; the old file is still the database.
    copyFileSync(FIXTURE, `${db}.migrating`)
    const run = await dev(dir, db, async (url) => {
      expect((await (await fetch(`${url}/api/traces`)).json()).traces).toHaveLength(3)
    })
    expect(run.stderr).toContain(`kept at ${db}.schema-1-2.bak`)
    expect(existsSync(`${db}.migrating`)).toBe(false)
    expect(schemaOf(`${db}.schema-1-2.bak`)).toEqual({ version: 1, spans: 6 })
    expect(schemaOf(db)).toEqual({ version: SCHEMA_VERSION, spans: 6 })
  }, 30_000)

  it('refuses a file of a newer schema, leaving it alone', async () => {
    const dir = tempDir()
    const db = join(dir, 'traces.db')
    copyFileSync(FIXTURE, db)
    const raw = new DatabaseSync(db)
    raw.exec('PRAGMA user_version = 9')
    raw.close()
    let stderr = ''
    const code = await runCli(['dev', '--port', '0', '--db', db], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
      env: {},
      cwd: dir,
    })
    expect(code).toBe(1)
    expect(stderr).toBe(
      `error ${db} holds data of another tokentrail version (schema 9, this one reads ${SCHEMA_VERSION}); move it away or pass another --db path\n`,
    )
    expect(existsSync(`${db}.schema-9.bak`)).toBe(false)
  }, 30_000)
})

describe('the migration note', () => {
  it('names the default file as the README quotes it, relative to where dev runs', async () => {
    const dir = tempDir()
    mkdirSync(join(dir, '.tokentrail'))
    copyFileSync(FIXTURE_2, join(dir, '.tokentrail', 'traces.db'))
    const { code, stderr } = await dev(dir, undefined, async () => {})
    expect(code).toBe(0)
    expect(stderr).toBe(
      `note .tokentrail/traces.db was written by an older tokentrail (schema 2): brought to schema ${SCHEMA_VERSION} in place (3 traces, 6 spans); the file as it was is kept at .tokentrail/traces.db.schema-2.bak\n`,
    )
    expect(existsSync(join(dir, '.tokentrail', 'traces.db.schema-2.bak'))).toBe(true)
  }, 30_000)
})

// Schema 2 keyed spans by the hex trace id; schema 3 found users through a B-tree index (schema 4
// through a token in `trace_attrs`); schema 4 found traces by id through a unique index on
// `traces.trace_id` (schema 5 through `trace_ids`). Each fixture's traces use their own words (the
// schema-4 file is the schema-3 one as the schema-4 collector migrated it).
describe.each([
  { version: 2, fixture: FIXTURE_2, word: 'second', session: 'session-two' },
  { version: 3, fixture: FIXTURE_3, word: 'third', session: 'session-three' },
  { version: 4, fixture: FIXTURE_4, word: 'third', session: 'session-three' },
])('schema $version databases', ({ version, fixture, word, session: sessionId }) => {
  it('are migrated in place on start, with a backup, said once; traces, filters, search and metrics read as before', async () => {
    const dir = tempDir()
    const db = join(dir, 'traces.db')
    copyFileSync(fixture, db)
    expect(schemaOf(db)).toEqual({ version, spans: 6 })

    const first = await dev(dir, db, async (url) => {
      const all = await (await fetch(`${url}/api/traces`)).json()
      expect(all.traces.map((t: { rootName: string }) => t.rootName)).toEqual([
        'POST /api/chat 2',
        'POST /api/chat 1',
        'POST /api/chat 0',
      ])
      const byUser = await (await fetch(`${url}/api/traces?user=user-0`)).json()
      expect(byUser.traces.map((t: { rootName: string }) => t.rootName).sort()).toEqual([
        'POST /api/chat 0',
        'POST /api/chat 2',
      ])
      const none = await (await fetch(`${url}/api/traces?user=user-9`)).json()
      expect(none.traces).toEqual([])
      const sessions = await (await fetch(`${url}/api/sessions?user=user-1`)).json()
      expect(sessions.sessions.map((s: { sessionId: string }) => s.sessionId)).toEqual([sessionId])
      // A session's first input is its first turn's, whoever's turns the list shows.
      expect(sessions.sessions[0].firstInput).toBe(`${word} question 0`)
      const bySession = await (await fetch(`${url}/api/traces?session=${sessionId}`)).json()
      expect(bySession.traces).toHaveLength(3)
      expect((await (await fetch(`${url}/api/traces?session=nope`)).json()).traces).toEqual([])
      const users = await (await fetch(`${url}/api/users`)).json()
      expect(
        users.users.map((u: { userId: string; traces: number }) => [u.userId, u.traces]).sort(),
      ).toEqual([
        ['user-0', 2],
        ['user-1', 1],
      ])
      const session = await (await fetch(`${url}/api/sessions/${sessionId}`)).json()
      expect(
        session.turns.map((t: { trace: { input: string }; llmCalls: number }) => [
          t.trace.input,
          t.llmCalls,
        ]),
      ).toEqual([
        [`${word} question 0`, 1],
        [`${word} question 1`, 1],
        [`${word} question 2`, 1],
      ])
      const byTag = await (await fetch(`${url}/api/traces?tag=turn-1`)).json()
      expect(byTag.traces.map((t: { output: string }) => t.output)).toEqual([`${word} answer 1`])
      const found = await (await fetch(`${url}/api/traces?text=${word}%20answer%202`)).json()
      expect(found.traces).toHaveLength(1)
      expect(found.traces[0].status).toBe('error')
      const stats = await (await fetch(`${url}/api/stats`)).json()
      expect(stats.traces).toMatchObject({ count: 3, errors: 1 })
      expect(stats.models[0]).toMatchObject({ model: 'gpt-4o-mini', calls: 3, inputTokens: 63 })
      // Both metric tables came along: the latest totals and the per-minute timeline.
      const metrics = await (
        await fetch(`${url}/api/metrics?name=gen_ai.client.token.usage`)
      ).json()
      expect(metrics.series.length).toBeGreaterThan(0)
      // Around the fixture's own traces, not the last 24 hours: the file keeps its age.
      const starts = all.traces.map((t: { startTime: number }) => t.startTime)
      const from = Math.min(...starts) - 3_600_000
      const to = Math.max(...starts) + 3_600_000
      const timeline = await (
        await fetch(`${url}/api/timeseries?source=metrics&from=${from}&to=${to}`)
      ).json()
      expect(JSON.stringify(timeline)).toContain('gpt-4o-mini')
      // A trace and one of its spans read as before.
      const id = all.traces[0].traceId
      const trace = await (await fetch(`${url}/api/traces/${id}`)).json()
      expect(trace.spans.map((s: { name: string }) => s.name).sort()).toEqual([
        'POST /api/chat 2',
        'chat gpt-4o-mini',
      ])
      const llm = trace.spans.find((s: { kind: string }) => s.kind === 'llm')
      const one = await (await fetch(`${url}/api/traces/${id}/spans/${llm.spanId}`)).json()
      expect(one.spanId).toBe(llm.spanId)
      // Found by a prefix of its id and by its id as search text.
      const byPrefix = await fetch(`${url}/api/traces/${id.slice(0, 8)}`)
      expect((await byPrefix.json()).trace.traceId).toBe(id)
      const byText = await (await fetch(`${url}/api/traces?text=${id}`)).json()
      expect(byText.traces.map((t: { traceId: string }) => t.traceId)).toEqual([id])
    })
    expect(first.code).toBe(0)
    const backup = `${db}.schema-${version}.bak`
    expect(first.stderr).toBe(
      `note ${db} was written by an older tokentrail (schema ${version}): brought to schema ${SCHEMA_VERSION} in place (3 traces, 6 spans); the file as it was is kept at ${backup}\n`,
    )
    expect(schemaOf(db)).toEqual({ version: SCHEMA_VERSION, spans: 6 })
    expect(schemaOf(backup)).toEqual({ version, spans: 6 })

    const second = await dev(dir, db, async (url) => {
      expect((await (await fetch(`${url}/api/traces`)).json()).traces).toHaveLength(3)
    })
    expect(second).toEqual({ code: 0, stderr: '' })
  }, 30_000)
})

describe('schema 2 databases (spans keyed by the hex trace id)', () => {
  it('migrates a file of 12,000 more spans whole (the rebuilt file is complete before it replaces the old one)', async () => {
    const dir = tempDir()
    const db = join(dir, 'traces.db')
    copyFileSync(FIXTURE_2, db)
    // More spans in schema 2's layout (the migration reads each span's stored JSON in row order).
    const raw = new DatabaseSync(db)
    const insert = raw.prepare(
      'INSERT INTO spans (trace_id, span_id, name, kind, status, start_time, end_time, service, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    )
    raw.exec('BEGIN')
    const start = Date.now() - 3_600_000
    for (let i = 0; i < 6000; i++)
      for (const span of llmTrace(start + i))
        insert.run(
          span.traceId,
          span.spanId,
          span.name,
          span.kind,
          span.status,
          span.startTime,
          span.endTime,
          span.resource.serviceName,
          JSON.stringify(span),
        )
    raw.exec('COMMIT')
    raw.close()
    const run = await dev(dir, db, async (url) => {
      const stats = await (await fetch(`${url}/api/stats`)).json()
      expect(stats.store).toEqual({ traces: 6003, spans: 12_006 })
    })
    expect(run.code).toBe(0)
    expect(run.stderr).toContain('(6,003 traces, 12,006 spans)')
    expect(readdirSync(dir).filter((name) => name.includes('migrating'))).toEqual([])
    expect(schemaOf(db)).toEqual({ version: SCHEMA_VERSION, spans: 12_006 })
  }, 60_000)
})
