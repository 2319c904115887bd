import { readEnv } from '../env.js'
import { TokentrailError } from '../errors.js'
import { maskedUrl } from '../masked-url.js'
import { collectionName } from '../options.js'

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
  // Env values are enums, read regardless of case as OpenTelemetry reads them (HTTP/PROTOBUF).
  const specific = readEnv(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`)?.toLowerCase()
  if (specific) return checked(specific, `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`)
  const general = readEnv('OTEL_EXPORTER_OTLP_PROTOCOL')?.toLowerCase()
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
  const specific = readEnv(`OTEL_EXPORTER_OTLP_${signal}_COMPRESSION`)?.toLowerCase()
  if (specific) return checked(specific, `OTEL_EXPORTER_OTLP_${signal}_COMPRESSION`)
  const general = readEnv('OTEL_EXPORTER_OTLP_COMPRESSION')?.toLowerCase()
  if (general) return checked(general, 'OTEL_EXPORTER_OTLP_COMPRESSION')
  return 'none'
}

/** True where the runtime has `CompressionStream` (Node ≥ 18, Workers, Deno, Bun, browsers). */
export function canGzip(): boolean {
  return typeof (globalThis as { CompressionStream?: unknown }).CompressionStream === 'function'
}

/** Names other OpenTelemetry tools use for our options. */
export const OTLP_ALIASES = { endpoint: 'url', endpointUrl: 'url', baseURL: 'url', baseUrl: 'url' }

/**
 * Parses `k=v,k2=v2` (keys and values percent-decoded, blanks around them trimmed) as
 * OpenTelemetry's `*_HEADERS` and `OTEL_RESOURCE_ATTRIBUTES` variables are written; an entry
 * without `=` or a key, or with a `%` that is not `%XX`, throws naming the variable. With `empty`
 * (headers: they hold keys) an entry is named by its place, never quoted, and a key set to nothing
 * is left out and listed there as "VARIABLE key" (an empty value counts as unset, as an empty
 * variable does). A `;` is part of the value (W3C-baggage metadata is not stripped).
 */
export function parseHeaderList(
  value: string | undefined,
  name: string,
  empty?: string[],
): Record<string, string> {
  const headers: Record<string, string> = {}
  const parts = value ? value.split(',') : []
  for (const [i, raw] of parts.entries()) {
    const part = raw.trim()
    if (part === '') continue
    const at = part.indexOf('=')
    const entry = empty ? `entry ${i + 1} of ${parts.length}` : `"${part}"`
    // `Authorization: Bearer …`, a header line pasted as it is: a name of letters is no secret.
    const line = empty && /^([A-Za-z-]{1,40})\s*:/.exec(part)?.[1]
    if (at < 1)
      throw new TokentrailError(
        `${name} must be a list of key=value pairs separated by commas; ${entry} has no ${at ? '"="' : 'key'}${line ? ` (a header line: write ${line}=value, a space as %20)` : ''}`,
      )
    let key: string
    let text: string
    try {
      key = decodeURIComponent(part.slice(0, at).trim())
      text = decodeURIComponent(part.slice(at + 1).trim())
    } catch (cause) {
      throw new TokentrailError(
        `${name}: ${entry} is not valid percent-encoding (a % starts %XX; %25 is a % sign)`,
        { cause },
      )
    }
    // `abc123==` (base64 padding read as the "=") is a key without its name, as is a name HTTP
    // refuses (`Bearer abc==`): the key would go out as a header name, said nowhere.
    if (empty && (!TOKEN.test(key) || /^=+$/.test(text)))
      throw new TokentrailError(
        `${name}: ${entry} has no valid header name before its "=" (a value without its name?)`,
      )
    if (empty && text === '') {
      delete headers[key]
      empty.push(`${name} ${key}`)
    } else headers[key] = text
  }
  return headers
}

/**
 * `lists` merged into one, later lists winning: header names compare regardless of case, as HTTP
 * reads them (`fetch` would send `Authorization` and `authorization` as one header holding both
 * values), and the winner's spelling is kept.
 */
export function mergeHeaders(...lists: Record<string, string>[]): Record<string, string> {
  const merged: Record<string, string> = {}
  for (const list of lists)
    for (const [name, value] of Object.entries(list)) setHeader(merged, name, value)
  return merged
}

/** Sets `name` on `headers`, replacing it in any spelling. */
export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  const lower = name.toLowerCase()
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) delete headers[key]
  headers[name] = value
}

// A header name: an HTTP token.
const TOKEN = /^[\w!#$%&'*+.^`|~-]+$/

/**
 * Checks the headers an exporter will send: names HTTP tokens, values without line breaks or
 * control characters. Node's http and `fetch` refuse those at send time, which would fail every
 * export as a network error; told at creation instead. Values are never quoted: they hold keys.
 */
export function checkHeaderList(headers: Record<string, string>, where: string) {
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name))
      throw new TokentrailError(`${where}: ${JSON.stringify(name)} is not a valid header name`)
    if (/[^\t\x20-\x7e\x80-\xff]/.test(value))
      throw new TokentrailError(
        `${where}: \`${name}\` holds a line break, a control character or one past U+00FF`,
      )
  }
  return headers
}

