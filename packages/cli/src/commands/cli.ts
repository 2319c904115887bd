import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { type SpanStatus, TokentrailError } from '@tokentrail/core'
import { maskedUrl } from '@tokentrail/core/otlp'
import { parseAttribute } from '../collector/query-params.js'
import { type DeliveryHealth, formatDelivery } from '../delivery-health.js'
import { databaseProblem } from '../node-support.js'
import type { MetricsSummary } from '../store/metrics-summary.js'
import type { TraceDetail, TracePage, TraceStats } from '../store/store.js'
import { parseDuration, parseSize, parseTime } from '../time.js'
import { VERSION } from '../version.js'
import { exportReport, importableBody, readListFilters } from './cli-report.js'
import { CliError, CollectorClient, StreamLost } from './client.js'
import { formatDoctorReport, runDoctor } from './doctor.js'
import {
  formatSpanLine,
  formatStats,
  formatTrace,
  formatTraceList,
  type Palette,
  palette,
  safeText,
} from './format.js'
import { formatMetricsSummary } from './format-metrics.js'

/** Where the CLI reads and writes; tests pass their own. */
/**
 * The collector's base URL from --url or TOKENTRAIL_URL (`from`), checked as a URL: without a
 * trailing slash; an error (exit 2) names where it came from and masks a password or query value.
 */
function collectorUrl(given: string, from: string): string {
  const value = given.trim()
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {}
  const wrong = !url
    ? undefined
    : url.protocol !== 'http:' && url.protocol !== 'https:'
      ? 'not http(s)'
      : url.search || url.hash
        ? "it has a query or fragment: give the collector's base URL"
        : ''
  if (wrong === '') return value.replace(/\/+$/, '')
  throw new CliError(
    `${from} must be an http(s) URL such as http://127.0.0.1:4318, got "${maskedUrl(value)}"${wrong ? ` (${wrong})` : ''}`,
    2,
  )
}

export interface CliIO {
  stdout: { write(text: string): unknown; isTTY?: boolean }
  stderr: { write(text: string): unknown }
  env: Record<string, string | undefined>
  cwd: string
  /** Stops `dev` and `tail`; by default SIGINT/SIGTERM. */
  signal?: AbortSignal
  /** Called once `dev` listens, with its URL. */
  onListening?: (url: string) => void
}

type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>

const CLIENT_OPTIONS: OptionSpec = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
}

const EXPORT_OPTIONS: OptionSpec = {
  ...CLIENT_OPTIONS,
  export: { type: 'boolean' },
  format: { type: 'string' },
  raw: { type: 'boolean' },
  out: { type: 'string', short: 'o' },
  all: { type: 'boolean' },
}

const EXPORT_USAGE = `--export writes a bug report for a person or an AI assistant: summary, debug hints read from
the data, one line per span, errors with their causes. Markdown, or JSON with --format json;
--raw adds every span (importable with tokentrail import). It goes to stdout when stdout is
not a terminal (tokentrail last --export > report.md), else to --out FILE or
tokentrail-trace-<trace id>.md (.json with --format json).

A trace of more than 1,000 spans shows its first 1,000; --all shows (or with --json prints) every span.`

