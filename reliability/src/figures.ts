// Figures the tests measure: appended as JSON lines during the run, printed as tables at the end
// (vitest global teardown) and written to results/latest.md for the README.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url))
const LINES = `${RESULTS}figures.jsonl`

/** `full` for `pnpm test:reliability`, else the short CI run. */
export const SCALE = process.env.RELIABILITY_SCALE === 'full' ? 'full' : 'ci'
export const FULL = SCALE === 'full'

/** One row of one table; `columns` fixes the column order of that table. */
export function recordFigure(table: string, columns: string[], row: Record<string, unknown>) {
  mkdirSync(RESULTS, { recursive: true })
  appendFileSync(LINES, `${JSON.stringify({ table, columns, row })}\n`)
}

export function resetFigures() {
  rmSync(LINES, { force: true })
}

function cell(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) < 10 ? 2 : 1)
  return String(value ?? '')
}

/** The recorded figures as Markdown tables. */
export function figuresMarkdown(): string {
  if (!existsSync(LINES)) return ''
  const tables = new Map<string, { columns: string[]; rows: Record<string, unknown>[] }>()
  for (const line of readFileSync(LINES, 'utf8').split('\n')) {
    if (!line) continue
    const { table, columns, row } = JSON.parse(line)
    let entry = tables.get(table)
    if (!entry) tables.set(table, (entry = { columns, rows: [] }))
    entry.rows.push(row)
  }
  let out = ''
  for (const [name, { columns, rows }] of tables) {
    const cells = rows.map((row) => columns.map((c) => cell(row[c])))
    const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)))
    const line = (values: string[]) =>
      `| ${values.map((v, i) => v.padEnd(widths[i]!)).join(' | ')} |`
    out += `\n**${name}**\n\n${line(columns)}\n| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |\n`
    for (const row of cells) out += `${line(row)}\n`
  }
  return out
}

/** Prints the tables and writes results/latest-<scale>.md. */
export function printFigures() {
  const markdown = figuresMarkdown()
  if (!markdown) return
  const header = `Reliability figures (${SCALE} run, ${new Date().toISOString().slice(0, 16)}Z, node ${process.version}, ${process.arch})\n`
  writeFileSync(`${RESULTS}latest-${SCALE}.md`, `${header}${markdown}`)
  process.stdout.write(`\n${header}${markdown}\n`)
}
