import { readEnv } from '../env.js'
import type { MetricExporter, MetricsSnapshot } from '../metrics.js'
import { checkOptionKeys } from '../options.js'
import type { Attributes, AttributeValue } from '../types.js'
import { OTLP_ALIASES, parseHeaderList, validateUrl } from './otlp.js'
import { msToNanos, SCOPE_NAME, SCOPE_VERSION } from './otlp-json.js'
import { encodeOtlpMetricsProtobuf } from './otlp-protobuf.js'
import {
  canGzip,
  gzip,
  type OtlpCompression,
  type OtlpProtocol,
  resolveCompression,
  resolveProtocol,
} from './otlp-wire.js'
import { post } from './post.js'

function anyValue(value: AttributeValue): unknown {
  switch (typeof value) {
    case 'string':
      return { stringValue: value }
    case 'boolean':
      return { boolValue: value }
    case 'number':
      return Number.isSafeInteger(value) ? { intValue: String(value) } : { doubleValue: value }
  }
  return { arrayValue: { values: value.map((v) => anyValue(v as AttributeValue)) } }
}

function keyValues(attributes: Attributes) {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: anyValue(value) }))
}

const CUMULATIVE = 2

/** Encodes a metrics snapshot as an OTLP/HTTP JSON `ExportMetricsServiceRequest` body (cumulative). */
export function encodeOtlpMetrics(snapshot: MetricsSnapshot): string {
  const startTimeUnixNano = msToNanos(snapshot.startTime)
  const timeUnixNano = msToNanos(snapshot.time)
  const metrics = snapshot.metrics.map((metric) => {
    const common = { name: metric.name, description: metric.description, unit: metric.unit }
    if (metric.type === 'histogram') {
      return {
        ...common,
        histogram: {
          aggregationTemporality: CUMULATIVE,
          dataPoints: metric.points.map((p) => ({
            attributes: keyValues(p.attributes),
            startTimeUnixNano,
            timeUnixNano,
            count: String(p.count),
            sum: p.sum,
            min: p.min,
            max: p.max,
            bucketCounts: p.bucketCounts.map(String),
            explicitBounds: metric.boundaries,
          })),
        },
      }
    }
    return {
      ...common,
      sum: {
        aggregationTemporality: CUMULATIVE,
        isMonotonic: metric.isMonotonic !== false,
        dataPoints: metric.points.map((p) => ({
          attributes: keyValues(p.attributes),
          startTimeUnixNano,
          timeUnixNano,
          ...(metric.isInteger ? { asInt: String(p.value) } : { asDouble: p.value }),
        })),
      },
    }
  })
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: {
          attributes: keyValues({
            'service.name': snapshot.resource.serviceName,
            ...snapshot.resource.attributes,
          }),
          droppedAttributesCount: 0,
        },
        scopeMetrics: [{ scope: { name: SCOPE_NAME, version: SCOPE_VERSION }, metrics }],
      },
    ],
  })
}

/** The metrics URL OpenTelemetry's env variables point at, or undefined when none is set. */
export function otlpMetricsUrlFromEnv(): string | undefined {
  const metrics = readEnv('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT')
  if (metrics) return validateUrl(metrics, 'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT')
  const base = readEnv('OTEL_EXPORTER_OTLP_ENDPOINT')
  if (base)
    return `${validateUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT').replace(/\/+$/, '')}/v1/metrics`
  return undefined
}

export interface OtlpMetricsExporterOptions {
  /**
   * Full metrics URL. Defaults to `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics`, else `http://localhost:4318/v1/metrics`.
   */
  url?: string
  /** Extra request headers; merged over `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string>
  /** Wire encoding. @default OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else "http/json" */
  protocol?: OtlpProtocol
  /** Body compression where the runtime has `CompressionStream`. @default OTEL_EXPORTER_OTLP_METRICS_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION, else "none" */
  compression?: OtlpCompression
}

/**
 * Sends GenAI metrics as OTLP/HTTP JSON to `/v1/metrics`. Cumulative: a failed send loses nothing,
 * the next one carries the totals.
 */
export function otlpMetricsExporter(options: OtlpMetricsExporterOptions = {}): MetricExporter {
  checkOptionKeys(
    options,
    Object.keys({
      url: true,
      headers: true,
      protocol: true,
      compression: true,
    } satisfies Record<keyof OtlpMetricsExporterOptions, true>),
    'otlpMetricsExporter',
    OTLP_ALIASES,
  )
  const { url, headers = {}, protocol, compression } = options
  const target = url
    ? validateUrl(url, 'otlpMetricsExporter({ url })')
    : (otlpMetricsUrlFromEnv() ?? 'http://localhost:4318/v1/metrics')
  const requestHeaders = {
    ...parseHeaderList(readEnv('OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS'),
    ...parseHeaderList(
      readEnv('OTEL_EXPORTER_OTLP_METRICS_HEADERS'),
      'OTEL_EXPORTER_OTLP_METRICS_HEADERS',
    ),
    ...headers,
  }
  const wire = resolveProtocol(
    protocol,
    'otlpMetricsExporter({ protocol })',
    'METRICS',
    'http/json',
  )
  const gzipped =
    resolveCompression(compression, 'otlpMetricsExporter({ compression })', 'METRICS') === 'gzip' &&
    canGzip()
  requestHeaders['content-type'] =
    wire === 'http/protobuf' ? 'application/x-protobuf' : 'application/json'
  if (gzipped) requestHeaders['content-encoding'] = 'gzip'
  return {
    name: 'otlp-metrics',
    url: target,
    headerNames: Object.keys(requestHeaders),
    async export(snapshot, signal) {
      const body =
        wire === 'http/protobuf' ? encodeOtlpMetricsProtobuf(snapshot) : encodeOtlpMetrics(snapshot)
      return post(target, gzipped ? await gzip(body) : body, requestHeaders, signal)
    },
  }
}

/** Prints a short summary of the GenAI metrics at each export: calls, errors, tokens, p50 latency, cost. */
export function consoleMetricsExporter(
  options: {
    /** Where lines go. @default console.log */
    write?: (line: string) => void
  } = {},
): MetricExporter {
  checkOptionKeys(options, ['write'], 'consoleMetricsExporter')
  const { write = (line: string) => console.log(line) } = options
  return {
    name: 'console-metrics',
    async export(snapshot) {
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
      const sum =
        duration?.type === 'histogram' ? duration.points.reduce((n, p) => n + p.sum, 0) : 0
      write(
        `[tokentrail metrics] ${snapshot.resource.serviceName}: ${total('tokentrail.llm.calls')} LLM calls, ` +
          `${total('tokentrail.llm.errors')} errors, ${tokenSum('input')} input / ${tokenSum('output')} output tokens, ` +
          `mean ${count ? ((sum / count) * 1000).toFixed(0) : '-'} ms, $${total('tokentrail.llm.cost').toFixed(4)}, ` +
          `${total('tokentrail.tool.calls')} tool calls`,
      )
      return { code: 'success' }
    },
  }
}
