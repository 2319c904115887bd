import type { DoctorReport } from './doctor.js'
import { type Palette, safeText } from './format.js'

function mark(ok: boolean | null, p: Palette): string {
  return ok === true ? p.green('✓') : ok === false ? p.red('✗') : p.dim('–')
}

/** The report for people. Captured text goes through the one escape function. */
export function formatDoctorReport(report: DoctorReport, version: string, p: Palette): string {
  const lines: string[] = [
    `${p.bold('tokentrail doctor')} ${version} (Node ${report.node})`,
    '',
    `config (${report.source === 'env' ? 'from the environment' : `from ${safeText(report.source)}`})`,
  ]
  const row = (label: string, value: string) => lines.push(`  ${label.padEnd(14)} ${value}`)
  const c = report.config
  if (c) {
    row('tracing', c.enabled ? 'on' : `off: ${c.why}`)
    row('service', safeText(c.serviceName))
    row('sampling', `${Math.round(c.sampleRate * 1000) / 10} % of traces`)
    row(
      'recording',
      `inputs ${c.recordInputs ? 'yes' : 'no'}, outputs ${c.recordOutputs ? 'yes' : 'no'}`,
    )
    row('warnings', `${c.warnings ? 'on' : 'off'}${c.debug ? ', debug on' : ''}`)
    if (c.exporters.length === 0) row('exporters', 'none')
    for (const [i, e] of c.exporters.entries()) {
      row(i === 0 ? 'exporters' : '', `${e.name}${e.url ? ` → ${safeText(e.url)}` : ''}`)
      if (e.headers.length > 0)
        row('', p.dim(`headers: ${e.headers.map(safeText).join(', ')} (values not shown)`))
    }
    row(
      'metrics',
      c.metrics.length === 0
        ? 'off'
        : c.metrics.map((m) => `${m.name}${m.url ? ` → ${safeText(m.url)}` : ''}`).join(', '),
    )
  }
  const env = Object.entries(report.env)
  if (env.length > 0) {
    lines.push('', 'environment')
    for (const [name, value] of env) lines.push(`  ${name}=${safeText(value)}`)
  }
  for (const exporter of [...report.exporters, ...report.metrics]) {
    lines.push('', `${exporter.name}${exporter.url ? ` → ${safeText(exporter.url)}` : ''}`)
    for (const check of exporter.checks)
      lines.push(`  ${mark(check.ok, p)} ${check.name.padEnd(12)} ${safeText(check.detail)}`)
  }
  for (const note of report.notes) lines.push('', `${p.yellow('note')} ${note}`)
  lines.push('', `${mark(report.ok, p)} ${safeText(report.verdict)}`)
  return `${lines.join('\n')}\n`
}
