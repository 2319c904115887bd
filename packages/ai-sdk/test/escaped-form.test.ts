// The prompt and output JSON reach the OTLP JSON encoder with their escaped form (made from the
// JSON text when the encoder asks): the body must be byte for byte what escaping the values from
// scratch gives, whatever the texts hold, and the encoder must really take that path.
import type { LanguageModelV4Prompt } from '@ai-sdk/provider'
import { createTracer, otlpExporter, type SpanData } from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { memoryExporter } from '@tokentrail/core/testing'
import { generateText, streamText, wrapLanguageModel } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { Budget, outputAttributes, promptJson } from '../src/convert.js'
import { tracingMiddleware } from '../src/index.js'
import { bodySinkForSuite, SCRUB, textParts, usage } from './helpers.js'

// Every escaped form the adapter hands to setTrustedAttributes, wrapped to count the encoder's calls.
const handed: { attributes: Record<string, unknown>; key: string; form: () => string }[] = []
let formCalls = 0
vi.mock('@tokentrail/core/internal', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@tokentrail/core/internal')>()
  return {
    ...actual,
    setTrustedAttributes: (
      span: Parameters<typeof actual.setTrustedAttributes>[0],
      attributes: Record<string, unknown>,
      escaped?: Record<string, string | (() => string) | undefined>,
    ) => {
      if (escaped)
        for (const key of Object.keys(escaped)) {
          const form = escaped[key]
          if (typeof form !== 'function') continue
          handed.push({ attributes, key, form })
          escaped[key] = () => {
            formCalls++
            return form()
          }
        }
      actual.setTrustedAttributes(span, attributes, escaped)
    },
  }
})

// Quotes, backslashes, every control character, lone and paired surrogates, U+2028, one-byte
// non-ASCII (é), and wide characters whose low byte is a control character, a quote or a backslash
// (U+010A, U+0122, U+015C: the byte check must not take them for one).
const CONTROLS = Array.from({ length: 0x20 }, (_, code) => String.fromCharCode(code)).join('')
const TRICKY = [
  'say "hi" to C:\\temp and \\"already escaped\\"',
  `controls ${CONTROLS} end`,
  'emoji 😀 pair, lone \ud800 high and \udc00 low, reversed \ude00\ud83d',
  'separators \u2028 \u2029, café, ü, 漢字, Ċ Ģ Ŝ',
  'lone high at the end \ud83d',
]
const PLAIN = 'Paris sits on the Seine; its museums, bridges and cafés draw visitors all year. '
// Each tricky text alone, then inside plain text long enough for the word-at-a-time check, at
// each of the four places in a word and at the very end.
const TEXTS = [
  ...TRICKY,
  ...TRICKY.flatMap((text) =>
    [0, 1, 2, 3].map((at) => `${'x'.repeat(at)}${PLAIN.repeat(2)}${text}${PLAIN}`),
  ),
  ...TRICKY.map((text) => `${PLAIN.repeat(3)}${text}`),
  PLAIN.repeat(40),
  '',
  // A newline per sentence (its escapes found 4 bytes at a time), in one-byte and in two-byte text;
  // a JSON document (escapes too dense for that: the engine's replace), and sparse text turning dense.
  PLAIN.replaceAll('. ', '.\n').repeat(20),
  `${PLAIN.replaceAll('. ', '.\n')}€ Ģ ${PLAIN.replaceAll('; ', ';\t')}`.repeat(10),
  JSON.stringify({
    messages: Array.from({ length: 30 }, (_, i) => ({ role: 'user', text: `say "${i}" \\ ok` })),
  }),
  `${PLAIN.replaceAll('. ', '.\n').repeat(5)}${JSON.stringify({ a: '"\\"'.repeat(200) })}`,
]

function trickyPrompt(): LanguageModelV4Prompt {
  const prompt: LanguageModelV4Prompt = [{ role: 'system', content: `${PLAIN}${TRICKY[0]}` }]
  TEXTS.forEach((text, i) => {
    if (i % 3 === 0) prompt.push({ role: 'user', content: [{ type: 'text', text }] })
    else if (i % 3 === 1)
      prompt.push({
        role: 'assistant',
        content: [
          { type: 'reasoning', text },
          { type: 'text', text: `${text}!` },
          { type: 'tool-call', toolCallId: `c${i}`, toolName: 'look', input: { q: text } },
        ],
      })
    else
      prompt.push({
        role: 'tool',
        content: [
          {
            type: 'tool-result',
            toolCallId: `c${i - 1}`,
            toolName: 'look',
            output: { type: 'json', value: { found: text } },
          },
        ],
      })
  })
  prompt.push(
    {
      role: 'user',
      content: [
        {
          type: 'file',
          mediaType: 'image/png',
          data: { type: 'data', data: new Uint8Array([1, 2, 3]) },
        },
        { type: 'text', text: TEXTS[7]! },
      ],
    },
    { role: 'user', content: [] },
    { role: 'system', content: TRICKY[1]! },
  )
  return prompt
}

