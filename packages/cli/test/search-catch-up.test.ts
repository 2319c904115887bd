import { join } from 'node:path'
import type { SpanData } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { openTraceStore, startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, llmTrace, postSpans, span } from './synthetic.js'

type Store = ReturnType<typeof openTraceStore>

/** Rows in `traces` and in both indexes, as they are (no catch-up). */
function rows(store: Store) {
  return store.db
    .prepare(
      'SELECT (SELECT count(*) FROM traces) AS traces, (SELECT count(*) FROM trace_search) AS search, (SELECT count(*) FROM trace_attrs) AS attrs',
    )
    .get()
}

/** A one-span trace of a user's session with a tag, found by `word`. */
function tagged(word: string, user: string, session: string): SpanData[] {
  return [
    span({
      traceId: hexId(32),
      spanId: hexId(16),
      name: `answer ${word}`,
      attributes: {
        'user.id': user,
        'session.id': session,
        'tokentrail.tags': ['catch-up'],
        'http.route': `/api/${word}`,
      },
    }),
  ]
}

describe('search and attribute index catch-up', () => {
  it('writes the index rows of new traces later, many at once, and every search sees them first', () => {
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    for (const word of ['alpha', 'bravo', 'charlie'])
      store.insert(tagged(word, `user-${word}`, `session-${word}`))
    // Stored, not indexed yet.
    expect(rows(store)).toEqual({ traces: 3, search: 0, attrs: 0 })
    // Each kind of query that reads an index catches it up first.
    expect(store.listTraces({ text: 'charlie' }).traces.map((t) => t.rootName)).toEqual([
      'answer charlie',
    ])
    expect(rows(store)).toEqual({ traces: 3, search: 3, attrs: 3 })
    store.insert(tagged('delta', 'user-delta', 'session-delta'))
    expect(store.listTraces({ user: 'user-delta' }).traces).toHaveLength(1)
    store.insert(tagged('echo', 'user-echo', 'session-echo'))
    expect(store.listTraces({ session: 'session-echo' }).traces).toHaveLength(1)
    store.insert(tagged('foxtrot', 'user-foxtrot', 'session-foxtrot'))
    expect(store.listTraces({ tags: ['catch-up'] }).traces).toHaveLength(6)
    store.insert(tagged('golf', 'user-golf', 'session-golf'))
    expect(
      store.listTraces({ attributes: { 'http.route': '/api/golf' } }).traces.map((t) => t.rootName),
    ).toEqual(['answer golf'])
    expect(rows(store)).toEqual({ traces: 7, search: 7, attrs: 7 })
    // A list that reads no index does not write it.
    store.insert(tagged('hotel', 'user-hotel', 'session-hotel'))
    expect(store.listTraces({ status: 'ok' }).traces).toHaveLength(8)
    expect(rows(store)).toEqual({ traces: 8, search: 7, attrs: 7 })
    for (const table of ['trace_search', 'trace_attrs']) {
      store.catchUpIndex()
      store.db.exec(`INSERT INTO ${table} (${table}) VALUES ('integrity-check')`)
    }
  })

  it('indexes a trace split over batches once, with what every batch brought', () => {
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    const [root, llm] = llmTrace(Date.now() - 1000)
    store.insert([llm!])
    store.insert([root!])
    expect(rows(store)).toEqual({ traces: 1, search: 0, attrs: 0 })
    expect(store.listTraces({ text: 'post /api/chat' }).traces).toHaveLength(1)
    expect(store.listTraces({ text: 'chat gpt-4o-mini' }).traces).toHaveLength(1)
    // Stored and indexed, then updated by a later batch: its rows are rewritten at once.
    const [root2, llm2] = llmTrace(Date.now() - 500)
    store.insert([llm2!])
    store.catchUpIndex()
    store.insert([root2!])
    expect(store.listTraces({ text: 'post /api/chat' }).traces).toHaveLength(2)
    expect(rows(store)).toEqual({ traces: 2, search: 2, attrs: 2 })
  })

  it('indexes the waiting traces once ingest pauses, and within the batch once many wait', async () => {
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    store.insert(llmTrace(Date.now() - 1000))
    expect(rows(store)).toEqual({ traces: 1, search: 0, attrs: 0 })
    await new Promise((resolve) => setTimeout(resolve, 600))
    expect(rows(store)).toEqual({ traces: 1, search: 1, attrs: 1 })
    // 5,000 traces in one batch: more than CATCH_UP_TRACES wait, indexed before it commits.
    store.insert(Array.from({ length: 5000 }, (_, i) => llmTrace(Date.now() - 900 + i)).flat())
    expect(rows(store)).toEqual({ traces: 5001, search: 5001, attrs: 5001 })
  })

  it('finds traces the index could not catch up on, one by one', () => {
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    store.insert(tagged('alpha', 'user-alpha', 'session-alpha'))
    store.catchUpIndex()
    store.insert(tagged('bravo', 'user-bravo', 'session-bravo'))
    // The catch-up fails (as on a full disk): its transaction rolls back.
    store.db.exec('DROP TABLE trace_index_mark')
    expect(store.catchUpIndex()).toBe(1)
    expect(rows(store)).toEqual({ traces: 2, search: 1, attrs: 1 })
    expect(store.listTraces({ text: 'bravo' }).traces.map((t) => t.rootName)).toEqual([
      'answer bravo',
    ])
    expect(store.listTraces({ text: 'answer' }).traces).toHaveLength(2)
    expect(store.listTraces({ user: 'user-bravo' }).traces).toHaveLength(1)
    expect(store.listTraces({ session: 'session-bravo' }).traces).toHaveLength(1)
    expect(store.listTraces({ tags: ['catch-up'] }).traces).toHaveLength(2)
    expect(store.listTraces({ attributes: { 'http.route': '/api/bravo' } }).traces).toHaveLength(1)
    expect(store.listTraces({ attributes: { 'http.route': '/api/none' } }).traces).toEqual([])
    expect(store.listTraces({ text: 'no such words' }).traces).toEqual([])
  })

  it('indexes after a crash what the process had not, and reads files from before the mark as indexed', () => {
    const path = join(tempDir(), 'traces.db')
    const crashed = openTraceStore({ path })
    crashed.insert(tagged('alpha', 'user-alpha', 'session-alpha'))
    crashed.catchUpIndex()
    crashed.insert(tagged('bravo', 'user-bravo', 'session-bravo'))
    // The connection goes without the catch-up `close` does (as when the process is killed).
    crashed.db.close()
    crashed.close()
    const reopened = openTraceStore({ path })
    expect(rows(reopened)).toEqual({ traces: 2, search: 1, attrs: 1 })
    expect(reopened.listTraces({ text: 'bravo' }).traces).toHaveLength(1)
    expect(rows(reopened)).toEqual({ traces: 2, search: 2, attrs: 2 })
    // A file written before the mark existed had every trace indexed as it was stored.
    reopened.db.exec('DROP TABLE trace_index_mark')
    reopened.close()
    const older = openTraceStore({ path })
    onCleanup(() => older.close())
    older.insert(tagged('charlie', 'user-charlie', 'session-charlie'))
    expect(older.listTraces({ text: 'answer' }).traces).toHaveLength(3)
    expect(rows(older)).toEqual({ traces: 3, search: 3, attrs: 3 })
  })

  it('serves sessions and searches over HTTP with every span just acknowledged', async () => {
    const collector = await startCollector({ port: 0, db: ':memory:' })
    onCleanup(() => collector.close())
    const url = collector.url.replace(/\/$/, '')
    for (const word of ['alpha', 'bravo'])
      expect(await postSpans(url, tagged(word, 'user-one', `session-${word}`))).toBe(200)
    const get = async (path: string) => (await fetch(`${url}${path}`)).json()
    expect(rows(collector.store)).toEqual({ traces: 2, search: 0, attrs: 0 })
    expect(await get('/api/sessions/session-bravo')).toMatchObject({
      session: { sessionId: 'session-bravo', turns: 1 },
    })
    expect(rows(collector.store)).toEqual({ traces: 2, search: 2, attrs: 2 })
    expect(await postSpans(url, tagged('charlie', 'user-one', 'session-charlie'))).toBe(200)
    const sessions = (await get('/api/sessions?user=user-one')) as { sessions: unknown[] }
    expect(sessions.sessions).toHaveLength(3)
    expect(await postSpans(url, tagged('delta', 'user-two', 'session-delta'))).toBe(200)
    const page = (await get('/api/traces?text=delta')) as { traces: { rootName: string }[] }
    expect(page.traces.map((t) => t.rootName)).toEqual(['answer delta'])
  })
})
