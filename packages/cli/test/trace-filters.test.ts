import { join } from 'node:path'
import { ATTR, createTracer, type SpanData } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { describe, expect, it } from 'vitest'
import { type CliIO, type Collector, openTraceStore, runCli, startCollector } from '../src/index.js'
import { onCleanup, runCapture, tempDir } from './helpers.js'

interface Turn {
  user?: string
  session?: string
  tags?: string[]
  /** Where the identity is recorded: on the request span or on the LLM span. */
  on?: 'root' | 'llm'
  prompt?: string
  answer?: string
  model?: string
  cost?: number
  durationMs?: number
  fail?: boolean
  route?: string
  startTime?: number
  /** A tool call named as ai@5/ai@6's experimental_telemetry names one (`ai.toolCall.*` only). */
  aiSdkTool?: boolean
}

/** A request trace from core's real tracer: request span → LLM call (→ failing tool). */
async function turn(t: Turn = {}): Promise<SpanData[]> {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: 'chat-api', exporters: [exporter] })
  const start = t.startTime ?? Date.now() - 10_000
  const identity: Record<string, unknown> = {}
  if (t.user) identity[ATTR.userId] = t.user
  if (t.session) identity[ATTR.sessionId] = t.session
  if (t.tags) identity[ATTR.tags] = t.tags
  const root = tracer.startSpan('POST /api/chat', {
    kind: 'http',
    startTime: start,
    attributes: {
      [ATTR.httpRoute]: t.route ?? '/api/chat',
      ...(t.on === 'root' ? identity : {}),
    },
  })
  const llm = tracer.startSpan(`chat ${t.model ?? 'gpt-4o-mini'}`, {
    kind: 'llm',
    parent: root,
    startTime: start + 5,
    attributes: {
      [ATTR.requestModel]: t.model ?? 'gpt-4o-mini',
      [ATTR.usageInputTokens]: 10,
      [ATTR.usageOutputTokens]: 20,
      [ATTR.costUsd]: t.cost ?? 0.0001,
      [ATTR.inputMessages]: JSON.stringify([
        { role: 'system', parts: [{ type: 'text', content: 'be brief' }] },
        { role: 'user', parts: [{ type: 'text', content: t.prompt ?? 'hello' }] },
      ]),
      [ATTR.outputText]: t.answer ?? 'hi there',
      ...(t.on === 'root' ? {} : identity),
    },
  })
  llm.end({ endTime: start + (t.durationMs ?? 100) - 10 })
  if (t.fail) {
    const tool = tracer.startSpan('execute_tool search', {
      kind: 'tool',
      parent: root,
      startTime: start + 20,
      attributes: { [ATTR.toolName]: 'search' },
    })
    tool.recordError(new Error('index offline'))
    tool.end({ endTime: start + 30 })
  }
  if (t.aiSdkTool)
    tracer
      .startSpan('ai.toolCall', {
        kind: 'tool',
        parent: root,
        startTime: start + 40,
        attributes: {
          'ai.toolCall.name': 'weather',
          'ai.toolCall.args': '{"city":"Paris"}',
          'ai.toolCall.result': '{"celsius":21}',
        },
      })
      .end({ endTime: start + 60 })
  root.end({ endTime: start + (t.durationMs ?? 100) })
  await tracer.flush()
  return [...exporter.spans]
}

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

const run = runCapture

