// Issue 17: the trace answer leaves out what the page does not show until asked — long prompts and
// outputs of big spans are cut, and one span is fetched whole on demand.
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { type CliIO, type Collector, runCli, startCollector } from '../src/index.js'
import { onCleanup, tempDir } from './helpers.js'
import { hexId, postSpans, span } from './synthetic.js'

async function collector(): Promise<Collector> {
  const c = await startCollector({ port: 0, db: join(tempDir(), 'traces.db') })
  onCleanup(() => c.close())
  return c
}

async function run(argv: string[]) {
  let stdout = ''
  let stderr = ''
  const io: Partial<CliIO> = {
    stdout: {
      write: (text: string) => {
        stdout += text
        return true
      },
    },
    stderr: {
      write: (text: string) => {
        stderr += text
        return true
      },
    },
    env: {},
  }
  const code = await runCli(argv, io)
  return { code, stdout, stderr }
}

describe('trace answers', () => {
  it('cut long attribute strings of big spans, and serve one span whole on demand', async () => {
    const c = await collector()
    const traceId = hexId(32)
    const root = hexId(16)
    const llm = hexId(16)
    const prompt = `${'You are a careful assistant. '.repeat(2000)}END-OF-PROMPT`
    const now = Date.now()
    const spans = [
      span({ traceId, spanId: root, name: 'POST /api/chat', kind: 'http', startTime: now }),
      span({
        traceId,
        spanId: llm,
        parentSpanId: root,
        name: 'chat gpt-4o',
        kind: 'llm',
        startTime: now + 1,
        attributes: {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.input.messages': prompt,
          'gen_ai.usage.input_tokens': 12_000,
          'tokentrail.cost.usd': 0.25,
          'gen_ai.response.finish_reasons': ['stop'],
          'tokentrail.streamed': true,
          'tokentrail.cached': false,
          'short.text': 'kept',
        },
      }),
    ]
    expect(await postSpans(c.url, spans)).toBe(200)
    const answer = await fetch(`${c.url}/api/traces/${traceId}`)
    const text = await answer.text()
    expect(text.length).toBeLessThan(10_000)
    const detail = JSON.parse(text)
    const [first, second] = detail.spans
    expect(first.truncated).toBeUndefined()
    expect(second.truncated).toBe(true)
    expect(second.attributes['gen_ai.input.messages']).toBe(`${prompt.slice(0, 2000)}…`)
    // Every other attribute keeps its value and type.
    expect(second.attributes).toMatchObject({
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 12_000,
      'tokentrail.cost.usd': 0.25,
      'gen_ai.response.finish_reasons': ['stop'],
      'tokentrail.streamed': true,
      'tokentrail.cached': false,
      'short.text': 'kept',
    })
    const whole = await (await fetch(`${c.url}/api/traces/${traceId}/spans/${llm}`)).json()
    expect(whole.attributes['gen_ai.input.messages']).toBe(prompt)
    expect(whole.truncated).toBeUndefined()
    const full = await (await fetch(`${c.url}/api/traces/${traceId}?full=1`)).json()
    expect(full.spans[1].attributes['gen_ai.input.messages']).toBe(prompt)
    // A trace id prefix works as for the trace; an unknown span is a 404.
    expect((await fetch(`${c.url}/api/traces/${traceId.slice(0, 10)}/spans/${llm}`)).status).toBe(
      200,
    )
    const missing = await fetch(`${c.url}/api/traces/${traceId}/spans/${'0'.repeat(16)}`)
    expect(missing.status).toBe(404)
    expect((await missing.json()).error).toBe(`no span "${'0'.repeat(16)}" in trace "${traceId}"`)
    // `--json` prints the spans whole; the terminal view does not need them.
    const json = await run(['trace', traceId, '--json', '--url', c.url])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout).spans[1].attributes['gen_ai.input.messages']).toBe(prompt)
    const shown = await run(['trace', traceId, '--url', c.url])
    expect(shown.code).toBe(0)
    expect(shown.stdout).toContain('chat gpt-4o')
  }, 30_000)
})

// The README: the API's trace rows carry `rootMissing: true` for a trace whose root span has not
// arrived, whether the viewer shows it `in progress` (newest span under 10 minutes old) or
// `no root span`; the root's arrival clears it.
describe('a trace without its root span in the API', () => {
  it('carries rootMissing: true while in progress and once old, none after the root arrives', async () => {
    const c = await collector()
    const fresh = hexId(32)
    const old = hexId(32)
    const freshRoot = hexId(16)
    const now = Date.now()
    const child = (traceId: string, parentSpanId: string, startTime: number) =>
      span({
        traceId,
        spanId: hexId(16),
        parentSpanId,
        name: 'chat gpt-4o',
        startTime,
        endTime: startTime + 20,
      })
    expect(await postSpans(c.url, [child(fresh, freshRoot, now - 1000)])).toBe(200)
    expect(await postSpans(c.url, [child(old, hexId(16), now - 3_600_000)])).toBe(200)
    const rows = async () =>
      ((await (await fetch(`${c.url}/api/traces`)).json()) as { traces: any[] }).traces
    const missing = async () =>
      Object.fromEntries((await rows()).map((t) => [t.traceId, t.rootMissing]))
    expect(await missing()).toEqual({ [fresh]: true, [old]: true })
    expect(
      await postSpans(c.url, [
        span({ traceId: fresh, spanId: freshRoot, name: 'POST /api/chat', startTime: now - 1500 }),
      ]),
    ).toBe(200)
    expect(await missing()).toEqual({ [fresh]: undefined, [old]: true })
  })
})
