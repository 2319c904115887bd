// What an AI-app developer reads back: real AI SDK calls (ai@7 generateText through
// @tokentrail/ai-sdk) exported over OTLP to a `tokentrail dev` child process, then read with the
// CLI as its own child process, as in a terminal.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { LanguageModelV4Usage } from '@ai-sdk/provider'
import { context, trace as otelTrace, TraceFlags } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { traceModel, withTraceMetadata } from '@tokentrail/ai-sdk'
import { createTracer, otlpExporter, type Tracer } from '@tokentrail/core'
import { generateText } from 'ai'
import { MockLanguageModelV4 } from 'ai/test'
import { chromium } from 'playwright-core'
import { describe, expect, it } from 'vitest'
import { sendAiSdkTraces } from './ai-sdk-traces.js'
import { onCleanup, startBuiltDev as startDev } from './helpers.js'
import { CHROMIUM, hasChromium } from './viewer-harness.js'

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

async function run(url: string, ...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [bin, ...args, '--url', url], {
    env: { ...process.env, NO_COLOR: '1' },
  })
}

async function cli(url: string, ...args: string[]): Promise<string> {
  return (await run(url, ...args)).stdout
}

const usage = (input: number, output: number): LanguageModelV4Usage => ({
  inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: output, text: output, reasoning: undefined },
})

/** A model answering `text`, naming `answeredWith` as the model that replied. */
function model(tracer: Tracer, modelId: string, text: string, answeredWith = modelId) {
  return traceModel(
    new MockLanguageModelV4({
      provider: 'openai.chat',
      modelId,
      doGenerate: async () => ({
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: usage(12, 3),
        warnings: [],
        response: { id: 'resp-1', modelId: answeredWith, timestamp: new Date() },
      }),
    }),
    { tracer },
  )
}

function tracerFor(url: string): Tracer {
  return createTracer({
    serviceName: 'support-bot',
    exporters: [otlpExporter({ url: `${url}/v1/traces` })],
    recordInputs: true,
    recordOutputs: true,
  })
}

describe('list --model', () => {
  it('finds a trace by any LLM call it made, and by the dated model the provider answered with', async () => {
    const url = await startDev()
    const tracer = tracerFor(url)
    // A router: a small model classifies, a large one answers (and replies as its snapshot).
    const router = model(tracer, 'gpt-4o-mini', 'billing')
    const answerer = model(tracer, 'gpt-4o', 'Your invoice is attached.', 'gpt-4o-2024-08-06')
    let routed = ''
    await tracer.withSpan('POST /api/support', { kind: 'http' }, async (span) => {
      routed = span.spanContext().traceId
      await generateText({ model: router, prompt: 'Classify: where is my invoice?' })
      await generateText({ model: answerer, prompt: 'Where is my invoice?' })
    })
    let single = ''
    await tracer.withSpan('POST /api/chat', { kind: 'http' }, async (span) => {
      single = span.spanContext().traceId
      await generateText({ model: model(tracer, 'gpt-4.1', 'hi'), prompt: 'hello' })
    })
    await tracer.flush()

    const ids = async (...filter: string[]) =>
      (
        JSON.parse(await cli(url, 'list', '--json', ...filter)) as { traces: { traceId: string }[] }
      ).traces.map((t) => t.traceId)
    // `stats` counts the router's second call under gpt-4o; the list finds its trace there too.
    expect(await cli(url, 'stats')).toMatch(/^gpt-4o +1 /m)
    expect(await ids('--model', 'gpt-4o')).toEqual([routed])
    expect(await ids('--model', 'gpt-4o-2024-08-06')).toEqual([routed])
    expect(await ids('--model', 'gpt-4o-mini')).toEqual([routed])
    expect(await ids('--model', 'gpt-4.1')).toEqual([single])
    expect(await ids('--model', 'gpt-4')).toEqual([])
    expect(await ids('--model', 'gpt-4o', '--status', 'error')).toEqual([])
    // The viewer's API answers the same.
    const api = (await (await fetch(`${url}/api/traces?model=gpt-4o-2024-08-06`)).json()) as {
      traces: { traceId: string }[]
    }
    expect(api.traces.map((t) => t.traceId)).toEqual([routed])
  })
})

