// The README's policy for a bad env value, variable by variable, in a real process that sets each
// one as a deployment would: Tokentrail's own variables and the OpenTelemetry ones it cannot go
// without (the endpoint, the protocol, compression) turn tracing off with one line naming the
// variable and the value (`createTracer()` throws that line); the OpenTelemetry variables another
// SDK may read otherwise (OTEL_SDK_DISABLED, the sampler, the exporter names, the resource, batch,
// timeout, value-length and metrics-interval variables) are passed over and named once, as
// OpenTelemetry specifies; the metrics variables turn the metrics off only. And variables that tune a feature
// that is off are said, not silently without effect.
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url))

/** Runs `script` (with `core` imported) in a fresh Node process with `env` and no other OTEL_/TOKENTRAIL_ variable. */
async function run(script: string, env: Record<string, string> = {}): Promise<string> {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(OTEL_|TOKENTRAIL_)/.test(name)),
  )
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', `import * as core from ${JSON.stringify(dist)}\n${script}`],
    { encoding: 'utf8', timeout: 30_000, env: { ...clean, ...env } },
  )
  return stdout
}

// [variable, bad value, what is said]: `off` turns tracing off (createTracer throws), `passed`
// is named once through warnings with tracing on, `metrics` turns the GenAI metrics off only.
const CASES: [string, string, 'off' | 'passed' | 'metrics'][] = [
  ['OTEL_SDK_DISABLED', 'maybe', 'passed'],
  ['TOKENTRAIL_ENABLED', 'nope', 'off'],
  ['TOKENTRAIL_DEBUG', 'verbose', 'off'],
  ['TOKENTRAIL_RECORD_INPUTS', 'sometimes', 'off'],
  ['TOKENTRAIL_RECORD_OUTPUTS', 'sometimes', 'off'],
  ['TOKENTRAIL_METRICS', 'sometimes', 'off'],
  ['OTEL_TRACES_EXPORTER', 'zipkin', 'passed'],
  ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', 'off'],
  ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'collector:4318', 'off'],
  ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'off'],
  ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'http/thrift', 'off'],
  ['OTEL_EXPORTER_OTLP_COMPRESSION', 'zstd', 'off'],
  ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'br', 'off'],
  ['OTEL_TRACES_SAMPLER', 'xray', 'passed'],
  ['OTEL_TRACES_SAMPLER_ARG', '1.5', 'passed'],
  ['OTEL_RESOURCE_ATTRIBUTES', 'team', 'passed'],
  ['TOKENTRAIL_OTLP_PROFILE', 'jaeger', 'off'],
  ['TOKENTRAIL_TRACES_SAMPLER', 'tail', 'off'],
  ['TOKENTRAIL_REDACT', 'emails', 'off'],
  // Before, this one was named as `redaction.paths[0]`, an option the user never wrote.
  ['TOKENTRAIL_REDACT_PATHS', 'user[', 'off'],
  ['OTEL_BSP_SCHEDULE_DELAY', 'soon', 'passed'],
  ['OTEL_BSP_MAX_QUEUE_SIZE', '-1', 'passed'],
  ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'all', 'passed'],
  ['OTEL_BSP_EXPORT_TIMEOUT', '0', 'passed'],
  ['OTEL_EXPORTER_OTLP_TIMEOUT', '1.5', 'passed'],
  ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', '10s', 'passed'],
  ['OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT', 'none', 'passed'],
  ['OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT', '0', 'passed'],
  ['OTEL_METRIC_EXPORT_INTERVAL', '60s', 'passed'],
  ['OTEL_METRICS_EXPORTER', 'prometheus', 'metrics'],
  ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'grpc', 'metrics'],
  ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', 'collector:4318', 'metrics'],
]

describe('a bad env value', () => {
  it('is said in one line naming the variable and the value, and does what the README says', async () => {
    // One process, each variable set in turn on top of a working endpoint.
    const out = await run(
      `const results = []
       for (const [name, value] of ${JSON.stringify(CASES.map(([n, v]) => [n, v]))}) {
         process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:4318'
         process.env[name] = value
         globalThis[Symbol.for('tokentrail.notice.env')] = undefined
         const lines = []
         try {
           const tracer = core.createTracer({ warnings: (line) => lines.push(line) })
           await new Promise((resolve) => setTimeout(resolve, 20))
           results.push({ name, enabled: tracer.enabled, lines })
           await tracer.shutdown({ timeoutMs: 0 })
         } catch (error) {
           results.push({ name, thrown: error.message, lines })
         }
         delete process.env[name]
       }
       console.log(JSON.stringify(results))`,
    )
    const results = JSON.parse(out) as {
      name: string
      thrown?: string
      enabled?: boolean
      lines: string[]
    }[]
    for (const [i, [name, value, what]] of CASES.entries()) {
      const result = results[i]!
      expect(result.name).toBe(name)
      if (what === 'off') {
        expect(result.thrown, name).toContain(name)
        expect(result.thrown, name).toContain(value)
        expect(result.lines, name).toEqual([])
      } else {
        expect(result.thrown, name).toBeUndefined()
        expect(result.enabled, name).toBe(true)
        expect(result.lines, name).toHaveLength(1)
        expect(result.lines[0], name).toContain(name)
        expect(result.lines[0], name).toContain(value)
        expect(result.lines[0], name).toMatch(
          what === 'passed'
            ? /treated as not set.*Tracing is not affected/
            : /metrics.*Traces are not affected/i,
        )
      }
    }
  })

  it('through getTracer(), turns tracing off with that line once, on stderr', async () => {
    const script = `const a = core.getTracer(), b = core.getTracer()
       a.startSpan('x').end()
       console.log(JSON.stringify({ enabled: a.enabled, same: a === b }))`
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '-e', `import * as core from ${JSON.stringify(dist)}\n${script}`],
      {
        encoding: 'utf8',
        timeout: 30_000,
        env: {
          PATH: process.env.PATH ?? '',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
          TOKENTRAIL_REDACT_PATHS: 'user.email,user[',
        },
      },
    )
    expect(JSON.parse(stdout)).toEqual({ enabled: false, same: true })
    expect(stderr).toBe(
      '[tokentrail] tracing is off: TOKENTRAIL_REDACT_PATHS entry "user[" has a bad path "[": use .name, .*, [*] or [0] after the attribute key\n',
    )
  })
})

