import type { MetricsOff } from './config.js'
import type { readEnv as ReadEnv } from './env.js'

// env.ts's readEnv, handed in by sayEnvNotices' caller (tracer.ts): imported here, env.ts would be
// split from the start-up chunk into a chunk of its own (esbuild's splitting).
let readEnv: typeof ReadEnv
const TLS = ['CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE']
const SIGNALS = ['', 'TRACES_', 'METRICS_']

// OpenTelemetry SDK settings a team may have set for all its services that Tokentrail does not
// read, with what to use instead; a value test where only some values go unheeded.
const UNREAD: [names: string[], instead: string, unheeded?: (value: string) => boolean][] = [
  [
    [
      'OTEL_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_EVENT_COUNT_LIMIT',
      'OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT',
      'OTEL_SPAN_LINK_COUNT_LIMIT',
      'OTEL_LINK_ATTRIBUTE_COUNT_LIMIT',
    ],
    'createTracer({ limits: { maxAttributes } }) bounds attributes and events per span (default 256)',
  ],
  [
    ['OTEL_PROPAGATORS'],
    'Tokentrail always reads and writes W3C traceparent, tracestate and baggage, and no other format',
    (value) =>
      value
        .split(',')
        .some((p) => !['tracecontext', 'baggage', ''].includes(p.trim().toLowerCase())),
  ],
  [
    SIGNALS.flatMap((signal) => TLS.map((part) => `OTEL_EXPORTER_OTLP_${signal}${part}`)),
    "exporters use the runtime's TLS settings (on Node, NODE_EXTRA_CA_CERTS adds a private CA); client certificates are not supported",
  ],
  [
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE'],
    'Tokentrail sends cumulative metrics',
    (value) => value.toLowerCase() !== 'cumulative',
  ],
  [
    ['OTEL_EXPORTER_OTLP_METRICS_TIMEOUT', 'OTEL_METRIC_EXPORT_TIMEOUT'],
    'metrics exports are bounded by exportTimeoutMs (OTEL_EXPORTER_OTLP_TIMEOUT)',
  ],
  [
    ['OTEL_LOG_LEVEL'],
    'TOKENTRAIL_DEBUG=1 logs every export attempt and retry',
    (value) => ['debug', 'verbose', 'all'].includes(value.toLowerCase()),
  ],
]

// Every TOKENTRAIL_ variable a Tokentrail package reads (the CLI's too): another set in the
// environment is a typo that would pass without a word (TOKENTRAIL_RECORD_INPUT=false recorded
// every prompt).
const KNOWN = [
  'TOKENTRAIL_ENABLED',
  'TOKENTRAIL_RECORD_INPUTS',
  'TOKENTRAIL_RECORD_OUTPUTS',
  'TOKENTRAIL_WARNINGS',
  'TOKENTRAIL_DEBUG',
  'TOKENTRAIL_METRICS',
  'TOKENTRAIL_OTLP_PROFILE',
  'TOKENTRAIL_TRACES_SAMPLER',
  'TOKENTRAIL_SAMPLING_KEEP_ERRORS',
  'TOKENTRAIL_SAMPLING_KEEP_CANCELLED',
  'TOKENTRAIL_SAMPLING_SLOWER_THAN_MS',
  'TOKENTRAIL_SAMPLING_COST_ABOVE_USD',
  'TOKENTRAIL_SAMPLING_TOKENS_ABOVE',
  'TOKENTRAIL_SAMPLING_MAX_SPANS_PER_TRACE',
  'TOKENTRAIL_SAMPLING_MAX_BUFFERED_SPANS',
  'TOKENTRAIL_SAMPLING_MAX_BUFFERED_BYTES',
  'TOKENTRAIL_TEXT_SAMPLE_RATE',
  'TOKENTRAIL_TEXT_SAMPLE_ERRORS',
  'TOKENTRAIL_REDACT',
  'TOKENTRAIL_REDACT_PATHS',
  'TOKENTRAIL_REDACT_REPLACE',
  'TOKENTRAIL_REDACT_HASH_KEY',
  // The CLI's.
  'TOKENTRAIL_URL',
  'TOKENTRAIL_TOKEN',
]

