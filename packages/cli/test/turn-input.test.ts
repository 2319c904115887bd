import { join } from 'node:path'
import {
  ATTR,
  createTracer,
  type OtlpProtocol,
  otlpExporter,
  type SpanData,
} from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { startCollector } from '../src/index.js'
import { spanInput } from '../src/store/trace-identity.js'
import { onCleanup, tempDir } from './helpers.js'

// A trace's input text is the last user message of its LLM spans' prompts. The collector reads it
// from the prompt's tail when the prompt is compact JSON (`{"role":"user"` in it), and from a
// parse of the whole prompt otherwise: both must find the same text.

function llmSpan(attributes: SpanData['attributes']): SpanData {
  return {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    name: 'chat m',
    kind: 'llm',
    startTime: 1_700_000_000_000,
    endTime: 1_700_000_000_100,
    status: 'ok',
    attributes,
    events: [],
    resource: { serviceName: 'app', attributes: {} },
  }
}

/** The text spanInput finds for `prompt`, under the key the AI SDK adapter writes or another. */
const inputOf = (prompt: string, key: string = ATTR.inputMessages, extra = {}) =>
  spanInput(llmSpan({ [key]: prompt, ...extra }))

/** The same JSON with whitespace between its tokens: never read from its tail. */
const spaced = (json: string) => JSON.stringify(JSON.parse(json), null, 1)