describe('list --attr with a fraction', () => {
  it('says fractions are not indexed when nothing matched, instead of a bare "no traces match"', async () => {
    const url = await startDev()
    const tracer = tracerFor(url)
    await generateText({ model: model(tracer, 'gpt-4o', 'hi'), prompt: 'hi', temperature: 0.7 })
    await tracer.flush()
    const detail = JSON.parse(await cli(url, 'last', '--json')) as {
      spans: { kind: string; attributes: Record<string, unknown> }[]
    }
    const llm = detail.spans.find((s) => s.kind === 'llm')!
    expect(llm.attributes['gen_ai.request.temperature']).toBe(0.7)
    const fraction = await run(url, 'list', '--attr', 'gen_ai.request.temperature=0.7')
    expect(fraction.stdout).toBe('no traces match\n')
    expect(fraction.stderr).toBe(
      'note --attr finds strings, booleans and whole numbers; a fraction such as 0.7 is not indexed\n',
    )
    // A value that matches, or that is not a fraction, gets no note.
    const found = await run(url, 'list', '--attr', 'gen_ai.usage.input_tokens=12')
    expect(found.stdout).toMatch(/generateText gpt-4o/)
    expect(found.stderr).toBe('')
    expect((await run(url, 'list', '--attr', 'gen_ai.usage.input_tokens=13')).stderr).toBe('')
  })
})

/**
 * A request on `support-bot` that hands a job to `worker`: another process with the OpenTelemetry
 * SDK, on a machine whose clock runs 4 s behind, so it stamps its spans 4 s early.
 */
async function sendSkewedTrace(url: string): Promise<string> {
  const web = tracerFor(url)
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'worker' }),
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${url}/v1/traces` }))],
  })
  onCleanup(() => provider.shutdown())
  const behind = () => Date.now() - 4000
  let id = ''
  await web.withSpan('POST /api/summarize', { kind: 'http' }, async (span) => {
    const { traceId, spanId } = span.spanContext()
    id = traceId
    const caller = otelTrace.setSpanContext(context.active(), {
      traceId,
      spanId,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    const job = provider
      .getTracer('worker')
      .startSpan('summarize job', { startTime: behind() }, caller)
    await generateText({ model: model(web, 'gpt-4o', 'Short.'), prompt: 'Summarize' })
    job.end(behind())
  })
  await web.flush()
  await provider.forceFlush()
  return id
}

describe('two services whose clocks differ', () => {
  it('says so in `trace` and in the bug report, with how far apart they are', async () => {
    const url = await startDev()
    const id = await sendSkewedTrace(url)
    const text = await cli(url, 'trace', id)
    expect(text).toMatch(
      /^clock skew: summarize job \(worker\) starts 3\.9\ds before its parent POST \/api\/summarize \(support-bot\); duration and offsets across them are off by at least that$/m,
    )
    const report = JSON.parse(await cli(url, 'trace', id, '--export', '--format', 'json')) as {
      hints: { id: string; message: string }[]
    }
    expect(report.hints.map((h) => h.id)).toEqual(['clock-skew'])
    expect(report.hints[0]!.message).toMatch(
      /^`summarize job` \(service `worker`\) starts 3\.9\ds before its parent `POST \/api\/summarize` \(service `support-bot`\)/,
    )
  })

  it.skipIf(!hasChromium)('says so on the trace page', async () => {
    const url = await startDev()
    const id = await sendSkewedTrace(url)
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    onCleanup(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`${url}/#/trace/${id}`)
    await page.waitForSelector('#wf-axis')
    expect(await page.locator('.notice.clock-skew').allInnerTexts()).toEqual([
      expect.stringMatching(
        /^Clock skew: summarize job \(worker\) starts 3\.9\d s before its parent POST \/api\/summarize \(support-bot\);/,
      ),
    ])
  })
})