/** Checks a `headers` option: header names to strings (numbers are sent as text), none empty. */
export function checkHeaders(value: unknown, where: string): Record<string, string> {
  const headers: Record<string, string> = {}
  if (value === undefined) return headers
  if (!value || typeof value !== 'object')
    throw new TokentrailError(`${where} must be an object of header values, got ${String(value)}`)
  // A fetch Headers or a Map has no own keys: its headers (an API key) were not sent, unsaid.
  const collection = collectionName(value, true)
  if (collection)
    throw new TokentrailError(`${where} must be an object of header values, got ${collection}`)
  for (const [name, header] of Object.entries(value)) {
    if (typeof header !== 'string' && typeof header !== 'number')
      throw new TokentrailError(
        `${where}: \`${name}\` must be a string, got ${String(header)} (is its variable set?)`,
      )
    if (header === '')
      throw new TokentrailError(`${where}: \`${name}\` is empty (is its variable set?)`)
    headers[name] = String(header)
  }
  return checkHeaderList(headers, where)
}

// Whether a URL starts with a scheme and `//`: `collector:4318` and `user:key@host` do not (a URL
// parser reads `collector:` and `user:` as their schemes).
const hasScheme = (value: string) => /^[a-z][a-z0-9+.-]*:\/\//i.test(value)
const noScheme = (value: string) =>
  value.trim() === '' || hasScheme(value) ? '' : ': it has no http:// or https:// in front'

/** Checks that `value` is an absolute http(s) URL, naming `option` in the error when it is not. */
export function validateUrl(value: string, option: string): string {
  // Quoted masked: a password or a key in a URL that is wrong goes to the logs with the message.
  const notAbsolute = () =>
    `${option} must be an absolute http(s) URL such as http://localhost:4318, got "${maskedUrl(value)}"${noScheme(value)}`
  let url: URL
  try {
    url = new URL(value)
  } catch (cause) {
    throw new TokentrailError(notAbsolute(), { cause })
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new TokentrailError(
      hasScheme(value)
        ? `${option} must use http or https, got "${url.protocol}" in "${maskedUrl(value)}"`
        : notAbsolute(),
    )
  return url.toString()
}

/**
 * The URL OpenTelemetry's env variables point at for one signal: `OTEL_EXPORTER_OTLP_{SIGNAL}_ENDPOINT`,
 * else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` or `/v1/metrics`; undefined when none is set.
 */
export function otlpUrlFromEnv(signal: 'TRACES' | 'METRICS'): string | undefined {
  const name = `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`
  const specific = readEnv(name)
  if (specific) return validateUrl(specific, name)
  const base = readEnv('OTEL_EXPORTER_OTLP_ENDPOINT')
  if (!base) return undefined
  const checked = validateUrl(base, 'OTEL_EXPORTER_OTLP_ENDPOINT')
  // The signal's path goes after the base's path, not after its query (`…?api_key=…` kept).
  const at = checked.search(/[?#]/)
  const [path, rest] = at === -1 ? [checked, ''] : [checked.slice(0, at), checked.slice(at)]
  return `${path.replace(/\/+$/, '')}/v1/${signal.toLowerCase()}${rest}`
}

/**
 * Where an OTLP exporter of one signal sends, checked at creation: its `url` option, else the env
 * URL, else the local default; its headers merged over `OTEL_EXPORTER_OTLP_HEADERS` and
 * `OTEL_EXPORTER_OTLP_{SIGNAL}_HEADERS`. `where` names the factory in errors.
 */
export function otlpTarget(
  signal: 'TRACES' | 'METRICS',
  where: string,
  url: string | undefined,
  headers?: Record<string, string>,
): { target: string; requestHeaders: Record<string, string>; emptyEnvHeaders: string[] } {
  const checked = checkHeaders(headers, `${where}({ headers })`)
  // An empty `url` is a mistake (an unset variable), not a request for the default.
  const target =
    url !== undefined
      ? validateUrl(url, `${where}({ url })`)
      : (otlpUrlFromEnv(signal) ?? `http://localhost:4318/v1/${signal.toLowerCase()}`)
  // An env header set to nothing (`x-api-key=`, its variable unset) is not sent, and said once.
  const empty: string[] = []
  const fromEnv = (name: string) =>
    checkHeaderList(parseHeaderList(readEnv(name), name, empty), name)
  const requestHeaders = mergeHeaders(
    fromEnv('OTEL_EXPORTER_OTLP_HEADERS'),
    fromEnv(`OTEL_EXPORTER_OTLP_${signal}_HEADERS`),
    checked,
  )
  const sent = Object.keys(requestHeaders).map((name) => name.toLowerCase())
  return {
    target,
    requestHeaders,
    // "VARIABLE key" for each such header that no other source sets.
    emptyEnvHeaders: empty.filter(
      (entry) => !sent.includes(entry.slice(entry.indexOf(' ') + 1).toLowerCase()),
    ),
  }
}

/**
 * The encoding and compression of an OTLP exporter (see `resolveProtocol`, `resolveCompression`),
 * with `content-type` and `content-encoding` added to `requestHeaders` to match.
 */
export function otlpEncoding(
  signal: 'TRACES' | 'METRICS',
  where: string,
  options: { protocol?: unknown; compression?: unknown },
  fallback: OtlpProtocol,
  requestHeaders: Record<string, string>,
): { wire: OtlpProtocol; gzipped: boolean } {
  const wire = resolveProtocol(options.protocol, `${where}({ protocol })`, signal, fallback)
  const gzipped =
    resolveCompression(options.compression, `${where}({ compression })`, signal) === 'gzip' &&
    canGzip()
  setHeader(
    requestHeaders,
    'content-type',
    wire === 'http/protobuf' ? 'application/x-protobuf' : 'application/json',
  )
  // The body's encoding is the exporter's: a `content-encoding` from the headers option or env
  // (`gzip` over a body it does not compress) made every export a 400. `compression` sets it.
  if (gzipped) setHeader(requestHeaders, 'content-encoding', 'gzip')
  else
    for (const key of Object.keys(requestHeaders))
      if (key.toLowerCase() === 'content-encoding') delete requestHeaders[key]
  return { wire, gzipped }
}
