// The text scrub (core's secret-text.ts) loads with the span-end code after start-up, not with the
// adapter: the texts the adapter scrubs before it cuts or embeds them (tool arguments in the
// messages' JSON, texts cut to maxTextLength, a provider's error body cut to its excerpt) wait with
// their spans until it has landed (scrubLater). Here it is held back until the calls are over: on
// ai@5, ai@6 and ai@7, the real `@ai-sdk/openai` over HTTP against tools/mock-openai (and a local
// server answering errors), a real tracer exporting to a real node:http OTLP receiver. Nothing of
// a credential of any kind the scrub knows reaches the receiver, and the spans hold what the same
// calls made once the scrub has landed hold.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { type MockOpenAI, type MockRequest, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { type BodySink, SCRUB, startBodySink } from './helpers.js'
import { majors } from './majors.js'

const SPAN_END = fileURLToPath(new URL('../../core/dist/span-end.js', import.meta.url))

// Credentials of each kind the scrub knows, and how much of each a cut at maxTextLength leaves
// (none: not cut; the scrub of a cut text does not take a URL's user info without its `@`).
const KEYS: [kind: string, key: string, kept?: number][] = [
  ['bearer', 'Bearer dG9rZW4tZm9yLXRlc3RzLW9ubHktMTIzNDU2', 11],
  ['openai', 'sk-proj-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 16],
  ['anthropic', 'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345', 16],
  ['stripe', 'sk_live_AbCdEfGhIjKlMnOpQrStUv', 16],
  ['google', 'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q', 16],
  ['xai', 'xai-AbCdEfGhIjKlMnOpQrStUvWxYz0123', 12],
  ['groq', 'gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123', 12],
  ['github', 'ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789', 12],
  ['slack', 'xoxb-1234567890-abcdefghij', 10],
  ['aws', 'AKIAIOSFODNN7EXAMPLE', 12],
  ['jwt', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl', 30],
  [
    'pem',
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
    40,
  ],
  ['env', 'OPENAI_API_KEY=AbCdEfGhIjKlMnOp', 20],
  ['query', 'https://api.example.com/cb?api_key=AbCdEf123456', 40],
  ['userinfo', 'postgres://admin:s3cr3tPassw0rd@db.example.com:5432/app'],
]
// Under a JSON name only the tool JSON scrub reads in a long text (lower case, no `_`).
const PASSWORD = 'pw-Zq9xvWt7Lm'

// What every text of a call starts with: the tool to call, the call's case, then padding to 40.
const opening = (name: string) => `[tool:echo] ${name} `.padEnd(39, 'a').concat(' ')
// A case that cuts: its credential at 40, cut after `kept` of it (the budget covers each text).
const CUTS = KEYS.filter(([, , kept]) => kept !== undefined).map(([kind, key, kept]) => ({
  name: kind,
  text: opening(kind) + key,
  args: `{"k":"${opening(kind).slice(6)}${JSON.stringify(key).slice(1, -1)}"}`,
  maxTextLength: 40 + kept!,
  kept: key.slice(0, kept),
}))
// The cases that do not cut: every credential whole, and a long text of tool JSON with a password
// under a JSON name (and nothing else named like a credential).
const ALL_KEYS = KEYS.map(([, key]) => key).join(' | ')
const WHOLE = {
  name: 'whole',
  text: `${opening('whole')}${ALL_KEYS}`,
  args: JSON.stringify({ k: `${opening('whole').slice(6)}${ALL_KEYS}` }),
  maxTextLength: 100_000,
  kept: undefined as string | undefined,
}
const NAMED = {
  name: 'named',
  text: opening('named'),
  args: JSON.stringify({ k: opening('named'), password: PASSWORD, note: 'n'.repeat(250) }),
  maxTextLength: 100_000,
  kept: undefined as string | undefined,
}
const CASES = [...CUTS, WHOLE, NAMED]
const caseOf = (request: MockRequest) => {
  const first = request.messages.find((m) => m.role === 'user')?.text ?? ''
  return CASES.find((c) => first.startsWith(opening(c.name)))!
}

// A provider error's body, cut to its 500-character excerpt inside the case's credential.
const errorBody = (c: (typeof CASES)[number]) => {
  const start = '{"error":{"message":"'
  if (!c.kept) return `${start}${opening(c.name)}${ALL_KEYS}","type":"invalid_request_error"}}`
  const key = KEYS.find(([kind]) => kind === c.name)![1]
  const at = 500 - c.kept.length
  const message = `${opening(c.name).padEnd(at - start.length - 1, 'b')} ${JSON.stringify(key).slice(1, -1)}`
  return `${start}${message}","type":"invalid_request_error"}}`
}

// The forms a text takes in an OTLP JSON body: as itself, escaped once (a value), twice (inside
// the messages' JSON).
const forms = (text: string) => {
  const once = JSON.stringify(text).slice(1, -1)
  return [text, once, JSON.stringify(once).slice(1, -1)]
}

// The attributes whose values the adapter makes with the scrub, and the ones telling what it cut.
const CONTENT = [
  'gen_ai.system_instructions',
  'gen_ai.input.messages',
  'gen_ai.output.messages',
  'gen_ai.tool.call.arguments',
  'gen_ai.tool.call.result',
  'tokentrail.error.body',
  'tokentrail.input.truncated',
  'tokentrail.output.truncated',
  'tokentrail.output.text_length',
  'error.type',
]

type OtlpValue = {
  stringValue?: string
  boolValue?: boolean
  intValue?: string
  doubleValue?: number
}
// Each span of the bodies as its name, its attribute names, and its content values (ids made
// alike: the mock's tool call ids are random).
function spansOf(bodies: string[]): string[] {
  const out: string[] = []
  for (const body of bodies)
    for (const resource of JSON.parse(body).resourceSpans)
      for (const scope of resource.scopeSpans)
        for (const span of scope.spans) {
          const attributes = span.attributes as { key: string; value: OtlpValue }[]
          const content = attributes
            .filter((a) => CONTENT.includes(a.key))
            .map((a) => [a.key, a.value])
            .sort(([a], [b]) => String(a).localeCompare(String(b)))
          out.push(
            JSON.stringify({
              name: span.name,
              status: span.status,
              // Less the rate, which a stream that came in one burst leaves out (timing).
              keys: attributes
                .map((a) => a.key)
                .filter((key) => key !== 'tokentrail.output_tokens_per_second')
                .sort(),
              content,
            }).replace(/call_[0-9a-f]{24}/g, 'call_*'),
          )
        }
  return out.sort()
}

let sink: BodySink
let openai: MockOpenAI
let failing: { url: string; close(): Promise<void> }
beforeAll(async () => {
  sink = await startBodySink()
  openai = await startMockOpenAI({
    toolArguments: (request) => caseOf(request).args,
    reply: (request) => caseOf(request).text,
  })
  // A provider that refuses every call with the case's error body.
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      const prompt = JSON.parse(body).messages.find((m: { role: string }) => m.role === 'user')
      const text = typeof prompt.content === 'string' ? prompt.content : prompt.content[0].text
      const c = CASES.find((each) => text.startsWith(opening(each.name)))!
      response.writeHead(401, { 'content-type': 'application/json' }).end(errorBody(c))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  failing = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
})
afterAll(async () => {
  await openai?.close()
  await failing?.close()
  await sink?.close()
})
afterEach(() => {
  vi.doUnmock(SPAN_END)
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

// Fresh modules of core and the adapter, whose span-end code (and the text scrub with it) arrives
// only when `arrive` is called; a tracer of theirs that records content, exporting to the sink.
async function heldBack() {
  const held = await heldBackModules()
  return { ...held, tracer: held.tracerOf(held.core) }
}

async function heldBackModules() {
  let arrive!: () => void
  const arrived = new Promise<void>((resolve) => {
    arrive = resolve
  })
  vi.doMock(SPAN_END, async (importOriginal) => {
    await arrived
    return importOriginal()
  })
  vi.resetModules()
  const core = await import('@tokentrail/core')
  const { textScrub } = await import('@tokentrail/core/internal')
  const { tracingMiddleware } = await import('../src/index.js')
  return { arrive, core, textScrub, tracingMiddleware, tracerOf }
}

const tracerOf = (
  core: typeof import('@tokentrail/core'),
  debug?: (message: string, error?: unknown) => void,
) =>
  core.createTracer({
    debug,
    exporters: [core.otlpExporter({ url: sink.url })],
    flushIntervalMs: 600_000,
    maxQueueSize: 100_000,
    recordInputs: true,
    recordOutputs: true,
  })

describe('an adapter text that needs the text scrub, before it has loaded', () => {
  it('tool arguments, cut texts and error bodies holding credentials of each kind: scrubbed when the spans go, as once it has loaded', async () => {
    // What the cases rest on: the scrub at export alone (no cut, no tool JSON) would keep what
    // each checks for, so the adapter's own scrub is what takes it.
    for (const c of CUTS)
      if (!['pem', 'env', 'query', 'jwt', 'anthropic'].includes(c.name))
        expect(SCRUB.text(opening(c.name) + c.kept)).toContain(c.kept)
    // A named value (NAMED) is taken by the scrub at export too, in a text of any length, since
    // core looks for names behind each `:` and `=`; the tool JSON scrub has the same rules.
    expect(SCRUB.json(NAMED.args)).not.toContain(PASSWORD)

    const { arrive, textScrub, tracingMiddleware, tracer } = await heldBack()
    const run = async () => {
      for (const { ai, createOpenAI } of majors)
        for (const c of CASES) {
          const middleware = tracingMiddleware({ tracer, maxTextLength: c.maxTextLength })
          const tools = {
            echo: ai.tool({
              inputSchema: z.object({ k: z.string() }),
              execute: async ({ k }: { k: string }) => ({ echoed: k }),
            }),
          }
          const provider = (baseURL: string) =>
            createOpenAI({ baseURL, apiKey: 'sk-test-not-a-real-key-0000' }).chat('gpt-4o')
          const model = ai.wrapLanguageModel({ model: provider(openai.url), middleware })
          const options = { model, prompt: c.text, tools, stopWhen: ai.stepCountIs(2) }
          await ai.generateText(options)
          await ai.streamText(options).consumeStream()
          const refused = ai.wrapLanguageModel({ model: provider(failing.url), middleware })
          await expect(
            ai.generateText({ model: refused, prompt: c.text, maxRetries: 0 }),
          ).rejects.toThrow()
        }
    }

    await run()
    // Every span of these calls ended before the scrub landed: held, none sent.
    expect(textScrub()).toBeUndefined()
    const { ended, exported } = tracer.stats()
    expect(ended).toBeGreaterThan(0)
    expect(exported).toBe(0)
    arrive()
    expect(await tracer.flush({ timeoutMs: 20_000 })).toMatchObject({ ok: true })
    expect(tracer.stats()).toMatchObject({ exported: ended, dropped: { redactError: 0 } })
    const early = sink.bodies.splice(0)

    // The same calls once it has landed: the adapter scrubs as the spans end.
    expect(textScrub()).toBeDefined()
    await run()
    expect(await tracer.flush({ timeoutMs: 20_000 })).toMatchObject({ ok: true })
    const late = sink.bodies.splice(0)
    await tracer.shutdown()

    for (const bodies of [early, late]) expectScrubbed(bodies.join('\n'))
    // What the receiver got is the same either way.
    const spans = spansOf(early)
    expect(spans.length).toBe(ended)
    expect(spans).toEqual(spansOf(late))
    // The cases reached every place that scrubs before it cuts or embeds: the messages' tool
    // arguments and texts, cut, the error excerpt, the tool spans.
    const joined = early.join('\n')
    for (const key of [
      'tokentrail.output.truncated',
      'tokentrail.input.truncated',
      'tokentrail.error.body',
      'gen_ai.tool.call.arguments',
      'gen_ai.tool.call.result',
    ])
      expect(joined).toContain(key)
  }, 120_000)

  it('a tool span that starts before it lands and ends after: its arguments scrubbed as tool JSON as it ends', async () => {
    // Not named like a credential itself (so not `[REDACTED]` by its key); in a long text (the
    // scrub at export looks for names in a text of any length, as the tool JSON scrub does).
    const args = { k: `${'n'.repeat(300)} db password=${PASSWORD}` }
    expect(SCRUB.json(JSON.stringify(args))).not.toContain(PASSWORD)
    const mock = await startMockOpenAI({ toolArguments: args })
    const { arrive, textScrub, tracingMiddleware, tracer } = await heldBack()
    // ai@7 first: its tool spans start as the tool does (ai@5 and ai@6 make them after it ran).
    const run = async (early: boolean) => {
      for (const { ai, createOpenAI } of [...majors].reverse()) {
        const model = ai.wrapLanguageModel({
          model: createOpenAI({ baseURL: mock.url, apiKey: 'sk-test-not-a-real-key-0000' }).chat(
            'gpt-4o',
          ),
          middleware: tracingMiddleware({ tracer }),
        })
        const echo = ai.tool({
          inputSchema: z.object({ k: z.string() }),
          execute: async ({ k }: { k: string }) => {
            // The tool's span has started: the scrub lands while it runs.
            if (early) {
              expect(textScrub()).toBeUndefined()
              arrive()
              while (!textScrub()) await new Promise((resolve) => setTimeout(resolve, 5))
            }
            return { echoed: k.length }
          },
        })
        await ai.generateText({
          model,
          prompt: `${opening('named')} the tool`,
          tools: { echo },
          stopWhen: ai.stepCountIs(2),
        })
        early = false
      }
    }
    try {
      await run(true)
      await tracer.flush({ timeoutMs: 20_000 })
      const first = sink.bodies.splice(0)
      await run(false)
      await tracer.flush({ timeoutMs: 20_000 })
      const second = sink.bodies.splice(0)
      await tracer.shutdown()
      for (const bodies of [first, second]) expectScrubbed(bodies.join('\n'))
      expect(first.join('\n')).toContain('gen_ai.tool.call.arguments')
      expect(spansOf(first)).toEqual(spansOf(second))
    } finally {
      await mock.close()
    }
  })

  it('a span of another copy of core (two installed), before this copy has the scrub: its texts left out, never sent unscrubbed, and there once it has', async () => {
    // The app's copy of core makes the tracer; its span-end code lands at once.
    vi.resetModules()
    const app = await import('@tokentrail/core')
    const debug: string[] = []
    const tracer = tracerOf(app, (message, error) => debug.push(`${message} ${error}`))
    const ready = (await import('@tokentrail/core/internal')).textScrub
    await vi.waitFor(() => expect(ready()).toBeDefined())
    // The adapter's own copy, which makes no tracer, with its span-end code held back.
    const { arrive, textScrub, tracingMiddleware } = await heldBackModules()
    const c = CUTS.find((each) => each.name === 'openai')!
    const run = async () => {
      for (const { ai, createOpenAI } of majors) {
        const model = ai.wrapLanguageModel({
          model: createOpenAI({ baseURL: openai.url, apiKey: 'sk-test-not-a-real-key-0000' }).chat(
            'gpt-4o',
          ),
          middleware: tracingMiddleware({ tracer, maxTextLength: c.maxTextLength }),
        })
        await ai.generateText({ model, prompt: c.text })
      }
      await tracer.flush({ timeoutMs: 20_000 })
      return sink.bodies.splice(0).join('\n')
    }
    const early = await run()
    expect(textScrub()).toBeUndefined()
    expect(early).toContain('chat gpt-4o')
    expect(early).not.toContain('gen_ai.input.messages')
    expect(early).not.toContain('gen_ai.output.messages')
    expect(forms(c.kept).some((form) => early.includes(form))).toBe(false)
    // Each such span says its content was left out.
    expect(markedSpans(early)).toEqual(majors.map(() => 'chat gpt-4o'))
    // And its tracer's debug output says it once.
    const said = debug.filter((line) => line.includes('content.not_recorded'))
    expect(said).toHaveLength(1)
    expect(said[0]).toContain('text scrub')
    // Asked for as the adapter was set up, not by a tracer of the adapter's copy.
    arrive()
    await vi.waitFor(() => expect(textScrub()).toBeDefined())
    const late = await run()
    await tracer.shutdown()
    expect(late).toContain('gen_ai.input.messages')
    expect(late).toContain('gen_ai.output.messages')
    expect(markedSpans(late)).toEqual([])
    expectScrubbed(late)
  })
})

// The names of the spans marked as having their content left out.
function markedSpans(all: string): string[] {
  const names: string[] = []
  for (const body of all.split('\n').filter(Boolean))
    for (const resource of JSON.parse(body).resourceSpans)
      for (const scope of resource.scopeSpans)
        for (const span of scope.spans)
          if (
            span.attributes.some(
              (a: { key: string; value: OtlpValue }) =>
                a.key === 'tokentrail.content.not_recorded' && a.value.boolValue === true,
            )
          )
            names.push(span.name)
  return names
}

describe('a generate result changed after its span ended, before the text scrub has landed', () => {
  it('the trace holds the output as the provider gave it, as once it has landed', async () => {
    const { arrive, textScrub, tracingMiddleware, tracer } = await heldBack()
    const c = WHOLE
    const run = async () => {
      for (const { ai, createOpenAI } of majors) {
        // A middleware outside the tracing one that rewrites the answer's parts in place, and an
        // app that changes the result's content after the call.
        const rewrite = {
          wrapGenerate: async ({ doGenerate }: { doGenerate: () => Promise<any> }) => {
            const result = await doGenerate()
            for (const part of result.content)
              if (part.type === 'text') part.text = 'REWRITTEN by an outer middleware'
            return result
          },
        }
        const model = ai.wrapLanguageModel({
          model: createOpenAI({ baseURL: openai.url, apiKey: 'sk-test-not-a-real-key-0000' }).chat(
            'gpt-4o',
          ),
          middleware: [rewrite, tracingMiddleware({ tracer, maxTextLength: c.maxTextLength })],
        })
        const tools = {
          echo: ai.tool({
            inputSchema: z.object({ k: z.string() }),
            execute: async ({ k }: { k: string }) => ({ echoed: k.length }),
          }),
        }
        const result = await ai.generateText({
          model,
          prompt: c.text,
          tools,
          stopWhen: ai.stepCountIs(2),
        })
        for (const step of result.steps)
          for (const part of step.content)
            if (part.type === 'text') part.text = 'CHANGED by the app'
            else if (part.type === 'tool-call' && part.input) part.input.k = 'CHANGED input'
      }
    }
    // Every span of these calls ends before the scrub lands; the changes come after.
    await run()
    expect(textScrub()).toBeUndefined()
    expect(tracer.stats().exported).toBe(0)
    arrive()
    expect(await tracer.flush({ timeoutMs: 20_000 })).toMatchObject({ ok: true })
    const first = sink.bodies.splice(0)
    await run()
    expect(await tracer.flush({ timeoutMs: 20_000 })).toMatchObject({ ok: true })
    const second = sink.bodies.splice(0)
    await tracer.shutdown()
    const all = first.join('\n')
    expect(all).not.toContain('REWRITTEN')
    expect(all).not.toContain('CHANGED by the app')
    expect(all).not.toContain('CHANGED input')
    expect(spansOf(first)).toEqual(spansOf(second))
  })
})

describe('the text scrub cannot load', () => {
  it('the spans waiting for it are dropped and counted, the flush says so, none leaves unscrubbed', async () => {
    vi.doMock(SPAN_END, async () => {
      throw new Error('chunk missing')
    })
    vi.resetModules()
    const core = await import('@tokentrail/core')
    const { tracingMiddleware } = await import('../src/index.js')
    const tracer = tracerOf(core)
    const c = WHOLE
    for (const { ai, createOpenAI } of majors) {
      const model = ai.wrapLanguageModel({
        model: createOpenAI({ baseURL: openai.url, apiKey: 'sk-test-not-a-real-key-0000' }).chat(
          'gpt-4o',
        ),
        middleware: tracingMiddleware({ tracer, maxTextLength: c.maxTextLength }),
      })
      const tools = {
        echo: ai.tool({
          inputSchema: z.object({ k: z.string() }),
          execute: async ({ k }: { k: string }) => ({ echoed: k }),
        }),
      }
      const result = await ai.generateText({
        model,
        prompt: c.text,
        tools,
        stopWhen: ai.stepCountIs(2),
      })
      // The app's outcome is untouched.
      expect(result.text).toBe(c.text)
    }
    const flushed = await tracer.flush({ timeoutMs: 20_000 })
    expect(flushed.ok).toBe(false)
    const { ended, exported, dropped } = tracer.stats()
    expect(ended).toBeGreaterThan(0)
    expect(exported).toBe(0)
    expect(dropped.redactError).toBe(ended)
    await tracer.shutdown()
    expect(sink.bodies.splice(0)).toEqual([])
  })
})

describe('two copies of core installed: the app makes the tracer with one, the adapter uses the other', () => {
  it("the adapter's copy loads its text scrub as the adapter is set up: the first calls have their prompt, output, tool JSON and error body, scrubbed", async () => {
    vi.resetModules()
    const app = await import('@tokentrail/core')
    const debug: string[] = []
    const tracer = app.createTracer({
      exporters: [app.otlpExporter({ url: sink.url })],
      flushIntervalMs: 600_000,
      recordInputs: true,
      recordOutputs: true,
      debug: (message) => debug.push(message),
    })
    // The adapter's own copy, which makes no tracer.
    vi.resetModules()
    const { textScrub } = await import('@tokentrail/core/internal')
    const { tracingMiddleware } = await import('../src/index.js')
    expect(textScrub()).toBeUndefined()
    const c = CUTS.find((each) => each.name === 'openai')!
    const middleware = majors.map(() =>
      tracingMiddleware({ tracer, maxTextLength: c.maxTextLength }),
    )
    // Setting the adapter up asked for it (before, only a span that had ended without it did).
    await vi.waitFor(() => expect(textScrub()).toBeDefined(), { timeout: 5_000 })
    for (const [i, { ai, createOpenAI }] of majors.entries()) {
      const model = ai.wrapLanguageModel({
        model: createOpenAI({ baseURL: openai.url, apiKey: 'sk-test-not-a-real-key-0000' }).chat(
          'gpt-4o',
        ),
        middleware: middleware[i]!,
      })
      await ai.generateText({
        model,
        prompt: c.text,
        tools: {
          echo: ai.tool({ inputSchema: z.object({ k: z.string() }), execute: async () => 'ok' }),
        },
        stopWhen: ai.stepCountIs(2),
      })
      const failing_ = ai.wrapLanguageModel({
        model: createOpenAI({ baseURL: failing.url, apiKey: 'sk-test-not-a-real-key-0000' }).chat(
          'gpt-4o',
        ),
        middleware: middleware[i]!,
      })
      await expect(
        ai.generateText({ model: failing_, prompt: c.text, maxRetries: 0 }),
      ).rejects.toThrow()
    }
    await tracer.shutdown()
    const all = sink.bodies.splice(0).join('\n')
    expect(all).toContain('gen_ai.input.messages')
    expect(all).toContain('gen_ai.output.messages')
    expect(all).toContain('gen_ai.tool.call.arguments')
    expect(all).toContain('tokentrail.error.body')
    expect(markedSpans(all)).toEqual([])
    expect(debug.filter((line) => line.includes('text scrub'))).toEqual([])
    expectScrubbed(all)
  })
})

// None of the credentials, nor what a cut leaves of them, in what the receiver got.
function expectScrubbed(all: string): void {
  const found = [...CUTS.map((c) => c.kept!), ...KEYS.map(([, key]) => key), PASSWORD].filter(
    (secret) => forms(secret).some((form) => all.includes(form)),
  )
  expect(found).toEqual([])
  expect(all).toContain('[REDACTED]')
}
