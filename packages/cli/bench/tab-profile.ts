// Where a live viewer tab spends its CPU: one collector, TABS tabs in headless Chromium, live
// traffic at the collector bench's rate (5 traces / 25 spans per POST, 20 POSTs a second), then
// CPU per Chromium process type, the renderer's own counters (script, style, layout, paint) and,
// with TRACE=1, the busiest trace events.
//   node --disable-warning=ExperimentalWarning bench/tab-profile.ts   (TABS=1, POSTS=200)
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startCollector } from '@tokentrail/cli'
import type { SpanData } from '@tokentrail/core'
import { encodeOtlpTraces } from '@tokentrail/core/otlp'
import { chromium } from 'playwright-core'

const TABS = Number(process.env.TABS ?? 1)
const POSTS = Number(process.env.POSTS ?? 200)
const hex = (bytes: number) => randomBytes(bytes).toString('hex')
const PROMPT = JSON.stringify([
  {
    role: 'user',
    parts: [{ type: 'text', content: 'What is the weather in Paris today? '.repeat(6) }],
  },
])
const OUTPUT = JSON.stringify([
  { role: 'assistant', parts: [{ type: 'text', content: 'It is 21°C and sunny. '.repeat(4) }] },
])

function trace(start: number, n: number): SpanData[] {
  const traceId = hex(16)
  const root = hex(8)
  const resource = { serviceName: 'chat-api', attributes: {} }
  return [
    {
      traceId,
      spanId: root,
      name: 'POST /api/chat',
      kind: 'http',
      startTime: start,
      endTime: start + 900,
      status: n % 20 ? 'ok' : 'error',
      attributes: { 'user.id': `user-${n % 1000}`, 'tokentrail.tags': ['bench'] },
      events: [],
      resource,
    },
    ...[0, 1, 2, 3].map(
      (i): SpanData => ({
        traceId,
        spanId: hex(8),
        parentSpanId: root,
        name: 'chat gpt-4o-mini',
        kind: 'llm',
        startTime: start + 5 + i * 200,
        endTime: start + 190 + i * 200,
        status: 'ok',
        attributes: {
          'gen_ai.request.model': 'gpt-4o-mini',
          'gen_ai.usage.input_tokens': 180,
          'gen_ai.usage.output_tokens': 40,
          'tokentrail.cost.usd': 0.00012,
          'gen_ai.input.messages': PROMPT,
          'gen_ai.output.messages': OUTPUT,
        },
        events: [],
        resource,
      }),
    ),
  ]
}

/** CPU seconds of each process under this one, by Chromium process type. */
function cpuByType(): Map<string, number> {
  const parent = new Map<number, number>()
  const cpu = new Map<number, number>()
  const type = new Map<number, string>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const fields = readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.split(' ')
      parent.set(Number(name), Number(fields[1]))
      cpu.set(Number(name), (Number(fields[11]) + Number(fields[12])) / 100)
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8')
      const t = /--type=([a-z-]+)/.exec(cmd)?.[1] ?? (cmd.includes('chrom') ? 'browser' : 'other')
      const sub = /--utility-sub-type=([\w.]+)/.exec(cmd)?.[1]
      type.set(Number(name), sub ? `${t}:${sub}` : t)
    } catch {}
  }
  const out = new Map<string, number>()
  for (const [pid, seconds] of cpu) {
    let p = parent.get(pid)
    while (p && p !== process.pid) p = parent.get(p)
    if (p !== process.pid) continue
    const t = type.get(pid) ?? '?'
    out.set(t, (out.get(t) ?? 0) + seconds)
  }
  return out
}

