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
    '| measure | No tracing | Tokentrail | AI SDK OTel | Langfuse | PostHog | Braintrust |',
  )
  const rows = table.slice(1).map((line) => line.split(' | '))
  expect(rows.map((cells) => cells[0].slice(2))).toEqual([
    'generateText: µs per call (min–max)',
    'generateText: µs added per call vs untraced in the same process (× untraced)',
    'streamText, 5k-chunk answer: k chunks/s (min–max)',
    'streamText: throughput traced ÷ untraced (min–max)',
    'time to first chunk: µs (min–max)',
    'time to first chunk: µs added (min–max)',
    'retained heap after 1,000 calls, sink answering: MB (min–max)',
    'retained heap after 1,000 calls, exporter down: MB (min–max)',
    'export: k spans/s delivered to the sink, sustained (min–max)',
    'export: k LLM calls/s delivered (spans per call)',
    'export: bytes sent per call',
    'size: min+gzip KB (minified KB)',
  ])
  // Tokentrail's column is measured in full: a number in every cell, no failure.
  for (const cells of rows) expect(cells[2]).toMatch(/^\**[+]?\d/)
  // Its spans reached the sink: one per call.
  const exportRow = rows.find((cells) => cells[0].includes('LLM calls/s'))
  expect(exportRow[2]).toMatch(/\(1\.00\)/)
  expect(stdout).toContain('**Targets**')
})
