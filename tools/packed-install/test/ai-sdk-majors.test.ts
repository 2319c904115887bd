// What a user on each AI SDK major installs: the packed @tokentrail/core and @tokentrail/ai-sdk
// tarballs with that major's `ai` and `@ai-sdk/openai` from the registry, in a fresh app outside
// the workspace. A plain script runs a tool loop against the local mock OpenAI server and must
// get one trace: the call span at the root, a span per step, the tool under the step that asked.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { type MockOpenAI, startMockOpenAI } from '@tokentrail/mock-openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { npmInstall, run } from './exec.js'

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const MAJORS = [
  { ai: '5', openai: '2' },
  { ai: '6', openai: '3' },
  { ai: '7', openai: '4' },
]

let dir: string
let mock: MockOpenAI
const tarballs: Record<string, string> = {}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tokentrail-ai-majors-'))
  const packs = join(dir, 'tarballs')
  mkdirSync(packs)
  for (const name of ['core', 'ai-sdk']) {
    const out = run('pnpm', ['pack', '--pack-destination', packs], join(root, 'packages', name))
    tarballs[name] = resolve(packs, out.trim().split('\n').at(-1)!.trim())
  }
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
  ({ ai, openai }) => {
    it('a tool loop in a plain script is one trace: call → steps → tool', async () => {
      const app = join(dir, `app-ai${ai}`)
      mkdirSync(app)
      writeFileSync(
        join(app, 'package.json'),
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
        }),
      )
      npmInstall(app)
      const installed = JSON.parse(
        run(process.execPath, ['-p', "JSON.stringify(require('ai/package.json').version)"], app),
      )
      expect(installed.split('.')[0]).toBe(ai)
      writeFileSync(join(app, 'script.mjs'), SCRIPT)
      // Not execFileSync: the mock server answers from this process's event loop.
      const { stdout: out } = await promisify(execFile)(process.execPath, ['script.mjs'], {
        cwd: app,
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
  },
)
