// Prints the AI SDK major × scenario matrix from a vitest JSON report of test/matrix.test.ts
// (and test/providers.test.ts): `pnpm --filter @tokentrail/ai-sdk run matrix`.
import { readFileSync } from 'node:fs'

const report = JSON.parse(readFileSync(process.argv[2] ?? 'test-results/matrix.json', 'utf8'))
const rows = new Map()
const majors = new Set()
for (const file of report.testResults) {
  for (const test of file.assertionResults) {
    const [suite] = test.ancestorTitles
    const major = /ai@\d/.exec(suite)?.[0] ?? suite
    // Provider suites are named `Anthropic, ai@5 + …`: the provider leads the scenario.
    const scenario = suite.startsWith('ai@') ? test.title : `${suite.split(',')[0]}: ${test.title}`
    majors.add(major)
    if (!rows.has(scenario)) rows.set(scenario, new Map())
    rows.get(scenario).set(major, test.status === 'passed' ? 'pass' : test.status.toUpperCase())
  }
}
const columns = [...majors].sort()
const cut = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text)
console.log(`| scenario | ${columns.join(' | ')} |`)
console.log(`|---|${columns.map(() => '---').join('|')}|`)
for (const [scenario, results] of rows)
  console.log(
    `| ${cut(scenario, 110)} | ${columns.map((c) => results.get(c) ?? '—').join(' | ')} |`,
  )
