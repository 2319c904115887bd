import { ExportError, networkCode } from './export-error.js'

// How a failed export is explained and classified: loaded when an export first fails.

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (nothing listens there)',
  ENOTFOUND: 'host not found (DNS)',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  ECONNRESET: 'connection reset by the receiver',
  EPIPE: 'connection closed by the receiver',
  ETIMEDOUT: 'connect timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_SOCKET: 'connection closed by the receiver',
  // What https:// to a plain-http port gets: the answer is not TLS.
  EPROTO: 'TLS handshake failed (https:// to a port that speaks plain http?)',
}

/**
 * A low-cardinality `error.type` for a failed export, as OpenTelemetry's conventions spell it: the
 * HTTP status code, `timeout`, the network error code (`ECONNREFUSED`…), else `_OTHER`.
 */
export function exportErrorType(error: unknown): string {
  try {
    const e = error as ExportError
    if (e?.name === 'ExportError') {
      if (e.code === 'timeout') return 'timeout'
      if (e.status !== undefined) return String(e.status)
    }
    const code = networkCode(error)
    return code && /^[A-Z0-9_]{2,40}$/.test(code) ? code : '_OTHER'
  } catch {
    return '_OTHER'
  }
}

// Whether a receiver's message says more than its status (`404 page not found` does not).
function saysMore(detail: string | undefined, name: string | undefined): detail is string {
  if (!detail) return false
  const letters = (text: string) => text.toLowerCase().replace(/\b\d{3}\b|page|[^a-z]/g, '')
  return !name || letters(detail) !== letters(name)
}

/** A short reason for a failed export attempt: refused, 404 wrong path, 401, timeout, redirect… */
export function describeExportFailure(
  error: unknown,
  url?: string,
  signal: 'traces' | 'metrics' = 'traces',
  // The exporter's `name`: where its token is set differs (`http` takes `apiKey`).
  exporter?: string,
): string {
  try {
    if (error instanceof ExportError || (error as ExportError)?.name === 'ExportError') {
      const e = error as ExportError
      // Said by the exporter itself, whole: not a network code.
      if (e.code === 'timeout' || e.code === 'body_too_large') return e.message
      if (e.code === 'html')
        return `${e.status} with an HTML page, not an OTLP answer: that address is a web app, not an OTLP receiver (check the host, port and path)`
      const status = e.status
      if (status !== undefined) {
        // What the receiver said of it (`400 Bad Request: invalid project key`), where it did.
        const name = STATUS_TEXT[status]
        const text = `${status}${name ? ` ${name}` : ''}${saysMore(e.detail, name) ? ` ("${e.detail}")` : ''}`
        if (status >= 300 && status < 400)
          return `redirected (${status}${e.location ? ` to ${e.location}` : ''}): redirects are not followed, use the final URL`
        if (status === 404) {
          const path = url ? safePath(url) : undefined
          // OTEL_EXPORTER_OTLP_ENDPOINT set to the full traces URL: the signal path went on twice.
          if (path && /\/v1\/(traces|metrics)\/v1\/(traces|metrics)$/.test(path))
            return `${text}: "${path}" has /v1/… twice. OTEL_EXPORTER_OTLP_ENDPOINT is the base URL (such as http://localhost:4318), to which /v1/${signal} is added; drop the path from it, or set the full URL in OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`
          if (path && !/\/v1\/(traces|metrics)$/.test(path))
            return `${text}: wrong path? "${path}" is not /v1/${signal}; OTLP/HTTP ${signal} go to <endpoint>/v1/${signal}`
          return `${text}: nothing takes ${signal} at ${path ? `"${path}"` : 'this URL'} (a wrong path, or a backend that takes no ${signal})`
        }
        if (status === 401 || status === 403)
          return `${text}: check the token (${exporter === 'http' ? 'the apiKey or headers option' : 'headers option or OTEL_EXPORTER_OTLP_HEADERS'})`
        if (status === 415) return `${text}: the receiver wants another encoding (protobuf?)`
        return text
      }
    }
    const code = networkCode(error)
    if (code) {
      if (NETWORK_REASONS[code]) return `${NETWORK_REASONS[code]} [${code}]`
      if (/CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return `TLS failed [${code}]`
      // Node's HTTP parser on an answer that is not HTTP/1.x: what an OTLP/gRPC port (HTTP/2
      // frames) sends back to an OTLP/HTTP request.
      if (code.startsWith('HPE_'))
        return `the answer is not HTTP/1.1 [${code}]: ${
          url && portOf(url) === '4317'
            ? '4317 is the OTLP/gRPC port; OTLP/HTTP listens on 4318'
            : 'an OTLP/gRPC port? OTLP/HTTP usually listens on 4318'
        }`
      return `network error [${code}]`
    }
    if (error instanceof Error) {
      // fetch says only "fetch failed"; the cause says why ("bad port", a TLS message…).
      const cause = (error as { cause?: unknown }).cause
      const detail = cause instanceof Error && cause.message ? ` (${cause.message})` : ''
      return `${error.message || error.name}${detail}`
    }
    return String(error)
  } catch {
    return 'unknown error'
  }
}

function portOf(url: string): string | undefined {
  try {
    return new URL(url).port
  } catch {
    return undefined
  }
}

function safePath(url: string): string | undefined {
  try {
    return new URL(url).pathname
  } catch {
    return undefined
  }
}