describe('a variable that tunes a feature that is off', () => {
  // Before, TOKENTRAIL_SAMPLING_SLOWER_THAN_MS=5000 without TOKENTRAIL_TRACES_SAMPLER=trace_complete
  // (or TOKENTRAIL_REDACT_REPLACE=hash without TOKENTRAIL_REDACT) changed nothing, without a word.
  it('is named once through warnings, with what turns the feature on; a hash key is never shown', async () => {
    const out = await run(
      `const lines = []
       const warnings = (line) => lines.push(line)
       core.createTracer({ warnings, metrics: false })
       core.createTracer({ warnings, metrics: false })
       // With the features on, the same variables are read, and nothing is said.
       core.createTracer({ warnings, metrics: false, sampling: {}, redaction: {} })
       await new Promise((resolve) => setTimeout(resolve, 50))
       console.log(JSON.stringify(lines))`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        TOKENTRAIL_SAMPLING_SLOWER_THAN_MS: '5000',
        TOKENTRAIL_TEXT_SAMPLE_RATE: '0.1',
        TOKENTRAIL_REDACT_REPLACE: 'hash',
        TOKENTRAIL_REDACT_HASH_KEY: 'a-secret-hash-key-0123456789',
      },
    )
    expect(JSON.parse(out)).toEqual([
      'Tokentrail settings with no effect, as what they tune is off: TOKENTRAIL_SAMPLING_SLOWER_THAN_MS=5000, TOKENTRAIL_TEXT_SAMPLE_RATE=0.1 (trace-complete sampling is off: TOKENTRAIL_TRACES_SAMPLER=trace_complete or createTracer({ sampling }) turns it on); TOKENTRAIL_REDACT_REPLACE=hash, TOKENTRAIL_REDACT_HASH_KEY (redaction rules are off: TOKENTRAIL_REDACT=all, TOKENTRAIL_REDACT_PATHS or createTracer({ redaction }) turns them on).',
    ])
  })
})

describe('a TOKENTRAIL_ variable nothing reads', () => {
  // Before, a misspelt privacy switch (TOKENTRAIL_RECORD_INPUT=false) recorded every prompt without
  // a word, as did TOKENTRAIL_ENABLE=false and a sampling bound missing its unit.
  it('is named once through warnings, with the one likely meant; its value is never shown', async () => {
    const out = await run(
      `const lines = []
       const warnings = (line) => lines.push(line)
       core.createTracer({ warnings, metrics: false, sampling: {} })
       core.createTracer({ warnings, metrics: false, sampling: {} })
       await new Promise((resolve) => setTimeout(resolve, 50))
       console.log(JSON.stringify(lines))`,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        TOKENTRAIL_RECORD_INPUT: 'false',
        TOKENTRAIL_ENABLE: 'secret-looking-value',
        TOKENTRAIL_SAMPLING_SLOWER_THAN: '5',
        // Read: nothing said of these.
        TOKENTRAIL_RECORD_OUTPUTS: 'true',
        TOKENTRAIL_URL: 'http://127.0.0.1:4318',
      },
    )
    expect(JSON.parse(out)).toEqual([
      'Tokentrail settings in the environment that nothing reads, so they have no effect: TOKENTRAIL_ENABLE (did you mean TOKENTRAIL_ENABLED?), TOKENTRAIL_RECORD_INPUT (did you mean TOKENTRAIL_RECORD_INPUTS?), TOKENTRAIL_SAMPLING_SLOWER_THAN (did you mean TOKENTRAIL_SAMPLING_SLOWER_THAN_MS?).',
    ])
  })
})

describe('tracing switched off', () => {
  // Before, OTEL_SDK_DISABLED=true (or enabled: false) still read the sampler, resource, sampling
  // and redaction variables: one set for another SDK of the fleet (OTEL_TRACES_SAMPLER=xray) made
  // createTracer({ enabled: false }) throw at start-up, and getTracer() print "tracing is off" for
  // a sampler it would never use.
  it('reads no other variable, so none of them can throw; options in code are still checked', async () => {
    const out = await run(
      `const results = []
       for (const options of [{}, { enabled: false }, { enabled: false, sampleRate: 2 }]) {
         try {
           results.push(core.createTracer(options).enabled)
         } catch (error) {
           results.push(error.message)
         }
       }
       results.push(core.getTracer().enabled)
       console.log(JSON.stringify(results))`,
      {
        OTEL_SDK_DISABLED: 'true',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318',
        OTEL_TRACES_SAMPLER: 'xray',
        OTEL_RESOURCE_ATTRIBUTES: 'aws',
        TOKENTRAIL_TRACES_SAMPLER: 'tail',
        TOKENTRAIL_REDACT: 'emails',
        TOKENTRAIL_RECORD_INPUTS: 'sometimes',
      },
    )
    expect(JSON.parse(out)).toEqual([
      false,
      false,
      'sampleRate must be a number from 0 to 1 (the share of traces kept), got 2',
      false,
    ])
  })
})
