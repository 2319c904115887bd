import type { MetricsSnapshot } from '../metrics.js'

/** The line `consoleMetricsExporter` prints: calls, errors, tokens, mean latency, cost, tool calls. */
export function summarizeMetrics(snapshot: MetricsSnapshot): string {
  const find = (name: string) => snapshot.metrics.find((m) => m.name === name)
  const total = (name: string) => {
    const metric = find(name)
    return metric?.type === 'sum' ? metric.points.reduce((n, p) => n + p.value, 0) : 0
  }
  const tokens = find('gen_ai.client.token.usage')
  const tokenSum = (type: string) =>
    tokens?.type === 'histogram'
      ? tokens.points
          .filter((p) => p.attributes['gen_ai.token.type'] === type)
          .reduce((n, p) => n + p.sum, 0)
      : 0
  const duration = find('gen_ai.client.operation.duration')
  const count =
    duration?.type === 'histogram' ? duration.points.reduce((n, p) => n + p.count, 0) : 0
  const sum = duration?.type === 'histogram' ? duration.points.reduce((n, p) => n + p.sum, 0) : 0
  return (
    `[tokentrail metrics] ${snapshot.resource.serviceName}: ${total('tokentrail.llm.calls')} LLM calls, ` +
    `${total('tokentrail.llm.errors')} errors, ${tokenSum('input')} input / ${tokenSum('output')} output tokens, ` +
    `mean ${count ? ((sum / count) * 1000).toFixed(0) : '-'} ms, $${total('tokentrail.llm.cost').toFixed(4)}, ` +
    `${total('tokentrail.tool.calls')} tool calls`
  )
}
