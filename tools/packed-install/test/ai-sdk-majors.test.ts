// What a user on each AI SDK major installs: the packed @tokentrail/core and @tokentrail/ai-sdk
// tarballs with that major's `ai` and `@ai-sdk/openai` from the registry, in a fresh app outside
// the workspace, with `--engine-strict` (as Yarn 1 checks engines by default) on the lowest Node
// that major runs on: the machine's Node 20 for ai@5 and ai@6, Node 22 for ai@7 (ai@7 and
// @ai-sdk/openai@4 declare Node >= 22). A plain script runs a tool loop against the local mock
// OpenAI server and must get one trace: the call span at the root, a span per step, the tool under
// the step that asked. The README's snippets for that major then type-check against the installed
// declarations with tsc's defaults a strict app keeps (`skipLibCheck: false`, `strict`), under
// `nodenext` and under `bundler` resolution.
import { execFile } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { npmInstall, run } from './exec.js'

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const MAJORS = [
  { ai: '5', openai: '2', node: 20 },
  { ai: '6', openai: '3', node: 20 },
  { ai: '7', openai: '4', node: 22 },
]
// The workspace's TypeScript, run on this Node: the apps install none of their own.
const tsc = join(
  dirname(createRequire(join(root, 'package.json')).resolve('typescript/package.json')),
  'bin/tsc',
)

function nodeMajor(path: string): number {
  return Number(run(path, ['-p', 'process.versions.node.split(".")[0]'], root).trim())
}

// A Node of that major: this process's own (Node 22 under the workspace's pin) or the machine's;
// on a machine without Node 20, this process's Node (the install is then checked on that).
function nodeOf(major: number): string {
  return (
    [process.execPath, '/usr/bin/node', '/usr/local/bin/node'].find(
      (path) => existsSync(path) && nodeMajor(path) === major,
    ) ?? process.execPath
  )
}

let dir: string
let mock: MockOpenAI
const tarballs = inject('tarballs')

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-ai-majors-'))
  mock = await startMockOpenAI()
})

