import { readEnv } from '../env.js'
import { TokentrailError } from '../errors.js'
import { checkOptionKeys } from '../options.js'
import type { ExportResult, SpanExporter } from '../types.js'
import { encodeOtlpTraces } from './otlp-json.js'
import { post } from './post.js'

export interface OtlpExporterOptions {
  /**
   * Full traces URL. Defaults to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`.
   */
  url?: string
  /** Extra request headers; merged over `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`). */
  headers?: Record<string, string>
}

/** Names other OpenTelemetry tools use for our options. */
export const OTLP_ALIASES = { endpoint: 'url', endpointUrl: 'url', baseURL: 'url', baseUrl: 'url' }

/** Parses `k=v,k2=v2` (values URL-encoded) as OpenTelemetry's `*_HEADERS` variables are written. */
export function parseHeaderList(value: string | undefined, name: string): Record<string, string> {
  const headers: Record<string, string> = {}
  if (!value) return headers
  for (const part of value.split(',')) {
    if (part.trim() === '') continue
    const index = part.indexOf('=')
    if (index <= 0)
      throw new TokentrailError(
        `${name} must be a list of key=value pairs separated by commas; "${part.trim()}" has no "="`,
      )
    try {
      headers[decodeURIComponent(part.slice(0, index).trim())] = decodeURIComponent(
        part.slice(index + 1).trim(),
      )
    } catch (cause) {
      throw new TokentrailError(`${name} has a badly encoded value in "${part.trim()}"`, { cause })
    }
  }
  return headers
}

/** Checks that `value` is an absolute http(s) URL, naming `option` in the error when it is not. */
export function validateUrl(value: string, option: string): string {
  let url: URL
  try {
    url = new URL(value)
  } catch (cause) {
    throw new TokentrailError(
      `${option} must be an absolute http(s) URL such as http://localhost:4318, got "${value}"`,
      { cause },
    )
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TokentrailError(
      `${option} must use http or https, got "${url.protocol}" in "${value}"`,
    )
  return url.toString()
}

/** The traces URL OpenTelemetry's env variables point at, or undefined when none is set. */
export function otlpTracesUrlFromEnv(): string | undefined {
  const traces = readEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  if (traces) return validateUrl(traces, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')
  const base = readEnv('OTEL_EXPORTER_OTLP_ENDPOINT')
  if (base)
    return `${validateUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT').replace(/\/+$/, '')}/v1/traces`
  return undefined
}

function readPartialSuccess(text: string): ExportResult {
  if (!text) return { code: 'success' }
  try {
    const partial = JSON.parse(text)?.partialSuccess
    const rejected = Number(partial?.rejectedSpans ?? 0)
    if (rejected > 0)
      return { code: 'success', rejected, message: String(partial.errorMessage ?? '') }
  } catch {}
  return { code: 'success' }
}

/**
 * Sends spans as OTLP/HTTP JSON to `/v1/traces`: the Tokentrail collector, Jaeger, Tempo,
 * Honeycomb, Langfuse or any OpenTelemetry collector.
 *
 * @example
 * createTracer({ exporters: [otlpExporter({ url: 'http://localhost:4318/v1/traces' })] })
 */
export function otlpExporter(options: OtlpExporterOptions = {}): SpanExporter {
  checkOptionKeys(options, ['url', 'headers'], 'otlpExporter', OTLP_ALIASES)
  const { url, headers = {} } = options
  const target = url
    ? validateUrl(url, 'otlpExporter({ url })')
    : (otlpTracesUrlFromEnv() ?? 'http://localhost:4318/v1/traces')
  const requestHeaders = {
    ...parseHeaderList(readEnv('OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS'),
    ...parseHeaderList(
      readEnv('OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
      'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
    ),
    ...headers,
    'content-type': 'application/json',
  }
  return {
    name: 'otlp',
    url: target,
    headerNames: Object.keys(requestHeaders),
    export(spans, signal) {
      return post(target, encodeOtlpTraces(spans), requestHeaders, signal, readPartialSuccess)
    },
  }
}
