/**
 * Which backend an OTLP exporter feeds. Our spans keep the GenAI conventions as the source of
 * truth; a profile adds, on the wire only, the few keys that backend reads to show the rest.
 * `otel` adds nothing (Tempo, Honeycomb, Jaeger, a collector, `tokentrail dev`).
 */
export type OtlpProfile = 'otel' | 'langfuse' | 'phoenix' | 'datadog'

export const OTLP_PROFILES: readonly OtlpProfile[] = ['otel', 'langfuse', 'phoenix', 'datadog']

/** Guesses the profile from the endpoint: hosted Langfuse, Phoenix and Datadog have known URLs. */
export function detectProfile(url: string, headers: Record<string, string>): OtlpProfile {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'otel'
  }
  const host = parsed.hostname
  if (host.includes('langfuse') || parsed.pathname.includes('/api/public/otel')) return 'langfuse'
  if (host.includes('datadoghq') || host.includes('ddog-gov')) return 'datadog'
  for (const key in headers) if (key.toLowerCase() === 'dd-otlp-source') return 'datadog'
  if (host.includes('phoenix') || host.includes('arize') || parsed.port === '6006') return 'phoenix'
  return 'otel'
}