afterAll(async () => {
  await mock?.close()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const SCRIPT = `
import { createOpenAI } from '@ai-sdk/openai'
import { createTracer } from '@tokentrail/core'
import { memoryExporter } from '@tokentrail/core/testing'
import { tracingMiddleware } from '@tokentrail/ai-sdk'
import { generateText, stepCountIs, tool, wrapLanguageModel } from 'ai'
import { z } from 'zod'

const exporter = memoryExporter()
const tracer = createTracer({ serviceName: 'fresh-app', exporters: [exporter] })
const openai = createOpenAI({ baseURL: process.env.MOCK_URL, apiKey: 'sk-test-not-a-real-key-0000000000' })
const model = wrapLanguageModel({ model: openai.chat('gpt-4o'), middleware: tracingMiddleware({ tracer }) })
const { text } = await generateText({
  model,
  prompt: 'Weather in Lisbon? [tool:weather]',
  stopWhen: stepCountIs(3),
  tools: {
    weather: tool({
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, celsius: 21 }),
    }),
  },
})
await tracer.flush()
console.log(JSON.stringify({
  text,
  spans: exporter.spans.map((s) => ({
    name: s.name, kind: s.kind, spanId: s.spanId, parentSpanId: s.parentSpanId, traceId: s.traceId,
    operation: s.attributes['gen_ai.operation.name'], step: s.attributes['tokentrail.step'],
    steps: s.attributes['tokentrail.call.steps'],
  })),
}))
`

describe.each(MAJORS)(
  'packed tarballs with ai@$ai and @ai-sdk/openai@$openai',
  ({ ai, openai, node }) => {
    const app = () => join(dir, `app-ai${ai}`)
    const installer = nodeOf(node)
    it(`installs with --engine-strict on Node ${nodeMajor(installer)}; a tool loop in a plain script is one trace: call → steps → tool`, async () => {
      mkdirSync(app())
      writeFileSync(
        join(app(), 'package.json'),
        JSON.stringify({
          name: `fresh-app-ai${ai}`,
          private: true,
          type: 'module',
          dependencies: {
            '@tokentrail/core': `file:${tarballs.core}`,
            '@tokentrail/ai-sdk': `file:${tarballs['ai-sdk']}`,
            ai: `^${ai}.0.0`,
            '@ai-sdk/openai': `^${openai}.0.0`,
            zod: '^4.0.0',
          },
          // What an app that type-checks the AI SDK's own declarations needs (they name Node's
          // Buffer and http, and json-schema's types).
          devDependencies: { '@types/node': '^22.0.0', '@types/json-schema': '^7.0.0' },
        }),
      )
      // Failed on Node 20 (EBADENGINE) while the package depended on @ai-sdk/provider@4 (Node >= 22)
      // for its types.
      npmInstall(app(), ['--engine-strict'], installer)
      const installed = JSON.parse(
        run(process.execPath, ['-p', "JSON.stringify(require('ai/package.json').version)"], app()),
      )
      expect(installed.split('.')[0]).toBe(ai)
      writeFileSync(join(app(), 'script.mjs'), SCRIPT)
      // Not execFileSync: the mock server answers from this process's event loop.
      const { stdout: out } = await promisify(execFile)(process.execPath, ['script.mjs'], {
        cwd: app(),
        env: { ...process.env, MOCK_URL: mock.url },
        timeout: 60_000,
      })
      const { text, spans } = JSON.parse(out.trim().split('\n').at(-1)!)
      expect(text).toContain('The tool returned')
      expect(new Set(spans.map((s: any) => s.traceId)).size).toBe(1)
      const call = spans.find((s: any) => s.operation === 'invoke_agent')
      expect(call.parentSpanId).toBeUndefined()
      expect(call.steps).toBe(2)
      const llm = spans
        .filter((s: any) => s.kind === 'llm')
        .sort((a: any, b: any) => a.step - b.step)
      expect(llm.map((s: any) => [s.step, s.parentSpanId])).toEqual([
        [0, call.spanId],
        [1, call.spanId],
      ])
      const tools = spans.filter((s: any) => s.kind === 'tool')
      expect(tools.map((s: any) => [s.name, s.parentSpanId])).toEqual([
        ['execute_tool weather', llm[0].spanId],
      ])
    })

    it('the README snippets type-check with skipLibCheck: false, strict, nodenext and bundler', () => {
      // No declaration names @ai-sdk/provider: the app's is v2 on ai@5, v3 on ai@6, v4 on ai@7.
      const pkg = join(app(), 'node_modules/@tokentrail/ai-sdk')
      const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'))
      expect(Object.keys(manifest.dependencies)).toEqual(['@tokentrail/core'])
      const naming = readdirSync(join(pkg, 'dist')).filter(
        (name) =>
          name.endsWith('.d.ts') &&
          readFileSync(join(pkg, 'dist', name), 'utf8').includes('@ai-sdk/provider'),
      )
      expect(naming).toEqual([])
      writeFileSync(join(app(), 'snippets.ts'), snippets(ai))
      for (const resolution of ['nodenext', 'bundler']) {
        const config = `tsconfig.${resolution}.json`
        writeFileSync(
          join(app(), config),
          JSON.stringify({
            compilerOptions: {
              strict: true,
              skipLibCheck: false,
              noEmit: true,
              target: 'ES2022',
              module: resolution === 'bundler' ? 'esnext' : 'nodenext',
              moduleResolution: resolution,
              lib: ['ES2023', 'DOM', 'DOM.Iterable'],
              types: ['node'],
            },
            files: ['snippets.ts'],
          }),
        )
        let out = ''
        try {
          run(process.execPath, [tsc, '-p', config, '--pretty', 'false'], app())
        } catch (error: any) {
          out = `${error.stdout}${error.stderr}`
        }
        expect(out, `tsc -p ${config} on ai@${ai}`).toBe('')
      }
    })
  },
)

// The README's snippets for one major, as an app writes them: wrapLanguageModel with
// tracingMiddleware (alone and in a list), traceModel (the model keeps its type),
// withTraceMetadata with providerOptions.tokentrail; tokentrailTelemetry where the major has
// telemetry integrations (ai@6, ai@7), with an app's own handler assigned onto it; the embedding
// middleware where the major has one (ai@6, ai@7).
function snippets(ai: string): string {
  const lines = [
    `import { openai } from '@ai-sdk/openai'`,
    `import * as tokentrail from '@tokentrail/ai-sdk'`,
    `import { traceModel, tracingMiddleware, withTraceMetadata } from '@tokentrail/ai-sdk'`,
    `import { generateText, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'`,
    `import * as AI from 'ai'`,
    `import { z } from 'zod'`,
    ``,
    `const model = wrapLanguageModel({ model: openai('gpt-4o'), middleware: tracingMiddleware() })`,
    `const listed = wrapLanguageModel({`,
    `  model: openai.chat('gpt-4o'),`,
    `  middleware: [tracingMiddleware({ recordOutputs: false })],`,
    `})`,
    `const base = openai('gpt-4o')`,
    `const traced: typeof base = traceModel(base, { metadata: { tags: ['support-bot'] } })`,
    ``,
    `export async function chat(user: { id: string }, chatId: string, prompt: string) {`,
    `  const { text } = await generateText({`,
    `    model,`,
    `    prompt: 'What is the weather in Lisbon?',`,
    `    tools: {`,
    `      weather: tool({`,
    `        inputSchema: z.object({ city: z.string() }),`,
    `        execute: async ({ city }) => ({ city, celsius: 21 }),`,
    `      }),`,
    `    },`,
    `    stopWhen: stepCountIs(3),`,
    `  })`,
    `  await withTraceMetadata({ userId: user.id, sessionId: chatId, tags: ['chat'] }, async () => {`,
    `    const result = streamText({ model: traced, prompt })`,
    `    await generateText({`,
    `      model: listed,`,
    `      prompt,`,
    `      providerOptions: { tokentrail: { tags: ['summary'], attributes: { plan: 'pro' } } },`,
    `    })`,
    `    await result.consumeStream()`,
    `  })`,
    `  return text`,
    `}`,
  ]
  if (ai !== '5')
    lines.push(
      ``,
      `const embedder = AI.wrapEmbeddingModel({`,
      `  model: openai.embedding('text-embedding-3-small'),`,
      `  middleware: tokentrail.embeddingTracingMiddleware(),`,
      `})`,
      `export const embedded = AI.embedMany({ model: embedder, values: ['a', 'b'] })`,
    )
  if (ai === '6')
    lines.push(
      ``,
      `AI.registerTelemetryIntegration(tokentrail.tokentrailTelemetry({ recordOutputs: false }))`,
      `AI.registerTelemetryIntegration(Object.assign(tokentrail.tokentrailTelemetry(), { onStart: () => 1 }))`,
      `export const once = generateText({`,
      `  model,`,
      `  prompt: 'hi',`,
      `  experimental_telemetry: { integrations: [tokentrail.tokentrailTelemetry()] },`,
      `})`,
    )
  if (ai === '7')
    lines.push(
      ``,
      `AI.registerTelemetry(tokentrail.tokentrailTelemetry({ recordOutputs: false }))`,
      `AI.registerTelemetry(Object.assign(tokentrail.tokentrailTelemetry(), { onStart: () => 1 }))`,
      `const telemetry: AI.Telemetry = tokentrail.tokentrailTelemetry()`,
      `export const once = generateText({ model, prompt: 'hi', telemetry: { integrations: [telemetry] } })`,
      `export const twice = generateText({`,
      `  model,`,
      `  prompt: 'hi',`,
      `  experimental_telemetry: { integrations: [tokentrail.tokentrailTelemetry()] },`,
      `})`,
    )
  return `${lines.join('\n')}\n`
}
