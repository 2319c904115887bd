import { join } from 'node:path'
import { APICallError } from '@ai-sdk/provider'
import { ATTR, createTracer, type SpanData, type Tracer } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { describe, expect, it } from 'vitest'
import { type Collector, runCli, startCollector } from '../src/index.js'
import type { TraceReport } from '../src/report/report.js'
import { onCleanup, tempDir } from './helpers.js'

// Each hint gets a trace that should trigger it and one that should not, recorded by core's
// real tracer, stored by a real collector and read back through `tokentrail trace --export`.

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

async function record(build: (tracer: Tracer, t0: number) => void): Promise<SpanData[]> {
  const exporter = memoryExporter()
  const tracer = createTracer({ serviceName: 'hints', exporters: [exporter] })
  build(tracer, Date.now() - 60_000)
  await tracer.flush()
  return [...exporter.spans]
}

async function report(c: Collector, spans: SpanData[], format = 'json'): Promise<string> {
  c.store.insert(spans)
  let stdout = ''
  const code = await runCli(
    ['trace', spans[0]!.traceId, '--export', '--format', format, '--url', c.url],
    {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: () => {} },
      env: {},
      cwd: tempDir(),
    },
  )
  expect(code).toBe(0)
  return stdout
}

async function hints(c: Collector, spans: SpanData[]) {
  return (JSON.parse(await report(c, spans)) as TraceReport).hints
}

/** An LLM span from `start` to `end` (ms after t0), with attributes, ending with `status`. */
function llm(
  tracer: Tracer,
  t0: number,
  parent: ReturnType<Tracer['startSpan']>,
  [start, end]: [number, number],
  attributes: Record<string, unknown>,
  error?: unknown,
  status?: SpanData['status'],
) {
  const span = tracer.startSpan('chat gpt-4o', {
    kind: 'llm',
    parent,
    startTime: t0 + start,
    attributes: { [ATTR.requestModel]: 'gpt-4o', ...attributes },
  })
  if (error) span.recordError(error)
  span.end({ endTime: t0 + end, ...(status ? { status } : {}) })
}

function rateLimit(): APICallError {
  return new APICallError({
    message: 'Too Many Requests',
    url: 'https://api.openai.com/v1/chat/completions',
    requestBodyValues: {},
    statusCode: 429,
    isRetryable: true,
  })
}

function request(tracer: Tracer, t0: number, fn: (root: ReturnType<Tracer['startSpan']>) => void) {
  const root = tracer.startSpan('POST /api/chat', { kind: 'http', startTime: t0 })
  fn(root)
  return root
}

