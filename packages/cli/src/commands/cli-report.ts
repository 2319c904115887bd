import { writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseAttribute, parseCost, parseMinDuration } from '../collector/query-params.js'
import { formatReportMarkdown, type TraceReport } from '../report/report.js'
import type { TraceDetail } from '../store/store.js'
import { CliError, type CollectorClient } from './client.js'
import { safeText } from './format.js'

type Values = Record<string, string | boolean | string[] | undefined>

/** The `list` filters on trace identity, as `/api/traces` query parameters. */
export function readListFilters(values: Values): Record<string, string | string[] | undefined> {
  const attrs = (values.attr as string[] | undefined) ?? []
  for (const attr of attrs)
    if (!parseAttribute(attr))
      throw new CliError(`--attr must be key=value, such as http.route=/api/chat, got "${attr}"`, 2)
  const minDuration = values['min-duration'] as string | undefined
  if (minDuration !== undefined && parseMinDuration(minDuration) === undefined)
    throw new CliError(
      `--min-duration must be milliseconds or a duration such as 500ms or 2s, got "${minDuration}"`,
      2,
    )
  const minCost = values['min-cost'] as string | undefined
  if (minCost !== undefined && parseCost(minCost) === undefined)
    throw new CliError(`--min-cost must be US dollars such as 0.01, got "${minCost}"`, 2)
  return {
    user: values.user as string | undefined,
    session: values.session as string | undefined,
    tag: (values.tag as string[] | undefined) ?? [],
    attr: attrs,
    minDuration,
    minCost,
  }
}

/**
 * `--export`: fetches the trace's report and writes it as Markdown or JSON, to stdout when
 * stdout is not a terminal, else to `--out` or a file named after the trace.
 */
export async function exportReport(
  client: CollectorClient,
  path: string,
  values: Values,
  { out, cwd }: { out: { write(text: string): unknown; isTTY?: boolean }; cwd: string },
): Promise<number> {
  const format = (values.format as string | undefined) ?? 'md'
  if (format !== 'md' && format !== 'markdown' && format !== 'json')
    throw new CliError(`--format must be md or json, got "${format}"`, 2)
  // Only the trace's id is needed here (one waterfall row): the report holds the rest.
  const { trace } = await client.get<TraceDetail>(path, { limit: 1 }, 'trace')
  const report = await client.get<TraceReport>(`/api/traces/${trace.traceId}/report`, {
    raw: values.raw ? '1' : undefined,
  })
  const text =
    format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatReportMarkdown(report)
  const target = values.out as string | undefined
  if (target === '-' || (target === undefined && !out.isTTY)) {
    out.write(text)
    return 0
  }
  const file = resolve(
    cwd,
    target ?? `tokentrail-trace-${trace.traceId}.${format === 'json' ? 'json' : 'md'}`,
  )
  await writeFile(file, text)
  out.write(
    safeText(
      `exported trace ${trace.traceId} (${report.trace.spanCount} spans, ${report.hints.length} hints${report.spans ? ', raw spans' : ''}) to ${file}\n`,
    ),
  )
  return 0
}

/**
 * What `import` sends: a JSON file as it is, or the raw spans block of a Markdown report
 * written with `--raw`.
 */
export function importableBody(text: string, file: string): string {
  const trimmed = text.trimStart()
  if (trimmed.startsWith('{')) return text
  // The report's last section (`formatReportMarkdown`), read from its last heading on: a regex
  // tried again at each earlier heading rescanned the rest of the file each time (a file of many
  // headings took seconds per hundred KB), and a heading quoted in a span's text came first.
  const heading = '\n## Raw spans\n\n'
  const at = text.lastIndexOf(heading)
  const open =
    at < 0 ? null : /^(`{3,})json\n/.exec(text.slice(at + heading.length, at + heading.length + 64))
  if (open) {
    const fence = `\n${open[1]}`
    const from = at + heading.length + open[0].length
    // The first line that is the fence alone; the search only moves forward.
    for (
      let close = text.indexOf(fence, from - 1);
      close >= 0;
      close = text.indexOf(fence, close + 1)
    ) {
      const next = text.charAt(close + fence.length)
      if (next === '' || next === '\n' || next === '\r')
        return text.slice(from, Math.max(from, close))
    }
  }
  throw new CliError(
    `${file} holds no spans: export with --raw (tokentrail last --export --raw > trace.md)`,
  )
}
