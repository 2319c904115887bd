import { readEnv } from '../env.js'
import { TokentrailError } from '../errors.js'
import { lazy } from '../lazy.js'
import { checkOptionKeys, checkOptionsObject } from '../options.js'
import type { SpanExporter } from '../types.js'
import { detectProfile, OTLP_PROFILES, type OtlpProfile } from './otlp-profile.js'
import {
  OTLP_ALIASES,
  type OtlpCompression,
  type OtlpProtocol,
  otlpEncoding,
  otlpTarget,
} from './otlp-wire.js'

export interface OtlpExporterOptions {
  /**
   * Full traces URL. Defaults to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else
   * `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`, else `http://localhost:4318/v1/traces`.
   */
  url?: string | undefined
  /** Extra request headers; merged over `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`). */
  headers?: Record<string, string> | undefined
  /**
   * Wire encoding. @default OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL,
   * else `http/protobuf` for the phoenix and datadog profiles (they accept nothing else) and
   * `http/json` otherwise
   */
  protocol?: OtlpProtocol | undefined
  /**
   * Body compression, where the runtime has `CompressionStream` (else sent as is).
   * @default OTEL_EXPORTER_OTLP_TRACES_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION, else "none"
   */
  compression?: OtlpCompression | undefined
  /**
   * The backend's extra keys to add on the wire (see docs/backends.md): `langfuse`, `phoenix`,
   * `datadog`, or `otel` for none. @default TOKENTRAIL_OTLP_PROFILE, else detected from the URL
   * (cloud.langfuse.com or `/api/public/otel`, app.phoenix.arize.com or port 6006, datadoghq), else "otel"
   */
  profile?: OtlpProfile | undefined
  /** Phoenix profile: also send `gen_ai.tool.definitions` as `llm.tools.N.tool.json_schema` (large). @default false */
  toolDefinitions?: boolean | undefined
}

// Typed against the interface, so an option added there without being listed here fails typecheck.
const OTLP_KEYS = Object.keys({
  url: true,
  headers: true,
  protocol: true,
  compression: true,
  profile: true,
  toolDefinitions: true,
} satisfies Record<keyof OtlpExporterOptions, true>)

/**
 * Sends spans as OTLP/HTTP JSON to `/v1/traces`: the Tokentrail collector, Jaeger, Tempo,
 * Honeycomb, Langfuse or any OpenTelemetry collector.
 *
 * @example
 * createTracer({ exporters: [otlpExporter({ url: 'http://localhost:4318/v1/traces' })] })
 */
export function otlpExporter(options: OtlpExporterOptions = {}): SpanExporter {
  checkOptionsObject(options, 'otlpExporter', '{ url }')
  checkOptionKeys(options, OTLP_KEYS, 'otlpExporter', OTLP_ALIASES)
  const { url, headers, profile, toolDefinitions = false } = options
  if (typeof toolDefinitions !== 'boolean')
    throw new TokentrailError(
      `otlpExporter({ toolDefinitions }) must be true or false, got ${JSON.stringify(toolDefinitions)}`,
    )
  const { target, requestHeaders, emptyEnvHeaders } = otlpTarget(
    'TRACES',
    'otlpExporter',
    url,
    headers,
  )
  const backend = resolveProfile(profile, target, requestHeaders)
  if (
    backend === 'datadog' &&
    !Object.keys(requestHeaders).some((k) => k.toLowerCase() === 'dd-otlp-source')
  )
    requestHeaders['dd-otlp-source'] = 'llmobs'
  const { wire, gzipped } = otlpEncoding(
    'TRACES',
    'otlpExporter',
    options,
    backend === 'phoenix' || backend === 'datadog' ? 'http/protobuf' : 'http/json',
    requestHeaders,
  )
  // The encoder, the backend's mapper and the transport load at the first export, not at start-up.
  const sender = lazy(() =>
    import('./otlp-send.js').then(({ traceSender }) =>
      traceSender({ target, headers: requestHeaders, wire, gzipped, backend, toolDefinitions }),
    ),
  )
  return {
    name: 'otlp',
    url: target,
    headerNames: Object.keys(requestHeaders),
    protocol: wire,
    profile: backend,
    emptyEnvHeaders,
    async export(spans, signal) {
      return (await sender())(spans, signal)
    },
  } as SpanExporter & { url: string; protocol: OtlpProtocol; profile: OtlpProfile }
}

function resolveProfile(
  option: unknown,
  url: string,
  headers: Record<string, string>,
): OtlpProfile {
  // The variable, as OpenTelemetry's enum variables, in any case (`Langfuse`).
  const value = option ?? readEnv('TOKENTRAIL_OTLP_PROFILE')?.trim().toLowerCase()
  if (value === undefined) return detectProfile(url, headers)
  if (OTLP_PROFILES.includes(value as OtlpProfile)) return value as OtlpProfile
  throw new TokentrailError(
    `${option === undefined ? 'TOKENTRAIL_OTLP_PROFILE' : 'otlpExporter({ profile })'} must be one of ${OTLP_PROFILES.map((p) => `"${p}"`).join(', ')}, got ${JSON.stringify(value)}`,
  )
}