describe('long text cut at an emoji', () => {
  it('is cut before the emoji, never between its halves, in the list, the trace and the report', async () => {
    const url = await startDev()
    const tracer = tracerFor(url)
    // The list preview keeps 300 characters, the trace row 4,000: each cut lands inside a 🎉.
    const prompt = `${'a'.repeat(298)}🎉 and more`
    const answer = `${'b'.repeat(3998)}🎉 and more`
    await generateText({ model: model(tracer, 'gpt-4o', answer), prompt })
    await tracer.flush()
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\uFFFD/
    const listed = (JSON.parse(await cli(url, 'list', '--json')) as { traces: TraceText[] })
      .traces[0]!
    expect(listed.input).toBe(`${'a'.repeat(298)}…`)
    expect(listed.output).toBe(`${'b'.repeat(299)}…`)
    const detail = JSON.parse(await cli(url, 'last', '--json')) as { trace: TraceText }
    expect(detail.trace.input).toBe(prompt)
    expect(detail.trace.output).toBe(`${'b'.repeat(3998)}…`)
    const md = await cli(url, 'last', '--export', '--format', 'md')
    expect(md).toContain(`\n- input: \`${'a'.repeat(298)}…\`\n`)
    for (const text of [listed.input, listed.output, detail.trace.output, md])
      expect(lone.test(text!)).toBe(false)
  })
})

describe.skipIf(!hasChromium)('the viewer list, with text cut at an emoji', () => {
  it('cuts the row preview before the emoji', async () => {
    const url = await startDev()
    const tracer = tracerFor(url)
    // The row shows 80 characters of input: the cut lands inside the 🎉.
    await generateText({ model: model(tracer, 'gpt-4o', 'ok'), prompt: `${'a'.repeat(78)}🎉 x` })
    await tracer.flush()
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    onCleanup(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`${url}/`)
    const shown = page.locator('#trace-rows .row-preview .in')
    await shown.waitFor()
    expect(await shown.innerText()).toBe(`${'a'.repeat(78)}…`)
  })
})

describe.skipIf(!hasChromium)('the session page', () => {
  it('gives a turn that failed before any usage no token count, as the list does', async () => {
    const url = await startDev()
    const tracer = tracerFor(url)
    const broken = traceModel(
      new MockLanguageModelV4({
        provider: 'openai.chat',
        modelId: 'gpt-4o',
        doGenerate: async () => {
          throw new Error('upstream connect error')
        },
      }),
      { tracer },
    )
    await withTraceMetadata({ userId: 'ana', sessionId: 'chat-7' }, async () => {
      await generateText({ model: model(tracer, 'gpt-4o', 'Hello!'), prompt: 'hi' })
      await generateText({ model: broken, prompt: 'and now?', maxRetries: 0 }).catch(() => {})
    })
    await tracer.flush()
    expect(await cli(url, 'list', '--session', 'chat-7')).toMatch(
      /gpt-4o +- +- +ana +generateText gpt-4o · upstream connect error/,
    )
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    onCleanup(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`${url}/#/session/chat-7`)
    const turns = page.locator('.turn .turn-meta')
    await expect.poll(() => turns.count()).toBe(2)
    const [ok, failed] = await turns.allInnerTexts()
    expect(ok).toContain('12 → 3 tokens')
    expect(failed).toContain('error')
    expect(failed).not.toContain('tokens')
  })
})

interface TraceText {
  input?: string
  output?: string
}