describe('trace identity promoted at ingest', () => {
  it('reads user, session, tags and the turn text from any span, across batches', () => {
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    return (async () => {
      const spans = await turn({
        user: 'user-bob',
        session: 'chat-7',
        tags: ['beta'],
        on: 'root',
        prompt: 'What is the weather in Paris?',
        answer: 'Sunny, 21°C.',
      })
      // The LLM span arrives first, the request span (with the identity) in a later batch.
      const llm = spans.filter((s) => s.kind === 'llm')
      store.insert(llm)
      expect(store.listTraces().traces[0]).toMatchObject({
        input: 'What is the weather in Paris?',
        output: 'Sunny, 21°C.',
      })
      expect(store.listTraces().traces[0]!.userId).toBeUndefined()
      expect(store.listTraces({ user: 'user-bob' }).traces).toEqual([])
      store.insert(spans.filter((s) => s.kind !== 'llm'))
      const [row] = store.listTraces().traces
      expect(row).toMatchObject({
        userId: 'user-bob',
        sessionId: 'chat-7',
        tags: ['beta'],
        input: 'What is the weather in Paris?',
        output: 'Sunny, 21°C.',
      })
      expect(store.listTraces({ user: 'user-bob' }).traces).toHaveLength(1)
      expect(store.listTraces({ session: 'chat-7' }).traces).toHaveLength(1)
      expect(store.listTraces({ tags: ['beta'] }).traces).toHaveLength(1)
      // Search finds the user now, and the rewritten row is indexed once.
      expect(store.listTraces({ text: 'user-bob' }).traces).toHaveLength(1)
      expect(store.listTraces({ text: 'paris' }).traces).toHaveLength(1)
      expect(store.listTraces({ text: 'no such text' }).traces).toEqual([])
    })()
  })

  it('keeps a 300-character preview in lists and the whole turn text in a trace', async () => {
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    const long = `${'why '.repeat(300)}end`
    const spans = await turn({ prompt: long, answer: 'x'.repeat(5000) })
    store.insert(spans)
    const [row] = store.listTraces().traces
    expect(row!.input).toHaveLength(300)
    expect(row!.input!.endsWith('…')).toBe(true)
    const detail = store.getTrace(spans[0]!.traceId)!
    expect(detail.trace.input).toBe(long)
    // Stored text is capped at 4000 characters.
    expect(detail.trace.output).toBe(`${'x'.repeat(3999)}…`)
  })

  it('keeps search exact (substring, case-insensitive, short words) and drops index rows with the trace', async () => {
    const store = openTraceStore({ path: ':memory:', maxTraces: 1 })
    onCleanup(() => store.close())
    const old = await turn({ prompt: 'rate limit hit', startTime: Date.now() - 60_000 })
    store.insert(old)
    expect(store.listTraces({ text: 'RATE LIMIT' }).traces).toHaveLength(1)
    // Every trigram of "limit rate" is in "rate limit hit", but the phrase is not.
    expect(store.listTraces({ text: 'limit rate' }).traces).toEqual([])
    expect(store.listTraces({ text: 'hi' }).traces).toHaveLength(1)
    expect(store.listTraces({ text: old[0]!.traceId }).traces).toHaveLength(1)
    // Retention deletes the trace and its index rows (1% slack: two more traces past the cap).
    store.insert(await turn({ prompt: 'second' }))
    store.insert(await turn({ prompt: 'third' }))
    expect(store.sweep()).toBe(2)
    expect(store.listTraces({ text: 'rate limit' }).traces).toEqual([])
    const counts = store.db
      .prepare(
        'SELECT (SELECT count(*) FROM trace_search) AS search, (SELECT count(*) FROM trace_attrs) AS attrs',
      )
      .get() as { search: number; attrs: number }
    expect(counts).toEqual({ search: 1, attrs: 1 })
  })

  it('searches every part of a trace with many spans: long parts of equal length, parts the text already holds', () => {
    // The row keeps each part once (mergeTraceRow's `found`): a part it skips must be in the text.
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const word = (i: number) => `w${String(i).padStart(4, '0')}`
    // A long answer (the first 300 characters are searchable), then a tool span named after each
    // 33-character stretch of those (a part the text holds already), then spans with new texts of
    // one length.
    const answer = Array.from({ length: 200 }, (_, i) => word(i)).join(' ')
    const span = (i: number, name: string, attributes: SpanData['attributes'] = {}): SpanData => ({
      traceId,
      spanId: (0x1000000000000000n + BigInt(i)).toString(16),
      name,
      kind: i === 0 ? 'llm' : 'tool',
      startTime: 1_700_000_000_000 + i,
      endTime: 1_700_000_000_001 + i,
      status: 'ok',
      attributes,
      events: [],
      resource: { serviceName: 'svc', attributes: {} },
    })
    const spans = [span(0, 'chat m', { [ATTR.outputText]: answer })]
    for (let i = 0; i < 260; i++) spans.push(span(1 + i, answer.slice(i, i + 33)))
    const same = ['a'.repeat(40), `${'a'.repeat(39)}b`, `${'a'.repeat(38)}bb`]
    for (const [i, name] of same.entries()) spans.push(span(300 + i, name))
    // One batch, and the same again in two (the row merged with what was stored).
    store.insert(spans)
    for (const text of [...same, word(40), answer.slice(250, 290)])
      expect(store.listTraces({ text }).traces, text).toHaveLength(1)
    const split = openTraceStore({ path: ':memory:' })
    onCleanup(() => split.close())
    split.insert(spans.slice(0, 100))
    split.insert(spans.slice(100))
    for (const text of [...same, word(40)])
      expect(split.listTraces({ text }).traces, text).toHaveLength(1)
  })

  it("finds a trace by its root's name when its model calls' prompts came first and filled the text", () => {
    // The root ends last, so it arrives last: its name was left out once the calls' prompts had
    // filled the 2,000 characters, and a search for the agent's own name found nothing.
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4737'
    const span = (i: number, name: string, attributes: SpanData['attributes'] = {}): SpanData => ({
      traceId,
      spanId: (0x2000000000000000n + BigInt(i)).toString(16),
      ...(i === 0 ? {} : { parentSpanId: 0x2000000000000000n.toString(16) }),
      name,
      kind: i === 0 ? 'internal' : 'llm',
      startTime: 1_700_000_000_000 + i,
      endTime: 1_700_000_000_100 - i,
      status: 'ok',
      attributes,
      events: [],
      resource: { serviceName: 'agent-svc', attributes: {} },
    })
    const prompt = (i: number) =>
      JSON.stringify([
        {
          role: 'user',
          parts: [{ type: 'text', content: `question ${i} ${'lorem ipsum '.repeat(30)}` }],
        },
      ])
    const calls = Array.from({ length: 12 }, (_, i) =>
      span(1 + i, 'chat gpt-4o', {
        [ATTR.inputMessages]: prompt(i),
        'gen_ai.request.model': 'gpt-4o',
      }),
    )
    for (const batches of [
      [[...calls, span(0, 'Research-Agent')]],
      [calls, [span(0, 'Research-Agent')]],
    ]) {
      const store = openTraceStore({ path: ':memory:' })
      onCleanup(() => store.close())
      for (const batch of batches) store.insert(batch)
      for (const text of ['research-agent', 'agent-svc', 'question 0'])
        expect(store.listTraces({ text }).traces, text).toHaveLength(1)
    }
  })

  it('pages a filter that matches most traces (walked by time) like one that matches few (sorted)', () => {
    const store = openTraceStore({ path: ':memory:' })
    onCleanup(() => store.close())
    const t0 = Date.now() - 3_600_000
    const resource = { serviceName: 'api', attributes: {} }
    const expected: string[] = []
    const rare: string[] = []
    // Inserted out of time order, so rowid order is not time order.
    for (let i = 0; i < 900; i++) {
      const n = (i * 7919) % 900
      const traceId = n.toString(16).padStart(32, '0')
      const many = n % 3 !== 0
      store.insert([
        {
          traceId,
          spanId: '1'.padStart(16, '0'),
          name: many ? 'GET /often found' : 'GET /seldom',
          kind: 'http',
          status: 'ok',
          startTime: t0 + n * 1000,
          endTime: t0 + n * 1000 + 5,
          attributes: {
            [ATTR.tags]: many ? ['many'] : n % 100 === 0 ? ['rare'] : [],
            'http.route': many ? '/often' : '/seldom',
          },
          events: [],
          resource,
        },
      ])
      if (many) expected.push(traceId)
      if (n % 100 === 0 && !many) rare.push(traceId)
    }
    const newestFirst = (ids: string[]) => [...ids].sort((a, b) => (a < b ? 1 : -1))
    const all = (query: Parameters<typeof store.listTraces>[0]) => {
      const ids: string[] = []
      let cursor: string | undefined
      do {
        const page = store.listTraces({ ...query, limit: 70, cursor })
        ids.push(...page.traces.map((t) => t.traceId))
        cursor = page.nextCursor
      } while (cursor)
      return ids
    }
    expect(expected.length).toBeGreaterThan(400)
    expect(all({ tags: ['many'] })).toEqual(newestFirst(expected))
    expect(all({ attributes: { 'http.route': '/often' } })).toEqual(newestFirst(expected))
    expect(all({ text: 'often found' })).toEqual(newestFirst(expected))
    expect(all({ tags: ['rare'] })).toEqual(newestFirst(rare))
  })
})