// A small seeded generator, so a failure names a case that can be run again.
function random(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const TEXTS = [
  'What is the weather in Paris?',
  '   ',
  '',
  'a "quoted" word and a \\ backslash',
  '{"role":"user","parts":[]}',
  'line one\nline two',
  'café 東京 👍',
]

function randomPrompt(next: () => number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!
  const text = () => pick(TEXTS)
  const message = (depth: number): Record<string, unknown> => {
    const role = pick(['user', 'user', 'assistant', 'system', 'tool'])
    const body =
      next() < 0.2
        ? { content: text() }
        : next() < 0.1
          ? { content: [{ type: 'text', text: text() }] }
          : { parts: [{ type: 'text', content: text() }] }
    // A user-like object deeper in a message: a tool result that holds one.
    if (depth < 2 && next() < 0.2)
      (body as { parts?: unknown[] }).parts = [
        { type: 'tool_call_response', result: message(depth + 1) },
        ...((body as { parts?: unknown[] }).parts ?? []),
      ]
    return next() < 0.2 ? { ...body, role } : { role, ...body }
  }
  const messages = Array.from({ length: Math.floor(next() * 8) }, () => message(0))
  return next() < 0.05 ? { messages } : messages
}

describe('the input text of a trace (the last user message of its prompt)', () => {
  it('reads the same text from a compact prompt as from the same prompt parsed whole', () => {
    const next = random(18)
    let fromTail = 0
    for (let i = 0; i < 4000; i++) {
      const json = JSON.stringify(randomPrompt(next))
      const key = i % 2 ? ATTR.inputMessages : 'ai.prompt.messages'
      const expected = inputOf(spaced(json), key)
      expect(inputOf(json, key), `case ${i}: ${json}`).toBe(expected)
      if (expected !== undefined && json.includes('{"role":"user"')) fromTail++
    }
    expect(fromTail).toBeGreaterThan(1000)
  })

  it('reads the tail only: what comes before the last user message is not parsed', () => {
    // A prompt that is not JSON before its last user message (the documented difference from a
    // whole parse, which finds nothing there): the text still comes from the tail.
    const next = random(7)
    let found = 0
    for (let i = 0; i < 2000; i++) {
      const json = JSON.stringify(randomPrompt(next))
      if (!json.startsWith('[{')) continue
      const expected = inputOf(json)
      const broken = `[,${json.slice(1)}`
      const fromTail = inputOf(broken)
      // Either the tail had the text, or nothing is found (the whole parse fails).
      expect([expected, undefined], `case ${i}: ${broken}`).toContain(fromTail)
      if (fromTail !== undefined) found++
    }
    expect(found).toBeGreaterThan(300)
    expect(inputOf('[,{"role":"user","content":"tail"}]')).toBe('tail')
  })

  it('finds the last user message of a long conversation, and the cases around it', () => {
    const turns: unknown[] = [{ role: 'system', parts: [{ type: 'text', content: 'Be brief.' }] }]
    for (let i = 0; i < 50; i++)
      turns.push(
        { role: 'user', parts: [{ type: 'text', content: `question ${i}` }] },
        { role: 'assistant', parts: [{ type: 'text', content: `answer ${i}` }] },
      )
    expect(inputOf(JSON.stringify(turns))).toBe('question 49')
    // The last user message has no text: the one before it.
    const blankLast = [...turns, { role: 'user', parts: [{ type: 'text', content: ' ' }] }]
    expect(inputOf(JSON.stringify(blankLast))).toBe('question 49')
    // A user-like object inside the last message (a tool's result) is not a message.
    const nested = [
      ...turns,
      {
        role: 'tool',
        parts: [{ type: 'tool_call_response', result: { role: 'user', content: 'inner' } }],
      },
    ]
    expect(inputOf(JSON.stringify(nested))).toBe('question 49')
    // Repeated keys: JSON.parse keeps the last, so this message is the assistant's.
    const repeated = `${JSON.stringify(turns).slice(0, -1)},{"role":"user","role":"assistant","content":"no"}]`
    expect(inputOf(repeated)).toBe('question 49')
    // A user message in an array inside the prompt's array is not one of its messages.
    expect(inputOf('[[{"role":"user","content":"inner"}]]')).toBeUndefined()
    // A later user message whose role is not its first key.
    const reordered = [...turns, { parts: [{ type: 'text', content: 'role last' }], role: 'user' }]
    expect(inputOf(JSON.stringify(reordered))).toBe('role last')
    // Not an array of messages, or cut short: the other attributes, as before.
    const fallback = { 'input.value': 'from input.value' }
    expect(inputOf(JSON.stringify({ messages: turns }), ATTR.inputMessages, fallback)).toBe(
      'from input.value',
    )
    const json = JSON.stringify(turns)
    expect(inputOf(`text ${json}`, ATTR.inputMessages, fallback)).toBe('from input.value')
    for (const cut of [json.length - 1, json.length - 3, json.lastIndexOf('{"role":"user"') + 20])
      expect(inputOf(json.slice(0, cut), ATTR.inputMessages, fallback)).toBe('from input.value')
  })

  it('is stored for a long conversation sent over HTTP as OTLP JSON and protobuf', async () => {
    const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
    onCleanup(() => c.close())
    const turns: unknown[] = []
    for (let i = 0; i < 50; i++)
      turns.push(
        { role: 'user', parts: [{ type: 'text', content: `question ${i} ${'why '.repeat(50)}` }] },
        { role: 'assistant', parts: [{ type: 'text', content: `answer "${i}" café` }] },
      )
    turns.push({ role: 'user', parts: [{ type: 'text', content: 'And tomorrow in 東京?' }] })
    for (const protocol of ['http/json', 'http/protobuf'] as OtlpProtocol[]) {
      const tracer = createTracer({
        serviceName: 'app',
        exporters: [otlpExporter({ url: `${c.url}/v1/traces`, protocol })],
      })
      const span = tracer.startSpan('chat m', {
        kind: 'llm',
        attributes: { [ATTR.inputMessages]: JSON.stringify(turns) },
      })
      span.end()
      await tracer.flush()
      await tracer.shutdown()
      const answer = (await (await fetch(`${c.url}/api/traces/${span.traceId}`)).json()) as {
        trace: { input?: string }
      }
      expect(answer.trace.input, protocol).toBe('And tomorrow in 東京?')
    }
  })
})
