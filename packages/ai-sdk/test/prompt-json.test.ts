import type { LanguageModelV4Prompt } from '@ai-sdk/provider'
import { ATTR, createTracer, otlpExporter } from '@tokentrail/core'
import { generateText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { describe, expect, it } from 'vitest'
import { Budget, outputAttributes, promptJson } from '../src/convert.js'
import { tracingMiddleware } from '../src/index.js'
import { bodySinkForSuite, SCRUB } from './helpers.js'

// Texts that need escaping in JSON, once and twice: quotes, backslashes, control characters,
// lone and paired surrogates, U+2028, and plain text on either side of them.
const TRICKY = [
  'plain text, nothing to escape',
  'say "hi" to C:\\temp',
  'line one\nline two\ttabbed\r\u0000\u001f end',
  'emoji 😀 pair, lone \ud800 high and \udc00 low',
  'separators \u2028 \u2029 and é, ü, 漢字',
  '',
  '\\"already escaped\\"',
]

// What the GenAI JSON schema says, built as objects: the text must be exactly their JSON.
function reference(prompt: LanguageModelV4Prompt) {
  const system: unknown[] = []
  const messages: unknown[] = []
  for (const message of prompt) {
    if (message.role === 'system') {
      system.push({ type: 'text', content: message.content })
      continue
    }
    const parts = (message.content as any[]).map((part) =>
      part.type === 'tool-call'
        ? { type: 'tool_call', id: part.toolCallId, name: part.toolName, arguments: part.input }
        : { type: part.type, content: part.text },
    )
    messages.push({ role: message.role, parts })
  }
  return { system: JSON.stringify(system), messages: JSON.stringify(messages) }
}

function trickyPrompt(): LanguageModelV4Prompt {
  return [
    { role: 'system', content: TRICKY[1]! },
    ...TRICKY.map((text, i) =>
      i % 2 === 0
        ? { role: 'user' as const, content: [{ type: 'text' as const, text }] }
        : {
            role: 'assistant' as const,
            content: [
              { type: 'reasoning' as const, text },
              { type: 'text' as const, text: `${text}!` },
              { type: 'tool-call' as const, toolCallId: 'c1', toolName: 'look', input: text },
            ],
          },
    ),
    { role: 'system', content: TRICKY[2]! },
  ]
}

describe('prompt JSON', () => {
  it('is byte for byte what JSON.stringify of the message objects gives', () => {
    const prompt = trickyPrompt()
    const json = promptJson(prompt, new Budget(1_000_000, SCRUB))!
    const expected = reference(prompt)
    expect(json.messages.json).toBe(expected.messages)
    expect(json.system!.json).toBe(expected.system)
    // Lone surrogates are escaped, so the text is well-formed and survives UTF-8.
    expect((json.messages.json as any).isWellFormed()).toBe(true)
  })

  it('gives JSON.stringify of every UTF-16 code unit, alone and in one run', () => {
    const units: string[] = []
    for (let code = 0; code <= 0xffff; code++) units.push(String.fromCharCode(code))
    const differs = (text: string) => {
      const json = promptJson(
        [{ role: 'user', content: [{ type: 'text', text }] }],
        new Budget(1_000_000, SCRUB),
      )!
      const expected = JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: text }] }])
      return json.messages.json !== expected
    }
    // One run holds pairs (\udbff\udc00 meet in it) and lone halves; then every unit alone.
    expect(differs(units.join(''))).toBe(false)
    const wrong = units.flatMap((unit, code) => (differs(unit) ? [code.toString(16)] : []))
    expect(wrong).toEqual([])
    // Long texts take the 4-bytes-at-a-time check on Node: every unit inside one, at each of the
    // four places in a word and last (in the bytes after the last whole word), in one-byte text
    // (é) and in two-byte text (€).
    const inLong = units.flatMap((unit, code) =>
      [35, 36, 37, 38].some(
        (at) =>
          differs(`${'a'.repeat(at)}${unit}${'é'.repeat(40)}`) ||
          differs(`${'€'.repeat(at)}${unit}${'é€'.repeat(20)}`) ||
          differs(`${'é'.repeat(at + 33)}${unit}`),
      )
        ? [code.toString(16)]
        : [],
    )
    expect(inLong).toEqual([])
    // A pair, and a wide character whose low byte is a quote (U+0122), in long text.
    for (const text of ['😀', 'Ģ', '"Ģ', '\ud83d\ude00"'])
      expect(differs(`${'x'.repeat(70)}${text}${'y'.repeat(9)}`)).toBe(false)
  })

  it('writes the output messages as JSON.stringify of the message would', () => {
    const cases: [Parameters<typeof outputAttributes>[0], string | undefined][] = []
    for (const text of TRICKY)
      for (const reasoning of ['', text])
        cases.push(
          [
            {
              text,
              textLength: text.length,
              reasoning,
              reasoningLength: reasoning.length,
              toolCalls: text
                ? [
                    { id: 'c1', name: 'look', arguments: text },
                    { id: 'c"2', name: 'say\n', arguments: '{}' },
                  ]
                : [],
              truncated: false,
            },
            text ? 'tool_call' : undefined,
          ],
          [
            {
              text,
              textLength: text.length,
              reasoning: '',
              reasoningLength: 0,
              toolCalls: [],
              truncated: false,
            },
            'stop',
          ],
        )
    for (const [output, finishReason] of cases) {
      const attributes: Record<string, unknown> = {}
      outputAttributes(output, finishReason, attributes)
      const parts: unknown[] = []
      if (output.reasoning) parts.push({ type: 'reasoning', content: output.reasoning })
      if (output.text) parts.push({ type: 'text', content: output.text })
      for (const call of output.toolCalls)
        parts.push({ type: 'tool_call', id: call.id, name: call.name, arguments: call.arguments })
      if (parts.length === 0) {
        expect(attributes['gen_ai.output.messages']).toBeUndefined()
        continue
      }
      const expected = JSON.stringify([
        finishReason
          ? { role: 'assistant', parts, finish_reason: finishReason }
          : { role: 'assistant', parts },
      ])
      expect(attributes['gen_ai.output.messages']).toBe(expected)
    }
  })

  it('cuts texts at the budget and says so, still valid JSON', () => {
    // The system text (19 characters) comes first, and leaves 6 for the first message.
    const budget = new Budget(25, SCRUB)
    const json = promptJson(trickyPrompt(), budget)!
    expect(budget.truncated).toBe(true)
    const messages = JSON.parse(json.messages.json)
    expect(messages[0].parts[0].content).toBe('plain ')
    expect(messages[1].parts[0].content).toBe('')
  })
})