describe('tokentrail list filters', () => {
  it('--user, --session, --tag, --attr, --model, --status, --min-duration, --min-cost, --since, --until', async () => {
    const c = await collector()
    const now = Date.now()
    const ids: Record<string, string> = {}
    const add = async (name: string, t: Turn) => {
      const spans = await turn(t)
      c.store.insert(spans)
      ids[name] = spans[0]!.traceId
    }
    await add('bob1', {
      user: 'user-bob',
      session: 's-1',
      tags: ['beta', 'mobile'],
      startTime: now - 3 * 3_600_000,
    })
    await add('bob2', {
      user: 'user-bob',
      session: 's-1',
      tags: ['beta'],
      on: 'root',
      durationMs: 4000,
      startTime: now - 2 * 3_600_000,
    })
    await add('ann', {
      user: 'user-ann',
      session: 's-2',
      model: 'gpt-4o',
      cost: 0.02,
      fail: true,
      route: '/api/agent',
      startTime: now - 30 * 60_000,
    })
    const list = async (...flags: string[]) => {
      const result = await run(['list', '--json', '--url', c.url, ...flags])
      expect(result).toMatchObject({ code: 0, stderr: '' })
      return (JSON.parse(result.stdout).traces as { traceId: string }[]).map((t) => t.traceId)
    }
    expect(await list('--user', 'user-bob')).toEqual([ids.bob2, ids.bob1])
    expect(await list('--session', 's-2')).toEqual([ids.ann])
    expect(await list('--tag', 'beta')).toEqual([ids.bob2, ids.bob1])
    expect(await list('--tag', 'beta', '--tag', 'mobile')).toEqual([ids.bob1])
    expect(await list('--attr', 'http.route=/api/agent')).toEqual([ids.ann])
    expect(
      await list('--attr', 'gen_ai.request.model=gpt-4o-mini', '--attr', 'user.id=user-bob'),
    ).toEqual([ids.bob2, ids.bob1])
    expect(await list('--attr', 'user.id=user-bob', '--tag', 'mobile')).toEqual([ids.bob1])
    expect(await list('--attr', 'service.name=chat-api')).toHaveLength(3)
    expect(await list('--attr', 'http.route=/nope')).toEqual([])
    expect(await list('--model', 'gpt-4o')).toEqual([ids.ann])
    expect(await list('--status', 'error')).toEqual([ids.ann])
    expect(await list('--min-duration', '2s')).toEqual([ids.bob2])
    expect(await list('--min-duration', '100')).toHaveLength(3)
    expect(await list('--min-cost', '0.01')).toEqual([ids.ann])
    expect(await list('--min-cost', '$0.00005')).toHaveLength(3)
    expect(await list('--since', '1h')).toEqual([ids.ann])
    expect(await list('--until', '1h')).toEqual([ids.bob2, ids.bob1])
    expect(await list('--since', '150m', '--until', '1h')).toEqual([ids.bob2])
    expect(await list('--search', 'user-ann')).toEqual([ids.ann])

    // The table shows the user and what was asked, or the error of a failed trace.
    const table = await run(['list', '--user', 'user-ann', '--url', c.url])
    expect(table.stdout.trim().split('\n')[1]).toMatch(
      /✗ error\s+gpt-4o\s+30\s+\$0\.020\s+user-ann\s+POST \/api\/chat · index offline$/,
    )
    const bob = await run(['list', '--user', 'user-bob', '-n', '1', '--url', c.url])
    expect(bob.stdout.trim().split('\n')[1]).toMatch(
      /\$0\.00010\s+user-bob\s+POST \/api\/chat · hello$/,
    )
  })

  it('explains bad filter values', async () => {
    const c = await collector()
    const bad = async (flags: string[], message: string) => {
      const result = await run(['list', '--url', c.url, ...flags])
      expect(result.code).toBe(2)
      expect(result.stderr).toContain(message)
    }
    await bad(
      ['--attr', 'novalue'],
      '--attr must be key=value, such as http.route=/api/chat, got "novalue"',
    )
    await bad(
      ['--min-duration', 'soon'],
      '--min-duration must be milliseconds or a duration such as 500ms or 2s, got "soon"',
    )
    await bad(['--min-cost', 'cheap'], '--min-cost must be US dollars such as 0.01, got "cheap"')
    await bad(
      ['--until', 'later'],
      '--until must be an age such as 15m, 2h, 7d or an ISO date, got "later"',
    )
    await bad(['--status', 'weird'], '--status must be ok, error or cancelled, got "weird"')
    // The API says the same to other clients.
    const response = await fetch(`${c.url}/api/traces?attr=novalue&minCost=x`)
    expect(response.status).toBe(400)
    expect(await response.json()).toEqual({ error: 'attr must be key=value, got "novalue"' })
    for (const [path, error] of [
      ['/api/sessions/%E0%A4%A', 'session id is not valid percent-encoding'],
      ['/api/traces/%E0%A4%A/report', 'trace id is not valid percent-encoding'],
      ['/api/sessions/nope', 'no session with id "nope"'],
      ['/api/timeseries?by=user', 'by must be model or service, got "user"'],
    ]) {
      const answer = await fetch(`${c.url}${path}`)
      expect(answer.status).toBe(error.startsWith('no session') ? 404 : 400)
      expect(await answer.json()).toEqual({ error })
    }
  })
})

describe('the chat view of a session', () => {
  it("shows a tool call's arguments and result from the AI SDK telemetry's own attributes too", async () => {
    const c = await collector()
    c.store.insert(
      await turn({ session: 'chat-ai', on: 'root', prompt: 'Weather?', aiSdkTool: true }),
    )
    const session = await (await fetch(`${c.url}/api/sessions/chat-ai`)).json()
    const calls = session.turns.flatMap((t: { toolCalls?: unknown[] }) => t.toolCalls ?? [])
    expect(calls).toEqual([
      expect.objectContaining({
        tool: 'weather',
        arguments: '{"city":"Paris"}',
        result: '{"celsius":21}',
      }),
    ])
  })
})
