// Adds up every package's vitest JSON report into one closing line: "N passed, N failed, N skipped".
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['packages', 'examples', 'tools', 'reliability', 'bench']
const reports = []
for (const root of roots) {
  let entries = []
  try {
    entries = statSync(join(root, 'package.json'), { throwIfNoEntry: false })
      ? ['.']
      : readdirSync(root)
  } catch {
    continue
  }
  for (const entry of entries) {
    const file = join(root, entry, 'test-results', 'vitest.json')
    try {
      reports.push({ name: join(root, entry), report: JSON.parse(readFileSync(file, 'utf8')) })
    } catch {}
  }
}
let passed = 0
let failed = 0
let skipped = 0
for (const { name, report } of reports) {
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + report.numTodoTests
  console.log(
    `  ${name.padEnd(22)} ${report.numPassedTests} passed, ${report.numFailedTests} failed, ${report.numPendingTests} skipped`,
  )
}
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`)