const COMMANDS: Record<string, { options: OptionSpec; usage: string; positionals?: number }> = {
  dev: {
    options: {
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      db: { type: 'string' },
      token: { type: 'string' },
      'max-traces': { type: 'string' },
      'max-age': { type: 'string' },
      'max-body': { type: 'string' },
      'max-metric-series': { type: 'string' },
      'max-db-size': { type: 'string' },
      'allowed-hosts': { type: 'string' },
      'cors-origins': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    usage: `tokentrail dev [--port 4318] [--host 127.0.0.1] [--db .tokentrail/traces.db] [--token T]
               [--max-traces 100000] [--max-age 7d] [--max-db-size 2gb] [--max-body 16mb]
               [--max-metric-series 50000]
               [--allowed-hosts devbox.local,traces.internal] [--cors-origins https://app.example]

Starts the local collector and viewer. Receives OTLP/HTTP at /v1/traces and /v1/metrics (JSON
and protobuf) and Tokentrail JSON at /api/spans; stores them in SQLite; serves the viewer at /.
--token (or TOKENTRAIL_TOKEN) makes ingest and API calls need "Authorization: Bearer <token>".
The viewer and API answer only to localhost, IP addresses and the --allowed-hosts names (comma
separated), so other sites' pages cannot read traces through DNS rebinding. Web pages on localhost
may export to /v1/traces, /v1/metrics and /api/spans from the browser (CORS); --cors-origins
(comma separated, or *) adds other origins. No other origin can read the API.`,
  },
  list: {
    options: {
      ...CLIENT_OPTIONS,
      status: { type: 'string' },
      model: { type: 'string' },
      service: { type: 'string' },
      search: { type: 'string' },
      user: { type: 'string' },
      session: { type: 'string' },
      tag: { type: 'string', multiple: true },
      attr: { type: 'string', multiple: true },
      'min-duration': { type: 'string' },
      'min-cost': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string', short: 'n' },
    },
    usage: `tokentrail list [--status ok|error|cancelled] [--model M] [--service S] [--search TEXT]
                [--user U] [--session S] [--tag T]... [--attr key=value]...
                [--min-duration 2s] [--min-cost 0.01] [--since 1h] [--until 10m] [--limit 20] [--json]

Lists the newest traces. --tag and --attr repeat (all must match); --attr matches any span or
resource attribute exactly (http.route=/api/chat, gen_ai.provider.name=openai). --since and
--until take an age (15m, 2h, 7d) or an ISO date.`,
  },
  last: {
    options: EXPORT_OPTIONS,
    usage: `tokentrail last [--all] [--json | --export [--format md|json] [--raw] [--out FILE]]\n\nShows the newest trace.\n\n${EXPORT_USAGE}`,
  },
  error: {
    options: EXPORT_OPTIONS,
    usage: `tokentrail error [--all] [--json | --export [--format md|json] [--raw] [--out FILE]]\n\nShows the newest failed trace.\n\n${EXPORT_USAGE}`,
  },
  trace: {
    options: EXPORT_OPTIONS,
    positionals: 1,
    usage: `tokentrail trace <id> [--all] [--json | --export [--format md|json] [--raw] [--out FILE]]\n\nShows one trace; <id> may be a unique prefix of 6+ hex characters.\n\n${EXPORT_USAGE}`,
  },
  tail: {
    options: { ...CLIENT_OPTIONS, status: { type: 'string' }, service: { type: 'string' } },
    usage:
      'tokentrail tail [--status error] [--service S] [--json]\n\nPrints spans as they arrive.',
  },
  stats: {
    options: { ...CLIENT_OPTIONS, since: { type: 'string' } },
    usage:
      'tokentrail stats [--since 24h] [--json]\n\nTrace count, error rate, latency and TTFT percentiles, tokens and cost by model, from\nstored traces and from the GenAI metrics received at /v1/metrics (--since keeps metric series\nupdated in that window; their values are totals since each producer started).',
  },
  doctor: {
    options: {
      config: { type: 'string' },
      token: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    usage: `tokentrail doctor [--config tracing.mjs] [--timeout 5000] [--token T] [--json]

Reads the tracing config as the SDK does (env, or a module that creates the tracer), says what it
would do, checks each endpoint (DNS, connect, TLS, a test export) and, for tokentrail dev, that the
test trace arrived. Exit 0 only when a span would reach its destination. Run it in the app's env.`,
  },
  import: {
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    positionals: 1,
    usage:
      'tokentrail import <file>\n\nSends a file written by --export --raw (JSON or Markdown) to the collector.',
  },
}

const HELP = `tokentrail ${VERSION}: local collector, trace viewer and CLI for LLM traces

Usage:
  tokentrail dev               start the collector and viewer (http://127.0.0.1:4318)
  tokentrail list              newest traces       (--status, --user, --session, --tag, --attr k=v, --json)
  tokentrail last              newest trace        (--json, --export: a bug report for an assistant)
  tokentrail error             newest failed trace (--json, --export)
  tokentrail trace <id>        one trace           (--json, --export)
  tokentrail tail              follow spans live
  tokentrail stats             latency, TTFT, tokens and cost by model (traces and metrics)
  tokentrail import <file>     load an exported trace
  tokentrail doctor            check the tracing setup: config, endpoints, a test trace

list, last, error, trace, tail, stats and import talk to --url (or TOKENTRAIL_URL, default
http://127.0.0.1:4318) with --token (or TOKENTRAIL_TOKEN); doctor reads the app's own config. Run "tokentrail <command> --help" for a command's options.
`

const STATUSES = new Set(['ok', 'error', 'cancelled'])

function readStatus(given: string | undefined): SpanStatus | undefined {
  if (given === undefined) return undefined
  const value = given.toLowerCase()
  if (!STATUSES.has(value))
    throw new CliError(`--status must be ok, error or cancelled, got "${given}"`, 2)
  return value as SpanStatus
}

function readWhole(value: string | undefined, name: string, min: number, max: number) {
  if (value === undefined) return undefined
  // Decimal digits only: Number() also reads "" and " " as 0, "0x10" as 16 and "1e3" as 1000.
  const n = /^\d{1,10}$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CliError(`--${name} must be a whole number from ${min} to ${max}, got "${value}"`, 2)
  return n
}

function readSince(value: string | undefined, name = 'since'): number | undefined {
  if (value === undefined) return undefined
  const time = parseTime(value)
  if (time === undefined)
    throw new CliError(
      `--${name} must be an age such as 15m, 2h, 7d or an ISO date, got "${value}"`,
      2,
    )
  return time
}

function waitForStop(signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    if (signal) {
      if (signal.aborted) return done()
      signal.addEventListener('abort', () => done(), { once: true })
      return
    }
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      done()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}

/**
 * Runs the `tokentrail` command line and resolves to its exit code: 0 done, 1 failed, 2 bad usage.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2))
 */
export async function runCli(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const out = io.stdout ?? process.stdout
  const err = io.stderr ?? process.stderr
  const env = io.env ?? process.env
  const cwd = io.cwd ?? process.cwd()
  const color =
    env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0'
      ? true
      : !env.NO_COLOR && Boolean(out.isTTY)
  const p = palette(color)
  const [command, ...rest] = argv
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      out.write(HELP)
      return command === undefined ? 2 : 0
    }
    if (command === '--version' || command === '-v') {
      out.write(`${VERSION}\n`)
      return 0
    }
    const spec = COMMANDS[command]
    if (!spec) throw new CliError(`unknown command "${command}"; run tokentrail --help`, 2)
    let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] }
    try {
      parsed = parseArgs({
        args: [...rest],
        options: spec.options,
        allowPositionals: true,
        strict: true,
      }) as typeof parsed
    } catch (error) {
      const message = (error as Error).message.split('. To specify')[0]
      throw new CliError(`tokentrail ${command}: ${message}\n\n${spec.usage}`, 2)
    }
    const { values, positionals } = parsed
    if (values.help) {
      out.write(`${spec.usage}\n`)
      return 0
    }
    if (positionals.length !== (spec.positionals ?? 0))
      throw new CliError(
        spec.positionals
          ? `tokentrail ${command} needs ${spec.positionals === 1 ? 'one argument' : 'arguments'}\n\n${spec.usage}`
          : `tokentrail ${command} takes no arguments, got "${positionals.join(' ')}"`,
        2,
      )
    // A trace id or its prefix: hex, 6 to 32 characters (what the collector resolves). Anything else
    // is a usage error, not "no trace with id" (exit 1, as if the trace were missing).
    if (command === 'trace' && !/^[0-9a-fA-F]{6,32}$/.test(positionals[0]!))
      throw new CliError(
        `tokentrail trace: "${positionals[0]}" is not a trace id: give the 32 hex characters of one, or a unique prefix of 6 or more\n\n${spec.usage}`,
        2,
      )
    // An empty TOKENTRAIL_TOKEN (`TOKENTRAIL_TOKEN=` in a compose file or .env) means no token.
    const token =
      (values.token as string | undefined) ?? (env.TOKENTRAIL_TOKEN?.trim() || undefined)
    if (command === 'dev') return await dev(values, token, { out, err, io, p, cwd })
    if (command === 'doctor') {
      const report = await runDoctor({
        env,
        cwd,
        config: values.config as string | undefined,
        token,
        timeoutMs: readWhole(values.timeout as string | undefined, 'timeout', 1, 600_000),
      })
      out.write(
        values.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : formatDoctorReport(report, VERSION, p),
      )
      return report.ok ? 0 : 1
    }
    // An empty TOKENTRAIL_URL (`TOKENTRAIL_URL=` in a compose file or .env) means the default.
    const urlFrom =
      values.url !== undefined ? '--url' : env.TOKENTRAIL_URL?.trim() ? 'TOKENTRAIL_URL' : undefined
    const url = collectorUrl(
      urlFrom === '--url'
        ? (values.url as string)
        : urlFrom
          ? env.TOKENTRAIL_URL!
          : 'http://127.0.0.1:4318',
      urlFrom ?? '--url',
    )
    const client = new CollectorClient(url, token)
    const json = values.json === true
    switch (command) {
      case 'list': {
        const page = await client.get<TracePage>(
          '/api/traces',
          {
            status: readStatus(values.status as string | undefined),
            model: values.model as string | undefined,
            service: values.service as string | undefined,
            text: values.search as string | undefined,
            from: readSince(values.since as string | undefined),
            to: readSince(values.until as string | undefined, 'until'),
            limit: readWhole(values.limit as string | undefined, 'limit', 1, 1000) ?? 20,
            ...readListFilters(values),
          },
          'traces',
        )
        out.write(
          json ? `${JSON.stringify(page, null, 2)}\n` : `${formatTraceList(page.traces, p)}\n`,
        )
        // Fractions are not indexed (each latency or cost would be a token of its own): say so
        // rather than leave "no traces match" to read as "no span had that value".
        if (page.traces.length === 0)
          for (const attr of (values.attr as string[] | undefined) ?? []) {
            const value = parseAttribute(attr)?.[1].trim() ?? ''
            if (value !== '' && Number.isFinite(Number(value)) && !Number.isInteger(Number(value)))
              err.write(
                `${p.dim('note')} --attr finds strings, booleans and whole numbers; a fraction such as ${safeText(value)} is not indexed\n`,
              )
          }
        return 0
      }
      case 'last':
      case 'error':
      case 'trace': {
        const path =
          command === 'last'
            ? '/api/last'
            : command === 'error'
              ? '/api/last-error'
              : `/api/traces/${encodeURIComponent(positionals[0]!)}`
        if (values.export || values.out)
          return await exportReport(client, path, values, { out, cwd })
        if (values.format !== undefined)
          throw new CliError(
            `--format picks the format of --export's report (md or json), got "${values.format}" without --export; use --json for the trace itself`,
            2,
          )
        // --json prints the spans whole; the terminal view needs no full prompts.
        const detail = await client.get<TraceDetail>(
          path,
          { limit: values.all ? 'all' : undefined, full: values.json ? 1 : undefined },
          'spans',
        )
        return await showTrace(detail, values, { out, p, cwd })
      }
      case 'tail':
        return await tail(client, values, { out, err, io, p, cwd })
      case 'stats': {
        const stats = await client.get<
          TraceStats & { metrics?: MetricsSummary; delivery?: DeliveryHealth[] }
        >('/api/stats', { from: readSince(values.since as string | undefined) }, 'traces')
        if (json) out.write(`${JSON.stringify(stats, null, 2)}\n`)
        else {
          out.write(`${formatStats(stats, p)}\n`)
          // A collector from before metrics answers without them.
          if (stats.metrics) out.write(`\n${formatMetricsSummary(stats.metrics, p)}\n`)
          if (stats.delivery?.length) out.write(`\n${formatDelivery(stats.delivery, p)}\n`)
        }
        return 0
      }
      case 'import': {
        const file = resolve(cwd, positionals[0]!)
        let body: string
        try {
          body = await readFile(file, 'utf8')
        } catch (error) {
          throw new CliError(`cannot read ${file}: ${(error as Error).message}`)
        }
        const result = await client.post<{ stored: number; duplicates: number }>(
          '/api/spans',
          importableBody(body, file),
          'stored',
        )
        out.write(
          safeText(
            `imported ${result.stored} spans (${result.duplicates} already stored) from ${file}\n`,
          ),
        )
        return 0
      }
    }
    return 2
  } catch (error) {
    // Messages can carry what a server or a file said: escaped like any captured text.
    if (error instanceof CliError) {
      err.write(`${p.red('error')} ${safeText(error.message)}\n`)
      return error.exitCode
    }
    if (TokentrailError.isInstance(error)) {
      err.write(`${p.red('error')} ${safeText(error.message)}\n`)
      return 1
    }
    err.write(`${p.red('error')} ${safeText((error as Error)?.stack ?? String(error))}\n`)
    return 1
  }
}

