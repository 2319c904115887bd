import { readEnv } from '../env.js'
import { TokentrailError } from '../errors.js'

/** The OTLP/HTTP encodings we send. */
export type OtlpProtocol = 'http/json' | 'http/protobuf'
/** Request body compression. */
export type OtlpCompression = 'gzip' | 'none'

const PROTOCOLS: readonly string[] = ['http/json', 'http/protobuf']

/**
 * The protocol an exporter uses: its option, else `OTEL_EXPORTER_OTLP_{SIGNAL}_PROTOCOL`, else
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, else `fallback`. `grpc` is refused with what to use instead.
 */
export function resolveProtocol(
  option: unknown,
  optionName: string,
  signal: 'TRACES' | 'METRICS',
  fallback: OtlpProtocol,
): OtlpProtocol {
  const checked = (value: unknown, name: string): OtlpProtocol => {
    if (typeof value === 'string' && PROTOCOLS.includes(value)) return value as OtlpProtocol
    const hint = value === 'grpc' ? ' (gRPC is not supported: use http/protobuf)' : ''
    throw new TokentrailError(
      `${name} must be "http/protobuf" or "http/json", got ${JSON.stringify(value)}${hint}`,
    )
  }
  if (option !== undefined) return checked(option, optionName)
  const specific = readEnv(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`)
  if (specific) return checked(specific, `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`)
  const general = readEnv('OTEL_EXPORTER_OTLP_PROTOCOL')
  if (general) return checked(general, 'OTEL_EXPORTER_OTLP_PROTOCOL')
  return fallback
}

/** Compression: the option, else `OTEL_EXPORTER_OTLP_{SIGNAL}_COMPRESSION`, else `…_COMPRESSION`, else none. */
export function resolveCompression(
  option: unknown,
  optionName: string,
  signal: 'TRACES' | 'METRICS',
): OtlpCompression {
  const checked = (value: unknown, name: string): OtlpCompression => {
    if (value === 'gzip' || value === 'none') return value
    throw new TokentrailError(`${name} must be "gzip" or "none", got ${JSON.stringify(value)}`)
  }
  if (option !== undefined) return checked(option, optionName)
  const specific = readEnv(`OTEL_EXPORTER_OTLP_${signal}_COMPRESSION`)
  if (specific) return checked(specific, `OTEL_EXPORTER_OTLP_${signal}_COMPRESSION`)
  const general = readEnv('OTEL_EXPORTER_OTLP_COMPRESSION')
  if (general) return checked(general, 'OTEL_EXPORTER_OTLP_COMPRESSION')
  return 'none'
}

/** True where the runtime has `CompressionStream` (Node ≥ 18, Workers, Deno, Bun, browsers). */
export function canGzip(): boolean {
  return typeof (globalThis as { CompressionStream?: unknown }).CompressionStream === 'function'
}
