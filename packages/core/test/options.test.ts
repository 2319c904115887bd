import { describe, expect, it } from 'vitest'
import {
  checkOptionKeys,
  consoleExporter,
  consoleMetricsExporter,
  createTracer,
  httpExporter,
  otlpExporter,
  otlpMetricsExporter,
  TokentrailError,
} from '../src/index.js'

function thrown(fn: () => unknown): Error {
  try {
    fn()
  } catch (error) {
    expect(TokentrailError.isInstance(error)).toBe(true)
    return error as Error
  }
  throw new Error('expected a throw')
}

describe('unknown option keys fail at creation, naming the closest valid one', () => {
  it('otlpExporter({ endpoint }) — the misspelling that fell back to localhost', () => {
    expect(thrown(() => otlpExporter({ endpoint: 'https://otel.example' } as never)).message).toBe(
      'otlpExporter: unknown option `endpoint` — did you mean `url`? Valid options: url, headers, protocol, compression, profile, toolDefinitions.',
    )
  })

  it('createTracer({ servicename })', () => {
    expect(thrown(() => createTracer({ servicename: 'chat' } as never)).message).toBe(
      'createTracer: unknown option `servicename` — did you mean `serviceName`? Valid options: serviceName, exporters, sampleRate, enabled, debug, warnings, redact, recordInputs, recordOutputs, resource, maxQueueSize, maxBatchSize, flushIntervalMs, exportTimeoutMs, retry, metrics, sampling, redaction, limits.',
    )
  })

  it.each([
    [
      () => createTracer({ recordOutput: false } as never),
      'createTracer',
      'recordOutput',
      'recordOutputs',
    ],
    [() => createTracer({ exporter: [] } as never), 'createTracer', 'exporter', 'exporters'],
    [
      () => createTracer({ retry: { maxRetry: 2 } } as never),
      'createTracer({ retry })',
      'maxRetry',
      'maxRetries',
    ],
    [
      () => createTracer({ limits: { maxStringLen: 10 } } as never),
      'createTracer({ limits })',
      'maxStringLen',
      'maxStringLength',
    ],
    [
      () => createTracer({ metrics: { interval: 10 } } as never),
      'createTracer({ metrics })',
      'interval',
      undefined,
    ],
    [
      () => httpExporter({ url: 'http://x', apikey: 'k' } as never),
      'httpExporter',
      'apikey',
      'apiKey',
    ],
    [() => consoleExporter({ prety: true } as never), 'consoleExporter', 'prety', 'pretty'],
    [
      () => otlpMetricsExporter({ endpoint: 'http://x' } as never),
      'otlpMetricsExporter',
      'endpoint',
      'url',
    ],
    [
      () => consoleMetricsExporter({ writer: () => {} } as never),
      'consoleMetricsExporter',
      'writer',
      'write',
    ],
  ])('%#: %s names %s', (fn, where, key, suggestion) => {
    const message = thrown(fn).message
    expect(message.startsWith(`${where}: unknown option \`${key}\``)).toBe(true)
    if (suggestion) expect(message).toContain(`did you mean \`${suggestion}\`?`)
    else expect(message).not.toContain('did you mean')
  })

  it('valid options pass, and the checker ignores non-objects', () => {
    expect(() =>
      createTracer({ serviceName: 's', exporters: [], retry: { maxRetries: 1 }, warnings: false }),
    ).not.toThrow()
    expect(() => checkOptionKeys(undefined, ['a'], 'x')).not.toThrow()
  })
})

describe('a share that is not one', () => {
  // JSON.stringify wrote NaN and Infinity as "null".
  it('names the number given, NaN and Infinity too', () => {
    for (const [value, shown] of [
      [Number.NaN, 'NaN'],
      [Number.POSITIVE_INFINITY, 'Infinity'],
      [2, '2'],
      ['half', '"half"'],
    ] as const)
      expect(() => createTracer({ sampleRate: value as number, exporters: [] })).toThrow(
        `sampleRate must be a number from 0 to 1 (the share of traces kept), got ${shown}`,
      )
  })
})