const exact = (text: string) => JSON.stringify(text).slice(1, -1)

describe('escaped forms of the prompt and output JSON', () => {
  it('are JSON.stringify of the JSON text without its quotes, texts plain or not', () => {
    const json = promptJson(trickyPrompt(), new Budget(1_000_000, SCRUB))!
    expect(json.messages.escaped()).toBe(exact(json.messages.json))
    expect(json.system!.escaped()).toBe(exact(json.system!.json))
    expect(json.messages.escapedForm!()).toBe(exact(json.messages.json))
    // Short: no function, the encoder escapes it itself.
    expect(json.system!.escapedForm).toBeUndefined()
    // Cut at the budget, mid-text: the form follows the cut text.
    const cut = promptJson(trickyPrompt(), new Budget(700, SCRUB))!
    expect(cut.messages.escaped()).toBe(exact(cut.messages.json))
    for (const text of TEXTS) {
      const attributes: Record<string, unknown> = {}
      const form = outputAttributes(
        {
          text,
          textLength: text.length,
          reasoning: text,
          reasoningLength: text.length,
          toolCalls: [{ id: 'c"1', name: 'look\n', arguments: text }],
          truncated: false,
        },
        'tool_call',
        attributes,
      )
      const value = attributes['gen_ai.output.messages'] as string
      expect(form === undefined).toBe(value.length < 1024)
      if (form) expect(form()).toBe(exact(value))
    }
  })
})

describe('the OTLP JSON body with the escaped forms', () => {
  const sink = bodySinkForSuite()
  beforeEach(() => {
    handed.length = 0
    formCalls = 0
    sink.bodies.length = 0
  })

  // The same spans with copies of their attribute objects: no escaped form is known for a copy,
  // so the encoder escapes every value itself.
  const plainPath = (spans: readonly SpanData[]) =>
    spans.map((span) => ({ ...span, attributes: { ...span.attributes } }))

  for (const streamed of [false, true])
    it(`is byte for byte the body of escaping from scratch (${streamed ? 'streamText' : 'generateText'})`, async () => {
      const memory = memoryExporter()
      const tracer = createTracer({
        serviceName: 'escaped-form',
        exporters: [otlpExporter({ url: sink.url }), memory],
      })
      const answer = TEXTS.join(' | ')
      const model = wrapLanguageModel({
        model: new MockLanguageModelV4({
          provider: 'openai.chat',
          modelId: 'gpt-4o',
          doGenerate: {
            content: [
              { type: 'reasoning', text: answer },
              { type: 'text', text: answer },
            ],
            finishReason: { unified: 'stop', raw: 'stop' },
            usage: usage(5, 1),
            warnings: [],
          },
          doStream: {
            stream: new ReadableStream({
              start(controller) {
                for (const part of textParts([answer.slice(0, 500), answer.slice(500)]))
                  controller.enqueue(part)
                controller.close()
              },
            }),
          },
        }),
        middleware: tracingMiddleware({ tracer }),
      })
      const messages = TEXTS.map((text) => ({ role: 'user' as const, content: text }))
      // Long enough (over 1 KB) that the span keeps its escaped form too.
      const system = `${PLAIN.repeat(15)}${TRICKY.join(' ')}`
      if (streamed) await streamText({ model, system, messages }).consumeStream()
      else await generateText({ model, system, messages })
      expect((await tracer.flush({ timeoutMs: 10_000 })).ok).toBe(true)

      // The adapter handed a form for the prompt, the instructions and the output, each exact.
      expect(handed.map(({ key }) => key).sort()).toEqual([
        'gen_ai.input.messages',
        'gen_ai.output.messages',
        'gen_ai.system_instructions',
      ])
      for (const { attributes, key, form } of handed)
        expect(form()).toBe(exact(attributes[key] as string))
      formCalls = 0
      // The JSON text itself holds the texts as they were.
      const input = handed.find(({ key }) => key === 'gen_ai.input.messages')!
      const sent = JSON.parse(input.attributes['gen_ai.input.messages'] as string)
      expect(sent.map((m: any) => m.parts[0]?.content ?? '')).toEqual(TEXTS)

      // Encoded with the forms (the encoder asks for each long one) and without: the same bytes.
      const spans = memory.spans
      const fast = encodeOtlpTraces(spans)
      expect(formCalls).toBe(3)
      expect(fast).toBe(encodeOtlpTraces(plainPath(spans)))
      // And what went over HTTP is that body.
      expect(sink.bodies).toEqual([fast])
    })
})
