import { readEnv } from '../env.js'
import { lazy } from '../lazy.js'
import type { MetricExporter } from '../metrics.js'
import { checkOptionKeys } from '../options.js'
import { OTLP_ALIASES, parseHeaderList, validateUrl } from './otlp.js'
import {
  canGzip,
  type OtlpCompression,
  type OtlpProtocol,
  resolveCompression,
  resolveProtocol,
} from './otlp-wire.js'

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
  // The encoders and the transport load at the first export, not at start-up.
  const sender = lazy(() =>
    import('./otlp-metrics-send.js').then(({ metricsSender }) =>
      metricsSender(target, requestHeaders, wire, gzipped),
    ),
  )
  return {
    name: 'otlp-metrics',
    url: target,
    headerNames: Object.keys(requestHeaders),
    async export(snapshot, signal) {
      return (await sender())(snapshot, signal)
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
  const summary = lazy(() => import('./metrics-summary.js'))
  return {
    name: 'console-metrics',
    async export(snapshot) {
      write((await summary()).summarizeMetrics(snapshot))
      return { code: 'success' }
    },
  }
}