const SAID = Symbol.for('tokentrail.notice.env')

/** What `createTracer` found that the notices below need. */
export interface EnvNoticeInput {
  /** Why the metrics env asks for could not be sent. */
  metricsOff?: MetricsOff | undefined
  /** The OpenTelemetry variables passed over as unusable, as a list. */
  envIgnored?: string | undefined
  /** The tracer's exporters: OTLP ones list the headers env set to nothing (`emptyEnvHeaders`). */
  exporters: readonly object[]
  /** Whether trace-complete sampling and redaction rules are on. */
  sampling: boolean
  redaction: boolean
}

/**
 * Says the OpenTelemetry variables set but not read or passed over as unusable, why the metrics
 * env asks for are off, OTLP headers set to nothing, and Tokentrail variables that tune a feature
 * that is off, each once per process (per distinct text).
 */
export function sayEnvNotices(
  warn: (message: string) => void,
  input: EnvNoticeInput,
  read: typeof ReadEnv,
  closest: (name: string, valid: readonly string[]) => string | undefined,
): void {
  readEnv = read
  const g = globalThis as Record<symbol, Set<string> | undefined>
  const said = (g[SAID] ??= new Set())
  const names = envNames()
  for (const message of [
    unknownEnvNotice(names, closest),
    unreadEnvNotice(),
    metricsOffNotice(input.metricsOff),
    input.envIgnored &&
      `OpenTelemetry settings Tokentrail cannot use, treated as not set: ${input.envIgnored}. Tracing is not affected; the option in code or the next variable decides, else the default.`,
    emptyHeadersNotice([
      ...new Set(
        input.exporters.flatMap(
          (exporter) => (exporter as { emptyEnvHeaders?: string[] }).emptyEnvHeaders ?? [],
        ),
      ),
    ]),
    featureOffNotice(input, names),
  ]) {
    if (message === undefined || said.has(message)) continue
    said.add(message)
    warn(message)
  }
}

/** Why the GenAI metrics env asks for are off, or partly (see `metricExportersFromEnv`). */
function metricsOffNotice(off: MetricsOff | undefined): string | undefined {
  if (!off) return undefined
  if ('error' in off)
    return `GenAI metrics are off: ${off.error}. Traces are not affected; set the _METRICS_ variables for Tokentrail, or TOKENTRAIL_METRICS=false to turn metrics off without this line.`
  const list = off.skipped.map((name) => `"${name}"`).join(', ')
  return `OTEL_METRICS_EXPORTER names ${list}, which Tokentrail does not send GenAI metrics to (it sends otlp and console)${off.none ? ': they are off' : ''}. Traces are not affected; TOKENTRAIL_METRICS=false turns metrics off without this line.`
}

const shownEnv = (name: string, value: string) =>
  `${name}=${JSON.stringify(value).slice(1, -1).slice(0, 100)}`

/**
 * The Tokentrail variables set for trace-complete sampling or redaction rules while that feature
 * is off (`TOKENTRAIL_SAMPLING_SLOWER_THAN_MS=5000` without `TOKENTRAIL_TRACES_SAMPLER=trace_complete`):
 * read only when it is on, so they change nothing, which the user setting them does not expect.
 */
function featureOffNotice(
  on: { sampling: boolean; redaction: boolean },
  names: readonly string[],
): string | undefined {
  const parts: string[] = []
  if (!on.sampling) {
    const set = names
      .filter((name) => /^TOKENTRAIL_(SAMPLING_|TEXT_SAMPLE_)/.test(name) && KNOWN.includes(name))
      .sort()
      .flatMap((name) => {
        const value = readEnv(name)
        return value === undefined ? [] : [shownEnv(name, value)]
      })
    if (set.length > 0)
      parts.push(
        `${set.join(', ')} (trace-complete sampling is off: TOKENTRAIL_TRACES_SAMPLER=trace_complete or createTracer({ sampling }) turns it on)`,
      )
  }
  if (!on.redaction) {
    const set: string[] = []
    const replace = readEnv('TOKENTRAIL_REDACT_REPLACE')
    if (replace !== undefined) set.push(shownEnv('TOKENTRAIL_REDACT_REPLACE', replace))
    // A key: named, never shown.
    if (readEnv('TOKENTRAIL_REDACT_HASH_KEY') !== undefined) set.push('TOKENTRAIL_REDACT_HASH_KEY')
    if (set.length > 0)
      parts.push(
        `${set.join(', ')} (redaction rules are off: TOKENTRAIL_REDACT=all, TOKENTRAIL_REDACT_PATHS or createTracer({ redaction }) turns them on)`,
      )
  }
  return parts.length === 0
    ? undefined
    : `Tokentrail settings with no effect, as what they tune is off: ${parts.join('; ')}.`
}

