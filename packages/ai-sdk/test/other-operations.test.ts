// ai@7's operations that are not text calls (speech, transcription, decisions, images) beside a
// traced language model: the real @ai-sdk/openai of ai@7 against a local server speaking OpenAI's
// wire format, and custom models that throw a plain Error. Tokentrail traces none of these: no
// span of ours for them, success or failure (README: "What each AI SDK operation records").
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createOpenAI } from '@ai-sdk/openai'
import { ATTR } from '@tokentrail/core'
import * as ai from 'ai'
import { afterEach, describe, expect, it } from 'vitest'
import { tracingMiddleware } from '../src/index.js'
import { setup } from './helpers.js'

let server: Server | undefined
afterEach(async () => {
  await new Promise((r) => server?.close(r) ?? r(undefined))
  server = undefined
  delete (globalThis as any).AI_SDK_TELEMETRY_INTEGRATIONS
})

// OpenAI's /audio/speech (audio bytes), /audio/transcriptions (JSON), /images/generations and
// /decisions; `status` other than 200 answers each with OpenAI's error body.
async function serve(status = 200): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = []
  server = createServer(async (req, res) => {
    for await (const _ of req);
    paths.push(req.url ?? '')
    if (status !== 200) {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ error: { message: 'upstream broke', type: 'server_error' } }))
      return
    }
    if (req.url?.endsWith('/audio/speech')) {
      res.writeHead(200, { 'content-type': 'audio/mpeg' })
      res.end(Buffer.from([0xff, 0xfb, 0x90, 0x00, 1, 2, 3, 4]))
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    if (req.url?.endsWith('/audio/transcriptions'))
      res.end(JSON.stringify({ text: 'hello there', language: 'english', duration: 1.5 }))
    else if (req.url?.endsWith('/images/generations'))
      res.end(
        JSON.stringify({ created: 1, data: [{ b64_json: Buffer.from('png').toString('base64') }] }),
      )
    else res.end(JSON.stringify({ error: { message: 'no such endpoint' } }))
  })
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/v1`, paths }
}

const failing = (message: string) => async () => {
  throw new Error(message)
}

// A custom model of each kind whose call throws a plain Error (no provider call made).
const customSpeech = {
  specificationVersion: 'v4' as const,
  provider: 'custom.speech',
  modelId: 'voice-1',
  doGenerate: failing('voice service down'),
}
const customTranscription = {
  specificationVersion: 'v4' as const,
  provider: 'custom.transcription',
  modelId: 'ears-1',
  doGenerate: failing('transcriber down'),
  doStream: failing('transcriber down'),
}
const customDecision = {
  specificationVersion: 'v4' as const,
  provider: 'custom.decision',
  modelId: 'judge-1',
  supportedQuestionTypes: ['boolean'],
  doDecide: failing('judge down'),
}
// ai@7.0.178 gave `experimental_extract` telemetry: its errors reach the integration too.
const customExtraction = {
  specificationVersion: 'v4' as const,
  provider: 'custom.extraction',
  modelId: 'reader-1',
  supportedFieldTypes: ['text'],
  doExtract: failing('reader down'),
}
const customImage = {
  specificationVersion: 'v4' as const,
  provider: 'custom.image',
  modelId: 'painter-1',
  maxImagesPerCall: 1,
  doGenerate: failing('painter down'),
}

const customReranking = {
  specificationVersion: 'v4' as const,
  provider: 'custom.reranking',
  modelId: 'ranker-1',
  doRerank: failing('ranker down'),
}

const questions = { polite: { type: 'boolean' as const, instructions: 'Is it polite?' } }

// Each operation with the model it is given: run, and what the caller got (a result or an error).
function operations(openai: ReturnType<typeof createOpenAI>) {
  const audio = new Uint8Array([1, 2, 3, 4])
  return {
    generateSpeech: (model = openai.speech('tts-1') as any) =>
      ai.experimental_generateSpeech({ model, text: 'hi', maxRetries: 0 }),
    transcribe: (model = openai.transcription('whisper-1') as any) =>
      ai.experimental_transcribe({ model, audio, maxRetries: 0 }),
    decide: (model = openai.decisionModel('gpt-5-mini') as any) =>
      ai.experimental_decide({
        model,
        state: [{ type: 'text', text: 'hi' }],
        questions,
        maxRetries: 0,
      }),
    extract: (model = customExtraction as any) =>
      (ai as any).experimental_extract({
        model,
        state: [{ type: 'text', text: 'Ada Lovelace, born 1815' }],
        fields: { name: { type: 'text', instructions: 'The person' } },
        maxRetries: 0,
      }),
    generateImage: (model = openai.image('gpt-image-1') as any) =>
      ai.generateImage({ model, prompt: 'a cat', maxRetries: 0 }),
    rerank: (model = customReranking as any) =>
      ai.rerank({ model, documents: ['a', 'b'], query: 'a?', maxRetries: 0 }),
    streamTranscribe: async (model = customTranscription as any) => {
      const result = ai.experimental_streamTranscribe({
        model,
        audio: new ReadableStream({
          start(c) {
            c.enqueue(audio)
            c.close()
          },
        }),
        inputAudioFormat: { type: 'audio/pcm', sampleRate: 24000 },
      } as any)
      return await (result as any).text
    },
  }
}

const custom: Record<string, unknown> = {
  generateSpeech: customSpeech,
  transcribe: customTranscription,
  decide: customDecision,
  extract: customExtraction,
  generateImage: customImage,
  streamTranscribe: customTranscription,
  rerank: customReranking,
}

describe('ai@7 operations Tokentrail does not trace, beside a traced language model', () => {
  // Failing with an error no provider call made (a custom model throwing a plain Error), the
  // caller gets that error. An image call dispatches no telemetry and makes no span. The others
  // dispatch their errors with only a call id: telling them apart needs one of their start events
  // (onStart, onEmbedStart, onRerankStart, decide's, streamTranscribe's), and each hook an
  // integration has costs every AI SDK call; they look like a text call that failed before its
  // first step and get its `unknown` span (README).
  it.each([
    ['generateImage', []],
    ['generateSpeech', ['unknown error']],
    ['transcribe', ['unknown error']],
    ['decide', ['unknown error']],
    // ai@7.0.173 dispatched no telemetry for it (no span); 7.0.178 dispatches its error.
    ['extract', ['unknown error']],
    ['streamTranscribe', ['unknown error']],
    ['rerank', ['unknown error']],
  ])(
    '%s failing with an error no provider call made: the caller gets that error; spans %j',
    async (name, spans) => {
      const { tracer, exporter } = setup()
      const openai = createOpenAI({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-test-0000' })
      // The traced text model that registers the integration.
      ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const op = (operations(openai) as any)[name]
      const error = await op(custom[name]).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(String((error as Error)?.message)).toMatch(/down/)
      await tracer.flush()
      expect(exporter.spans.map((s) => `${s.name} ${s.status}`)).toEqual(spans)
    },
  )

  it.each([200, 500])(
    'over HTTP (OpenAI answering %i), speech, transcription and image calls make no span',
    async (status) => {
      const { url, paths } = await serve(status)
      const { tracer, exporter } = setup()
      const openai = createOpenAI({ baseURL: url, apiKey: 'sk-test-0000' })
      ai.wrapLanguageModel({
        model: openai.chat('gpt-4o'),
        middleware: tracingMiddleware({ tracer }),
      })
      const ops = operations(openai)
      const outcomes = []
      for (const name of ['generateSpeech', 'transcribe', 'generateImage'] as const)
        outcomes.push(
          await (ops[name] as () => Promise<unknown>)().then(
            () => 'ok',
            (e: unknown) => (e as Error).name,
          ),
        )
      expect(paths).toEqual([
        '/v1/audio/speech',
        '/v1/audio/transcriptions',
        '/v1/images/generations',
      ])
      expect(outcomes).toEqual(
        status === 200 ? ['ok', 'ok', 'ok'] : Array(3).fill('AI_APICallError'),
      )
      await tracer.flush()
      expect(exporter.spans.map((s) => `${s.name} ${s.status}`)).toEqual([])
    },
  )

  // A text call that fails before its first step gets its `unknown` span after an image call
  // (which dispatches no event) failed.
  it('a text call failing before its first step still gets its span after them', async () => {
    const { tracer, exporter } = setup()
    const openai = createOpenAI({ baseURL: 'http://127.0.0.1:9/v1', apiKey: 'sk-test-0000' })
    const chat = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: tracingMiddleware({ tracer }),
    })
    await ai.generateImage({ model: customImage as any, prompt: 'a cat' }).catch(() => {})
    const prepareStep = () => {
      throw new Error('no plan')
    }
    const error = await ai
      .generateText({ model: chat, prompt: 'hi', prepareStep, maxRetries: 0 })
      .then(
        () => undefined,
        (e: unknown) => e,
      )
    expect((error as Error).message).toBe('no plan')
    await tracer.flush()
    const calls = exporter.spans.filter((s) => s.attributes[ATTR.operationName] === 'invoke_agent')
    expect(calls.map((s) => `${s.name} ${s.status}`)).toEqual(['unknown error'])
  })
})

// A language model left untraced records nothing, also when it fails with an error no provider
// call made (README): ai@7's error event for it was taken for a traced call's that failed in a
// middleware outside the tracing one, unless it had a provider call's shape.
describe('ai@7 a language model left untraced, beside a traced one', () => {
  const guard = {
    specificationVersion: 'v4' as const,
    wrapGenerate: async () => {
      throw new Error('blocked by guard')
    },
    wrapStream: async () => {
      throw new Error('blocked by guard')
    },
  }
  it('failing with a plain Error (a guard middleware of its own, a custom model) makes no span; a traced model failing so keeps its trace', async () => {
    const { url, paths } = await serve()
    const { tracer, exporter } = setup()
    const openai = createOpenAI({ baseURL: url, apiKey: 'sk-test-0000' })
    // Another account's models, under their own provider name, not traced.
    const acme = createOpenAI({ baseURL: url, apiKey: 'sk-test-0000', name: 'acme' })
    const traced = ai.wrapLanguageModel({
      model: openai.chat('gpt-4o'),
      middleware: [guard, tracingMiddleware({ tracer })],
    })
    const untraced = ai.wrapLanguageModel({ model: acme.chat('gpt-4o'), middleware: guard })
    const custom = {
      specificationVersion: 'v4' as const,
      provider: 'custom.chat',
      modelId: 'llm-1',
      supportedUrls: {},
      doGenerate: failing('llm down'),
      doStream: failing('llm down'),
    }
    const errors: string[] = []
    for (const model of [untraced, custom as any]) {
      await ai
        .generateText({ model, prompt: 'hi', maxRetries: 0 })
        .catch((e) => errors.push(e.message))
      const stream = ai.streamText({ model, prompt: 'hi', maxRetries: 0, onError: () => {} })
      await Promise.resolve(stream.text).catch(() => errors.push('stream failed'))
    }
    expect(errors).toEqual(['blocked by guard', 'stream failed', 'llm down', 'stream failed'])
    expect(paths).toEqual([])
    await tracer.flush()
    expect(exporter.spans.map((s) => `${s.name} ${s.status}`)).toEqual([])
    // The traced model whose guard (outside the tracing middleware) fails keeps its error span
    // (named `unknown`: the operation is the middleware's to say, and it never ran).
    await ai.generateText({ model: traced, prompt: 'hi', maxRetries: 0 }).catch(() => {})
    await tracer.flush()
    expect(exporter.spans.map((s) => `${s.name} ${s.status}`)).toEqual(['unknown gpt-4o error'])
  })
})
