import { buildSpanTree, type SpanTreeNode } from '../tree.js'
import type { SpanData } from '../types.js'

/** One span as the structured line the console exporter prints. */
export function spanToLogRecord(span: SpanData) {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    kind: span.kind,
    service: span.resource.serviceName,
    startTime: new Date(span.startTime).toISOString(),
    durationMs: Math.round((span.endTime - span.startTime) * 1000) / 1000,
    status: span.status,
    attributes: span.attributes,
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.length > 0 ? span.events : undefined,
    droppedEventsCount: span.droppedEventsCount,
    error: span.error ? { type: span.error.type, message: span.error.message } : undefined,
  }
}

function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)}s` : `${ms.toFixed(1)}ms`
}

// Strips control characters so span text cannot move the cursor or recolour a terminal.
function plain(text: string): string {
  return text.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '')
}

function treeLines(
  node: SpanTreeNode,
  prefix: string,
  last: boolean,
  out: string[],
  root: boolean,
) {
  const { span } = node
  const status =
    span.status === 'ok'
      ? ''
      : ` [${span.status}${span.error ? `: ${plain(span.error.message)}` : ''}]`
  const usage =
    span.attributes['gen_ai.usage.input_tokens'] !== undefined
      ? ` ${span.attributes['gen_ai.usage.input_tokens']}→${span.attributes['gen_ai.usage.output_tokens'] ?? '?'} tokens`
      : ''
  const branch = root ? '' : last ? '└─ ' : '├─ '
  out.push(
    `${prefix}${branch}${plain(span.name)} ${formatDuration(node.duration)}${usage}${status}`,
  )
  const childPrefix = root ? prefix : prefix + (last ? '   ' : '│  ')
  node.children.forEach((child, i) => {
    treeLines(child, childPrefix, i === node.children.length - 1, out, false)
  })
}

/** Writes spans as `consoleExporter` prints them: a tree per trace, or one JSON line per span. */
export function printSpans(
  spans: readonly SpanData[],
  pretty: boolean,
  write: (line: string) => void,
): void {
  if (pretty) {
    for (const root of buildSpanTree(spans)) {
      const lines: string[] = [`trace ${root.span.traceId}`]
      treeLines(root, '  ', true, lines, true)
      write(lines.join('\n'))
    }
  } else {
    for (const span of spans) write(JSON.stringify(spanToLogRecord(span)))
  }
}