describe('trace --export md', () => {
  it('shows prompts, names and errors as they were written, where Markdown would change them', async () => {
    const url = await startDev()
    const tracer = tracerFor(url)
    const prompt = '<context>Paris is the *capital*</context> Is `Paris` big? [see](x)'
    // A fine-tuned model the price table does not know.
    const tuned = model(tracer, 'ft:gpt-4o:acme', 'Yes: **very** <b>big</b>')
    await generateText({ model: tuned, prompt })
    const broken = traceModel(
      new MockLanguageModelV4({
        provider: 'openai.chat',
        modelId: 'gpt-4o',
        doGenerate: async () => {
          throw new SyntaxError(
            `Unexpected token '<', "<html><body>*502*</body>" is not valid JSON`,
          )
        },
      }),
      { tracer },
    )
    await generateText({ model: broken, prompt: 'hi', maxRetries: 0 }).catch(() => {})
    await tracer.flush()

    const ok = await cli(url, 'list', '--status', 'ok', '--json')
    const okId = (JSON.parse(ok) as { traces: { traceId: string }[] }).traces[0]!.traceId
    const md = await cli(url, 'trace', okId, '--export', '--format', 'md')
    // Inline code: GitHub shows it as written (it drops `<context>` tags in running text).
    expect(md).toContain(`\n- input: \`\`${prompt}\`\`\n`)
    expect(md).toContain('\n- output: `Yes: **very** <b>big</b>`\n')
    // No cost known: nothing is said, rather than a lone "-".
    expect(md).toContain('\n- model `ft:gpt-4o:acme` · 12→3 tokens\n')
    expect(md).toContain('## Debug hints\n\n- none found in the data\n')

    const failed = await cli(url, 'error', '--export', '--format', 'md')
    const message = `Unexpected token '\\<', "\\<html\\>\\<body\\>\\*502\\*\\</body\\>" is not valid JSON`
    expect(failed).toContain(`### SyntaxError: ${message}\n`)
    expect(failed).toContain(`· error · **SyntaxError: ${message}**\n`)
    // Its stack, fenced, as Node prints it: frames indented under the message.
    expect(failed).toMatch(/\n```\nSyntaxError: Unexpected token[^\n]*\n {4}at \S/)
    // The call failed before any usage: no tokens are known, which is not "0→0 tokens".
    expect(failed).toContain('\n- model `gpt-4o`\n')
    // The escapes stand for the characters, nothing else: unescaped, the message is the error's.
    expect(message.replace(/\\(.)/g, '$1')).toBe(
      `Unexpected token '<', "<html><body>*502*</body>" is not valid JSON`,
    )
  })
})

describe.skipIf(!hasChromium)('the viewer list filtered by model, live', () => {
  it('shows a new trace whose later call used that model, as a reload would', async () => {
    const url = await startDev()
    const tracer = tracerFor(url)
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    onCleanup(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`${url}/#/?model=gpt-4o`)
    await page.waitForSelector('#live.on')
    let routed = ''
    await tracer.withSpan('POST /api/support', { kind: 'http' }, async (span) => {
      routed = span.spanContext().traceId
      await generateText({ model: model(tracer, 'gpt-4o-mini', 'billing'), prompt: 'Classify' })
      await generateText({ model: model(tracer, 'gpt-4o', 'Attached.'), prompt: 'Invoice?' })
    })
    await tracer.flush()
    await page.locator(`#trace-rows tr[data-trace-id="${routed}"]`).waitFor({ timeout: 5000 })
    await page.reload()
    await page.locator(`#trace-rows tr[data-trace-id="${routed}"]`).waitFor({ timeout: 5000 })
  })
})

describe.skipIf(!hasChromium)('the bug report and the trace page', () => {
  it('name the steps of a real tool loop the same way', async () => {
    const url = await startDev()
    const [loop] = await sendAiSdkTraces(url, { prompt: 'Weather in Paris?' })
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    })
    onCleanup(() => browser.close())
    const page = await browser.newPage()
    await page.goto(`${url}/#/trace/${loop}`)
    await page.waitForSelector('#wf-axis')
    const viewer = await page.locator('.wf-row .step').allInnerTexts()
    expect(viewer).toEqual(['step 1', 'step 2'])
    const md = await cli(url, 'trace', loop!, '--export', '--format', 'md')
    const report = [...md.matchAll(/llm `chat gpt-4o-mini` \((step \d+)\)/g)].map((m) => m[1])
    expect(report).toEqual(viewer)
  })
})