/** The names of the environment's variables, where the runtime lists them (Node, Bun, Deno). */
function envNames(): string[] {
  try {
    return Object.keys((globalThis as { process?: { env?: object } }).process?.env ?? {})
  } catch {
    return []
  }
}

/**
 * The TOKENTRAIL_ variables set that no Tokentrail package reads, each with the likely one meant
 * (names only: a value may be a key); undefined when there are none.
 */
function unknownEnvNotice(
  names: readonly string[],
  closest: (name: string, valid: readonly string[]) => string | undefined,
): string | undefined {
  const unknown = names
    .filter((name) => name.startsWith('TOKENTRAIL_') && !KNOWN.includes(name))
    .sort()
    .map((name) => {
      const meant = closest(name, KNOWN)
      return meant ? `${name} (did you mean ${meant}?)` : name
    })
  return unknown.length === 0
    ? undefined
    : `Tokentrail settings in the environment that nothing reads, so they have no effect: ${unknown.join(', ')}.`
}

/**
 * The OpenTelemetry variables set in the environment that Tokentrail does not read, as one line
 * naming each with what to use instead; undefined when there are none. Never throws.
 */
function unreadEnvNotice(): string | undefined {
  const parts: string[] = []
  for (const [names, instead, unheeded] of UNREAD) {
    const set = names.flatMap((name) => {
      const value = readEnv(name)
      return value !== undefined && (!unheeded || unheeded(value)) ? [shownEnv(name, value)] : []
    })
    if (set.length > 0) parts.push(`${set.join(', ')} (${instead})`)
  }
  return parts.length === 0
    ? undefined
    : `OpenTelemetry settings Tokentrail does not read, so they have no effect here: ${parts.join('; ')}.`
}

// Words of letters, each followed by at most 4 digits, or numbers of at most 4 digits, joined by
// dashes or underscores (`x-api-key`, `x-api-key-2`, `DD_API_KEY`, `X-B3-TraceId`), up to 40
// characters: the CLI's `doctor` shows the same names. A key pasted without its name (a base64 key
// whose `=` padding reads as the name's end, `sk-…=`) has its digits among its letters: not shown.
const shownName = (name: string) =>
  name.length <= 40 &&
  (/^[A-Za-z-]+$/.test(name) ||
    /^[A-Za-z]+\d{0,4}(?:[-_](?:[A-Za-z]+\d{0,4}|\d{1,4}))*$/.test(name))

/**
 * The OTLP headers env set to an empty value (`OTEL_EXPORTER_OTLP_HEADERS=x-api-key=`, written
 * with a variable that is not set), given as "VARIABLE key": not sent, as an empty variable counts
 * as unset, and said so that the missing key is found before the backend answers 401.
 */
function emptyHeadersNotice(entries: readonly string[]): string | undefined {
  if (entries.length === 0) return undefined
  const list = entries.map((entry) => {
    const [name, key] = [entry.slice(0, entry.indexOf(' ')), entry.slice(entry.indexOf(' ') + 1)]
    // A name of words is shown; another may be a key written without its name.
    return `${name} sets ${shownName(key) ? `\`${key}\`` : 'a header (its name not shown: it may hold a key)'}`
  })
  return `${list.join(', ')} to an empty value, so ${entries.length === 1 ? 'that header is' : 'those headers are'} not sent (an empty value counts as unset, as in OpenTelemetry). Is the variable that should fill ${entries.length === 1 ? 'it' : 'them'} set?`
}
