import { TokentrailError } from '../errors.js'
import { lazy } from '../lazy.js'
import type { MetricExporter } from '../metrics.js'
import { checkOptionKeys, checkOptionsObject } from '../options.js'
import {
  OTLP_ALIASES,
  type OtlpCompression,
  type OtlpProtocol,
  otlpEncoding,
  otlpTarget,
} from './otlp-wire.js'

export interface OtlpMetricsExporterOptions {
  /**
   * Full metrics URL. Defaults to `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/metrics`, else `http://localhost:4318/v1/metrics`.
   */
  url?: string | undefined
  /** Extra request headers; merged over `OTEL_EXPORTER_OTLP_HEADERS`. */
  headers?: Record<string, string> | undefined
  /** Wire encoding. @default OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else "http/json" */
  protocol?: OtlpProtocol | undefined
  /** Body compression where the runtime has `CompressionStream`. @default OTEL_EXPORTER_OTLP_METRICS_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION, else "none" */
  compression?: OtlpCompression | undefined
}

/**
 * Sends GenAI metrics as OTLP/HTTP JSON to `/v1/metrics`. Cumulative: a failed send loses nothing,
 * the next one carries the totals.
 */
export function otlpMetricsExporter(options: OtlpMetricsExporterOptions = {}): MetricExporter {
  checkOptionsObject(options, 'otlpMetricsExporter', '{ url }')
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
  const { target, requestHeaders, emptyEnvHeaders } = otlpTarget(
    'METRICS',
    'otlpMetricsExporter',
    options.url,
    options.headers,
  )
  const { wire, gzipped } = otlpEncoding(
    'METRICS',
    'otlpMetricsExporter',
    options,
    'http/json',
    requestHeaders,
  )
  // The encoders and the transport load at the first export, not at start-up.
  const sender = lazy(() =>
    import('./otlp-metrics-send.js').then(({ metricsSender }) =>
      metricsSender(target, requestHeaders, wire, gzipped),
    ),
  )
  const exporter: MetricExporter & { emptyEnvHeaders: string[] } = {
    name: 'otlp-metrics',
    url: target,
    headerNames: Object.keys(requestHeaders),
    emptyEnvHeaders,
    async export(snapshot, signal) {
      return (await sender())(snapshot, signal)
    },
  }
  return exporter
}

/** Prints a short summary of the GenAI metrics at each export: calls, errors, tokens, p50 latency, cost. */
export function consoleMetricsExporter(
  options: {
    /** Where lines go. @default console.log */
    write?: ((line: string) => void) | undefined
  } = {},
): MetricExporter {
  checkOptionsObject(options, 'consoleMetricsExporter', '{ write }')
  checkOptionKeys(options, ['write'], 'consoleMetricsExporter')
  const { write = (line: string) => console.log(line) } = options
  if (typeof write !== 'function')
    throw new TokentrailError('consoleMetricsExporter: write must be a function (line) => void')
  const summary = lazy(() => import('./metrics-summary.js'))
  return {
    name: 'console-metrics',
    async export(snapshot) {
      write((await summary()).summarizeMetrics(snapshot))
      return { code: 'success' }
    },
  }
}