interface Context {
  out: CliIO['stdout']
  err: CliIO['stderr']
  io: Partial<CliIO>
  p: Palette
  cwd: string
}

async function showTrace(
  detail: TraceDetail,
  values: Record<string, string | boolean | undefined>,
  { out, p }: Pick<Context, 'out' | 'p' | 'cwd'>,
): Promise<number> {
  if (values.json) out.write(`${JSON.stringify({ ...detail }, null, 2)}\n`)
  else out.write(`${formatTrace(detail, p)}\n`)
  return 0
}

async function dev(
  values: Record<string, string | boolean | undefined>,
  token: string | undefined,
  { out, err, io, p, cwd }: Context,
): Promise<number> {
  const maxAge = values['max-age'] as string | undefined
  const maxAgeMs = maxAge === undefined ? 0 : parseDuration(maxAge)
  if (maxAgeMs === undefined)
    throw new CliError(`--max-age must be a duration such as 12h or 7d, got "${maxAge}"`, 2)
  const maxBody = values['max-body'] as string | undefined
  const maxBodyBytes = maxBody === undefined ? undefined : parseSize(maxBody)
  if (maxBody !== undefined && (maxBodyBytes === undefined || maxBodyBytes < 1))
    throw new CliError(
      `--max-body must be a size of 1 byte or more such as 16mb or 512kb, got "${maxBody}"`,
      2,
    )
  const maxDbSize = values['max-db-size'] as string | undefined
  const maxDbBytes = maxDbSize === undefined ? undefined : parseSize(maxDbSize)
  if (
    maxDbSize !== undefined &&
    // The store's MIN_MAX_BYTES (1 MiB), not imported: the client commands never load the store.
    (maxDbBytes === undefined || (maxDbBytes !== 0 && maxDbBytes < 1024 * 1024))
  )
    throw new CliError(
      `--max-db-size must be a size of 1mb or more such as 2gb or 500mb, or 0 for no limit; got "${maxDbSize}"`,
      2,
    )
  // Checked here too, so a short token is bad usage (exit 2) named by where it came from.
  if (token !== undefined && token.length < 8)
    throw new CliError(
      `${values.token === undefined ? 'TOKENTRAIL_TOKEN' : '--token'} must be at least 8 characters long, got ${token.length}`,
      2,
    )
  const givenDb = (values.db as string | undefined) ?? '.tokentrail/traces.db'
  const db = resolve(cwd, givenDb)
  // Loaded here, not at the top, so that the client commands run on a Node without node:sqlite.
  const problem = databaseProblem('dev')
  if (problem) throw new CliError(problem)
  const { corsOriginProblem, isListenHost, isLoopbackHost, startCollector } = await import(
    '../collector/collector.js'
  )
  const host = (values.host as string | undefined) ?? '127.0.0.1'
  if (!isListenHost(host))
    throw new CliError(
      `--host must be a host name or IP address to listen on, such as 127.0.0.1, 0.0.0.0 or ::, got "${host}"`,
      2,
    )
  const allowedHosts = ((values['allowed-hosts'] as string | undefined) ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
  for (const name of allowedHosts)
    if (!/^[a-z0-9.-]+$/i.test(name))
      throw new CliError(
        `--allowed-hosts takes host names separated by commas, such as devbox.local,traces.internal; got "${name}"`,
        2,
      )
  const corsOrigins = ((values['cors-origins'] as string | undefined) ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean)
  for (const origin of corsOrigins) {
    const problem = corsOriginProblem(origin)
    if (problem)
      throw new CliError(
        `--cors-origins takes web page origins separated by commas, such as https://app.example,http://myapp.test:3000 (or *): ${problem}`,
        2,
      )
  }
  const collector = await startCollector({
    port: readWhole(values.port as string | undefined, 'port', 0, 65535) ?? 4318,
    host,
    allowedHosts,
    corsOrigins,
    log: (line) => {
      err.write(`${safeText(line)}\n`)
    },
    db,
    token,
    maxTraces: readWhole(values['max-traces'] as string | undefined, 'max-traces', 0, 1e9),
    maxAgeMs,
    maxBodyBytes,
    maxDbBytes,
    maxMetricSeries: readWhole(
      values['max-metric-series'] as string | undefined,
      'max-metric-series',
      0,
      1e9,
    ),
  })
  const viewer = token
    ? `${collector.url}/?token=${encodeURIComponent(token)}`
    : `${collector.url}/`
  out.write(
    `${p.bold('tokentrail dev')} ${VERSION}\n` +
      `  viewer   ${p.cyan(viewer)}\n` +
      `  OTLP     ${collector.url}/v1/traces  (JSON or protobuf; OTEL_EXPORTER_OTLP_ENDPOINT=${collector.url})\n` +
      `  metrics  ${collector.url}/v1/metrics\n` +
      `  JSON     ${collector.url}/api/spans\n` +
      `  storage  ${db}  (${collector.store.counts.traces} traces)\n` +
      (token ? '  auth     Authorization: Bearer <token> required\n' : '') +
      p.dim('  Ctrl-C to stop\n'),
  )
  const migrated = collector.store.migration
  // The file and its copy named as the user gave the file (the default relative to where dev runs).
  const shown = (path: string) => (path.startsWith(db) ? givenDb + path.slice(db.length) : path)
  if (migrated)
    err.write(
      `${p.yellow('note')} ${safeText(shown(migrated.path))} was written by an older tokentrail (schema ${migrated.from}): brought to schema ${migrated.to} in place (${migrated.traces.toLocaleString('en')} traces, ${migrated.spans.toLocaleString('en')} spans); the file as it was is kept at ${safeText(shown(migrated.backup))}\n`,
    )
  if (!isLoopbackHost(host))
    err.write(
      `${p.yellow('warning')} listening on ${safeText(host)}: every machine that can reach port ${collector.port} can ${
        token
          ? 'try tokens against it, and reads traffic in clear text over plain HTTP'
          : 'send spans and read every stored prompt, output and error through the API and viewer, with no token; pass --token'
      }. The viewer and API answer only to IP addresses${allowedHosts.length ? `, localhost and ${safeText(allowedHosts.join(', '))}` : ' and localhost (add names with --allowed-hosts)'}.\n`,
    )
  io.onListening?.(collector.url)
  await waitForStop(io.signal)
  await collector.close()
  out.write(p.dim('collector stopped\n'))
  return 0
}

async function tail(
  client: CollectorClient,
  values: Record<string, string | boolean | undefined>,
  { out, err, io, p }: Context,
): Promise<number> {
  const controller = new AbortController()
  const stop = waitForStop(io.signal).then(() => controller.abort())
  const json = values.json === true
  const filter = {
    status: readStatus(values.status as string | undefined),
    service: values.service as string | undefined,
  }
  // Once following, a collector that stops or restarts (a new `tokentrail dev`) is waited for, as
  // `tail -F` waits for a file: said once, then followed again when it is back. Never reached at
  // the start, or refused (a token, another program), is an error as before.
  let following = false
  let waiting = false
  let pause = 250
  for (;;) {
    let result: 'aborted' | 'ended'
    try {
      result = await client.follow(
        filter,
        (spans) => {
          for (const span of spans)
            out.write(json ? `${JSON.stringify(span)}\n` : `${formatSpanLine(span, p)}\n`)
        },
        controller.signal,
        () => {
          if (!json)
            err.write(
              p.dim(
                following
                  ? `following ${client.url} again\n`
                  : `following ${client.url} (Ctrl-C to stop)\n`,
              ),
            )
          following = true
          waiting = false
          pause = 250
        },
      )
    } catch (error) {
      if (!following || !(error instanceof StreamLost)) throw error
      result = 'ended'
    }
    if (result === 'aborted' || controller.signal.aborted) break
    if (!waiting) {
      waiting = true
      err.write(
        `${p.yellow('note')} the collector at ${client.url} closed the live stream: waiting for it to come back (Ctrl-C to stop); spans sent meanwhile are not shown here (\`tokentrail last\` lists them)\n`,
      )
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer)
        controller.signal.removeEventListener('abort', done)
        resolve()
      }
      const timer = setTimeout(done, pause)
      controller.signal.addEventListener('abort', done)
    })
    pause = Math.min(pause * 2, 2000)
  }
  void stop
  return 0
}