describe('debug hints in the exported report', () => {
  it('rate-limited: a provider 429 retried until it succeeded; not for a 500', async () => {
    const c = await collector()
    const limited = await record((tracer, t0) => {
      request(tracer, t0, (root) => {
        llm(tracer, t0, root, [0, 100], {}, rateLimit())
        llm(tracer, t0, root, [2100, 2200], {}, rateLimit())
        llm(tracer, t0, root, [6200, 6900], { [ATTR.usageOutputTokens]: 12 })
      }).end({ endTime: t0 + 7000 })
    })
    const found = await hints(c, limited)
    expect(found.map((h) => h.id)).toEqual(['rate-limited'])
    expect(found[0]!.message).toBe(
      'the provider rate-limited `gpt-4o` (429) 2 times; a retry succeeded 6.20s after the first attempt began (first: AI_APICallError: Too Many Requests)',
    )
    const serverError = await record((tracer, t0) => {
      request(tracer, t0, (root) => {
        llm(tracer, t0, root, [0, 100], {}, new Error('500 Internal Server Error'))
      }).end({ endTime: t0 + 200 })
    })
    expect((await hints(c, serverError)).map((h) => h.id)).toEqual([])
  })

  it('client-went-away: the request was aborted mid-stream; not when it finished', async () => {
    const c = await collector()
    const gone = await record((tracer, t0) => {
      const root = tracer.startSpan('POST /api/chat', { kind: 'http', startTime: t0 })
      llm(
        tracer,
        t0,
        root,
        [10, 1500],
        { [ATTR.cancelledBy]: 'abort_signal' },
        undefined,
        'cancelled',
      )
      root.addEvent('http.request.aborted', undefined, t0 + 1490)
      root.end({ endTime: t0 + 1500, status: 'cancelled' })
    })
    const found = await hints(c, gone)
    expect(found.map((h) => h.id)).toEqual(['client-went-away'])
    expect(found[0]!.message).toBe(
      'the client went away after 1.49s (http.request.aborted on `POST /api/chat`); 1 LLM call was cut short',
    )
    const finished = await record((tracer, t0) => {
      request(tracer, t0, (root) => llm(tracer, t0, root, [10, 1500], {})).end({
        endTime: t0 + 1500,
      })
    })
    expect(await hints(c, finished)).toEqual([])
  })

  it('tool-threw: names the tool, the error and its arguments; not for a tool that returned', async () => {
    const c = await collector()
    const threw = await record((tracer, t0) => {
      request(tracer, t0, (root) => {
        const tool = tracer.startSpan('execute_tool weather', {
          kind: 'tool',
          parent: root,
          startTime: t0 + 5,
          attributes: { [ATTR.toolName]: 'weather', [ATTR.toolCallArguments]: '{"city":"Paris"}' },
        })
        tool.recordError(new TypeError('fetch failed'))
        tool.end({ endTime: t0 + 45 })
      }).end({ endTime: t0 + 50 })
    })
    const found = await hints(c, threw)
    expect(found).toEqual([
      {
        id: 'tool-threw',
        spanId: threw.find((s) => s.kind === 'tool')!.spanId,
        message:
          'tool `weather` threw TypeError: fetch failed after 40ms (arguments `{"city":"Paris"}`)',
      },
    ])
    const returned = await record((tracer, t0) => {
      request(tracer, t0, (root) => {
        tracer
          .startSpan('execute_tool weather', {
            kind: 'tool',
            parent: root,
            startTime: t0 + 5,
            attributes: { [ATTR.toolName]: 'weather' },
          })
          .end({ endTime: t0 + 45 })
      }).end({ endTime: t0 + 50 })
    })
    expect(await hints(c, returned)).toEqual([])
  })

  it('stream-stalled: a long wait for the first token, or silence after the last chunk; not a steady stream', async () => {
    const c = await collector()
    const slowStart = await record((tracer, t0) => {
      request(tracer, t0, (root) =>
        llm(tracer, t0, root, [0, 9000], {
          [ATTR.ttftMs]: 8200,
          [ATTR.timeToLastChunkMs]: 8900,
          [ATTR.chunkCount]: 40,
        }),
      ).end({ endTime: t0 + 9000 })
    })
    expect((await hints(c, slowStart)).map((h) => h.message)).toEqual([
      '`chat gpt-4o` waited 8.20s for its first token (of 9.00s in all)',
    ])
    const quietEnd = await record((tracer, t0) => {
      request(tracer, t0, (root) =>
        llm(
          tracer,
          t0,
          root,
          [0, 30_000],
          { [ATTR.ttftMs]: 300, [ATTR.timeToLastChunkMs]: 1200, [ATTR.chunkCount]: 12 },
          undefined,
          'cancelled',
        ),
      ).end({ endTime: t0 + 30_000 })
    })
    expect((await hints(c, quietEnd)).map((h) => h.message)).toEqual([
      '`chat gpt-4o` stream went quiet for 28.80s after its last chunk (12 chunks) before it ended cancelled',
    ])
    const steady = await record((tracer, t0) => {
      request(tracer, t0, (root) =>
        llm(tracer, t0, root, [0, 20_000], {
          [ATTR.ttftMs]: 400,
          [ATTR.timeToLastChunkMs]: 19_990,
          [ATTR.chunkCount]: 900,
        }),
      ).end({ endTime: t0 + 20_000 })
    })
    expect(await hints(c, steady)).toEqual([])
  })

  it('near-max-tokens: output at the max_tokens limit; not well under it', async () => {
    const c = await collector()
    const capped = await record((tracer, t0) => {
      request(tracer, t0, (root) =>
        llm(tracer, t0, root, [0, 900], {
          [ATTR.requestMaxTokens]: 512,
          [ATTR.usageOutputTokens]: 512,
          [ATTR.responseFinishReasons]: ['length'],
        }),
      ).end({ endTime: t0 + 900 })
    })
    expect((await hints(c, capped)).map((h) => h.message)).toEqual([
      '`chat gpt-4o` produced 512 output tokens of max_tokens 512 and stopped for length: the answer is probably cut off (raise maxOutputTokens or shorten the prompt)',
    ])
    const roomy = await record((tracer, t0) => {
      request(tracer, t0, (root) =>
        llm(tracer, t0, root, [0, 900], {
          [ATTR.requestMaxTokens]: 512,
          [ATTR.usageOutputTokens]: 200,
          [ATTR.responseFinishReasons]: ['stop'],
        }),
      ).end({ endTime: t0 + 900 })
    })
    expect(await hints(c, roomy)).toEqual([])
  })

  it("cost-outlier: a call far above its model's median cost; not an ordinary one, nor without enough history", async () => {
    const c = await collector()
    const call = (cost: number, input: number) =>
      record((tracer, t0) => {
        request(tracer, t0, (root) =>
          llm(tracer, t0, root, [0, 500], {
            [ATTR.costUsd]: cost,
            [ATTR.usageInputTokens]: input,
          }),
        ).end({ endTime: t0 + 500 })
      })
    // Too little history: no baseline yet, so no hint even for a costly call.
    expect(await hints(c, await call(0.05, 90_000))).toEqual([])
    for (let i = 0; i < 6; i++) c.store.insert(await call(0.0004 + i * 0.00001, 1200))
    const ordinary = await call(0.00045, 1300)
    expect(await hints(c, ordinary)).toEqual([])
    const costly = await call(0.012, 40_000)
    expect((await hints(c, costly)).map((h) => h.message)).toEqual([
      '`chat gpt-4o` cost $0.012, 27.3× the median $0.00044 of 9 `gpt-4o` calls (input 40000 tokens)',
    ])
  })

  it('writes the hints, one line per span and each error once in the Markdown report', async () => {
    const c = await collector()
    const spans = await record((tracer, t0) => {
      const root = tracer.startSpan('POST /api/chat', { kind: 'http', startTime: t0 })
      const tool = tracer.startSpan('execute_tool weather', {
        kind: 'tool',
        parent: root,
        startTime: t0 + 5,
        attributes: { [ATTR.toolName]: 'weather' },
      })
      const error = new TypeError('fetch failed')
      tool.recordError(error)
      tool.end({ endTime: t0 + 45 })
      root.recordError(error)
      root.end({ endTime: t0 + 50 })
    })
    const markdown = await report(c, spans, 'md')
    expect(markdown).toContain(
      '## Debug hints\n\n- **tool-threw**: tool `weather` threw TypeError: fetch failed after 40ms\n',
    )
    expect(markdown).toContain(
      '## Timeline\n\n- +0ms · 50ms · http `POST /api/chat` · error · **TypeError: fetch failed**\n  - +5ms · 40ms · tool `execute_tool weather` · error · **TypeError: fetch failed**\n',
    )
    expect(markdown).toContain(
      '### TypeError: fetch failed\n\n- in `execute_tool weather`; rethrown by `POST /api/chat`\n',
    )
    // The same stack, recorded on both spans, is printed once.
    expect(markdown.match(/^TypeError: fetch failed$/gm)).toHaveLength(1)
    expect(markdown).not.toContain('## Raw spans')
  })

  // A step the SDK retried on a 429 listed the same error once per attempt, every attempt
  // labelled "(step 1)".
  it('says the same error of a retried step once, with how often, and numbers the attempts', async () => {
    const c = await collector()
    const spans = await record((tracer, t0) => {
      const root = tracer.startSpan('streamText gpt-4o', { startTime: t0 })
      for (let attempt = 1; attempt <= 3; attempt++)
        llm(
          tracer,
          t0,
          root,
          [attempt * 10, attempt * 10 + 5],
          { [ATTR.step]: 0, ...(attempt > 1 ? { 'tokentrail.attempt': attempt } : {}) },
          rateLimit(),
        )
      root.recordError(rateLimit())
      root.end({ endTime: t0 + 50 })
    })
    const markdown = await report(c, spans, 'md')
    expect(markdown.match(/^### /gm)).toHaveLength(1)
    expect(markdown).toContain('- in `chat gpt-4o` (3 times); rethrown by `streamText gpt-4o`\n')
    for (const label of ['(step 1)', '(step 1, attempt 2)', '(step 1, attempt 3)'])
      expect(markdown).toContain(`llm \`chat gpt-4o\` ${label} · error`)
  })

  it("escapes captured text in the hints as the rest of the report does: a tool's error and arguments show as written", async () => {
    const c = await collector()
    const spans = await record((tracer, t0) => {
      request(tracer, t0, (root) => {
        const tool = tracer.startSpan('execute_tool search', {
          kind: 'tool',
          parent: root,
          startTime: t0 + 5,
          attributes: {
            [ATTR.toolName]: 'se`arch',
            [ATTR.toolCallArguments]: '{"q":"*bold* <b>x</b>"}',
          },
        })
        tool.recordError(new Error('bad <b>html</b> *star* _u_ [link](http://x)'))
        tool.end({ endTime: t0 + 35 })
      }).end({ endTime: t0 + 40 })
    })
    const markdown = await report(c, spans, 'md')
    expect(markdown).toContain(
      '- **tool-threw**: tool ``se`arch`` threw Error: bad \\<b\\>html\\</b\\> \\*star\\* \\_u\\_ \\[link\\](http://x) after 30ms (arguments `{"q":"*bold* <b>x</b>"}`)\n',
    )
    // The same escaping as in the timeline.
    expect(markdown).toContain(
      '**Error: bad \\<b\\>html\\</b\\> \\*star\\* \\_u\\_ \\[link\\](http://x)**',
    )
  })
})

describe('the report says the time zone its times are in', () => {
  it('the start line names its UTC offset (the viewer downloads it in the collector’s zone)', async () => {
    const c = await collector()
    const spans = await record((tracer, t0) => {
      tracer.startSpan('zoned', { startTime: Date.UTC(2026, 11, 7, 4, 24, 15, 828) }).end({
        endTime: t0 + 1000,
      })
    })
    const zone = process.env.TZ
    try {
      process.env.TZ = 'America/Los_Angeles'
      expect(await report(c, spans, 'markdown')).toContain(
        '- started 2026-12-06 20:24:15.828 (UTC−08:00) · ',
      )
      process.env.TZ = 'Asia/Kolkata'
      const answer = await fetch(`${c.url}/api/traces/${spans[0]!.traceId}/report?format=md`)
      const viewer = ((await answer.json()) as { markdown: string }).markdown
      expect(viewer).toContain('- started 2026-12-07 09:54:15.828 (UTC+05:30) · ')
    } finally {
      if (zone === undefined) delete process.env.TZ
      else process.env.TZ = zone
    }
  })
})