describe('the prompt over OTLP/HTTP JSON', () => {
  const sink = bodySinkForSuite()

  // Long enough that the encoder takes its word-at-a-time path, with something to escape in every
  // sentence and non-ASCII one-byte text (é) that Node's Buffer encodes natively.
  const LONG = `${TRICKY.join(' | ')} — a café "quoted" C:\\path\n`.repeat(120)

  it('arrives as the same text a collector decodes, quotes, newlines and lone surrogates included', async () => {
    const tracer = createTracer({
      serviceName: 'prompt-json',
      exporters: [otlpExporter({ url: sink.url })],
    })
    const model = wrapLanguageModel({
      model: new MockLanguageModelV4({
        provider: 'openai.chat',
        modelId: 'gpt-4o',
        doGenerate: {
          content: [{ type: 'text', text: LONG }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 5, noCache: 5, cacheRead: undefined, cacheWrite: undefined },
            outputTokens: { total: 1, text: 1, reasoning: undefined },
          },
          warnings: [],
        },
      }),
      middleware: tracingMiddleware({ tracer }),
    })
    const messages = [...TRICKY, LONG].map((text) => ({ role: 'user' as const, content: text }))
    await generateText({ model, system: TRICKY[2], messages })
    expect((await tracer.flush({ timeoutMs: 10_000 })).ok).toBe(true)
    const spans = sink.bodies.flatMap((body) =>
      JSON.parse(body).resourceSpans.flatMap((r: any) => r.scopeSpans.flatMap((s: any) => s.spans)),
    )
    const llm = spans.find((span: any) => span.name === 'chat gpt-4o')
    const attribute = (key: string) =>
      llm.attributes.find((a: any) => a.key === key)?.value.stringValue
    const sent = JSON.parse(attribute(ATTR.inputMessages))
    // Inside the JSON text a lone surrogate is an escape sequence, so even it arrives intact.
    expect(sent.map((m: any) => m.parts[0]?.content ?? '')).toEqual([...TRICKY, LONG])
    expect(JSON.parse(attribute(ATTR.outputMessages))[0].parts[0].content).toBe(LONG)
    expect(JSON.parse(attribute(ATTR.systemInstructions))).toEqual([
      { type: 'text', content: TRICKY[2] },
    ])
  })
})
