// CI check of the benchmark: the whole suite runs at a small size and prints its table. It checks
// that it completes, not the figures (timings on a shared CI machine prove nothing).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, test } from 'vitest'

const benchDir = fileURLToPath(new URL('..', import.meta.url))

function runSmall() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['src/run.mjs', '--small'], { cwd: benchDir })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (data) => {
      stdout += data
    })
    child.stderr.on('data', (data) => {
      stderr += data
    })
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

test('the suite runs at a small size and prints the table with every row and contender', async () => {
  const { code, stdout, stderr } = await runSmall()
  expect(code, stderr).toBe(0)
  const table = stdout.split('\n').filter((line) => line.startsWith('| '))
  expect(table[0]).toBe(
    '| measure | No tracing | Tokentrail | AI SDK OTel | Langfuse | PostHog | Braintrust | LangSmith |',
  )
  const rows = table.slice(1).map((line) => line.split(' | '))
  const perCall = (node, prompt, long) => [
    ...(node === '22' ? [`generateText, ${prompt}, Node 22: µs per call, wall (min–max)`] : []),
    `generateText, ${prompt}, Node ${node}: wall µs added per call (× untraced)`,
    `generateText, ${prompt}, Node ${node}: CPU µs added per call (× untraced)${long ? ' · in passes of JSON.stringify(prompt)' : ''}`,
  ]
  expect(rows.map((cells) => cells[0].slice(2))).toEqual([
    ...perCall('22', '1 message'),
    ...perCall('22', '50 messages / 20 KB', true),
    ...perCall('24', '1 message'),
    ...perCall('24', '50 messages / 20 KB', true),
    'time to first chunk, 1 message, Node 22: µs (min–max)',
    'time to first chunk, 1 message, Node 22: µs added (min–max)',
    'time to first chunk, 50 messages / 20 KB, Node 22: µs added (min–max)',
    'heap held per open stream, 50 messages / 20 KB, Node 22: KB added (min–max)',
    'time to first chunk, 1 message, Node 24: µs added (min–max)',
    'time to first chunk, 50 messages / 20 KB, Node 24: µs added (min–max)',
    'streamText, 2 × 2k-chunk answers per side: k chunks/s (min–max)',
    'streamText: throughput traced ÷ untraced (min–max)',
    'streamText: CPU µs per chunk added, traced − untraced (min–max)',
    'retained heap and buffers after 500 calls, sink answering: MB (min–max)',
    'retained heap and buffers after 500 calls, exporter down: MB (min–max)',
    'export: k spans/s delivered to the sink, sustained (min–max)',
    'export: k LLM calls/s delivered (spans per call)',
    'export: bytes sent per call',
    'size, the setup below: min+gzip KB at start-up (minified KB) + later · one file · Rolldown',
    'size, createTracer + otlpExporter: min+gzip KB at start-up (minified KB) + later · one file · Rolldown',
    'size, next + ai-sdk (withTracing + traceModel): min+gzip KB at start-up (minified KB) + later · one file · Rolldown',
  ])
  const tokentrail = (title) => rows.find((cells) => cells[0].slice(2) === title)[2]
  // Tokentrail's column is measured in full: a number in every cell, no failure — except the
  // Node 24 time-to-first-chunk rows, which only the full size runs.
  for (const cells of rows) {
    if (/first chunk.*Node 24/.test(cells[0])) expect(cells[2]).toBe('—')
    else expect(cells[2]).toMatch(/^\**[+-]?\d/)
  }
  // The per-call rows carry CPU time beside wall time, and the long prompt its passes.
  expect(
    tokentrail(
      'generateText, 50 messages / 20 KB, Node 22: CPU µs added per call (× untraced) · in passes of JSON.stringify(prompt)',
    ),
  ).toMatch(/^\**[+-]?\d+\.\d \([+-]?\d+\.\d to [+-]?\d+\.\d\) \d+\.\d\d× · -?\d+\.\d\**$/)
  // Its spans reached the sink: two per call (the call span and its LLM span).
  const exportRow = rows.find((cells) => cells[0].includes('LLM calls/s'))
  expect(exportRow[2]).toMatch(/\(2\.00\)/)
  // LangSmith's runs reached the sink through its multipart endpoint and were counted: two per
  // call (the generateText run and its LLM run).
  expect(exportRow[7]).toMatch(/\(2\.00\)/)
  // The noise floor (untraced vs untraced) is printed for every per-call row, both Node versions.
  expect(stdout).toMatch(
    /\*\*Noise floor\*\*.*1 message, Node 22: wall .* µs, CPU .* µs;.*50 messages \/ 20 KB, Node 24: wall /,
  )
  // Whether the traced side delivered every span of the per-call rows is said (a side that
  // dropped spans did less export work, and its rows would flatter it).
  expect(stdout).toMatch(
    /Tokentrail, overhead: (every span of the measured calls was delivered \([\d,]+ exported|\*\*[\d,]+ spans dropped)/,
  )
  expect(stdout).toMatch(/Node v22\.\d+\.\d+ and v24\.\d+\.\d+/)
  expect(stdout).toContain('**Targets**')
})