const dir = mkdtempSync(join(tmpdir(), 'tt-tab-profile-'))
const collector = await startCollector({ port: 0, db: join(dir, 'db'), maxTraces: 0 })
let k = 0
for (let b = 0; b < 100; b++) {
  const batch: SpanData[] = []
  for (let i = 0; i < 20; i++) batch.push(...trace(Date.now() - 3_600_000 + k * 100, k++))
  collector.store.insert(batch)
}
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
})
try {
  const pages = []
  for (let t = 0; t < TABS; t++) {
    const page = await browser.newPage({ bypassCSP: Boolean(process.env.CSS) })
    page.on('pageerror', (e) => console.log('page error', e.message))
    await page.goto(`${collector.url}/${process.env.HASH ?? ''}`)
    if (process.env.CSS) await page.addStyleTag({ content: process.env.CSS })
    if (!process.env.HASH?.startsWith('blank')) await page.waitForSelector('#live.on')
    pages.push(page)
  }
  const cdp = await pages[0]!.context().newCDPSession(pages[0]!)
  await cdp.send('Performance.enable')
  const metrics = async () =>
    Object.fromEntries(
      (
        (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }
      ).metrics.map((m) => [m.name, m.value]),
    )
  if (process.env.PROFILE) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
    await cdp.send('Profiler.start')
  }
  const tracing = process.env.TRACE === '1'
  if (tracing)
    await browser.startTracing(pages[0], {
      path: join(dir, 'trace.json'),
      categories: [
        'devtools.timeline',
        'disabled-by-default-devtools.timeline',
        'blink',
        'cc',
        'viz',
        'gpu',
      ],
    })
  const before = await metrics()
  const cpu0 = cpuByType()
  const t0 = performance.now()
  for (let b = 0; b < POSTS; b++) {
    const batch: SpanData[] = []
    for (let i = 0; i < 5; i++) batch.push(...trace(Date.now() - 1000, k++))
    const response = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: encodeOtlpTraces(batch),
    })
    await response.arrayBuffer()
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const seconds = (performance.now() - t0) / 1000
  const cpu1 = cpuByType()
  const after = await metrics()
  console.log(`${TABS} tab(s), ${POSTS} POSTs in ${seconds.toFixed(1)} s`)
  console.log(
    '  rows in the first tab (shown / in the page):',
    await pages[0]!.evaluate(
      () =>
        `${document.querySelectorAll('tr.trace-row:not([hidden])').length} / ${document.querySelectorAll('tr.trace-row').length}`,
    ),
  )
  for (const [t, s] of cpu1)
    console.log(
      `  ${t.padEnd(40)} ${(((s - (cpu0.get(t) ?? 0)) * 1000) / POSTS).toFixed(2)} ms CPU per POST`,
    )
  console.log('  first tab, Performance.getMetrics deltas (ms per POST or count per POST):')
  for (const name of Object.keys(after)) {
    const d = (after[name] ?? 0) - (before[name] ?? 0)
    if (!d) continue
    const ms = name.endsWith('Duration')
    console.log(
      `    ${name.padEnd(28)} ${ms ? ((d * 1000) / POSTS).toFixed(3) : (d / POSTS).toFixed(3)}`,
    )
  }
  if (process.env.PROFILE) {
    const { profile } = (await cdp.send('Profiler.stop')) as {
      profile: {
        nodes: {
          id: number
          callFrame: { functionName: string; url: string; lineNumber: number }
        }[]
        samples: number[]
        timeDeltas: number[]
      }
    }
    const self = new Map<string, number>()
    const byId = new Map(profile.nodes.map((n) => [n.id, n]))
    profile.samples.forEach((id, i) => {
      const f = byId.get(id)!.callFrame
      const key = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}`
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0))
    })
    console.log('  JS self time, top 20 (ms total):')
    for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20))
      console.log(`    ${(us / 1000).toFixed(1).padStart(8)}  ${key}`)
  }
  if (tracing) {
    await browser.stopTracing()
    const events = JSON.parse(readFileSync(join(dir, 'trace.json'), 'utf8')).traceEvents as {
      name: string
      ph: string
      dur?: number
      tdur?: number
      tid: number
      pid: number
    }[]
    const total = new Map<string, { dur: number; count: number }>()
    for (const e of events) {
      if (e.ph !== 'X' || !e.tdur) continue
      const key = e.name
      const v = total.get(key) ?? { dur: 0, count: 0 }
      v.dur += e.tdur
      v.count++
      total.set(key, v)
    }
    console.log('  trace events by thread time (inclusive), top 30 (ms per POST, count):')
    for (const [key, v] of [...total].sort((a, b) => b[1].dur - a[1].dur).slice(0, 30))
      console.log(
        `    ${(v.dur / 1000 / POSTS).toFixed(3).padStart(8)} ${String(v.count).padStart(6)}  ${key}`,
      )
  }
  for (const page of pages) await page.close()
} finally {
  await browser.close()
  await collector.close()
  if (process.env.KEEP) console.log('kept', dir)
  else rmSync(dir, { recursive: true, force: true })
}
