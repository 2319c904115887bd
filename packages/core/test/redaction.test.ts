import { afterEach, describe, expect, it, vi } from 'vitest'
import { createTracer, type TracerOptions } from '../src/index.js'
import { memoryExporter } from '../src/testing.js'

function setup(redaction: TracerOptions['redaction'] = {}, options: TracerOptions = {}) {
  const exporter = memoryExporter()
  const tracer = createTracer({
    serviceName: 'redaction-test',
    exporters: [exporter],
    flushIntervalMs: 600_000,
    redaction,
    ...options,
  })
  return { tracer, exporter }
}

async function redactText(text: string, redaction: TracerOptions['redaction'] = {}) {
  const { tracer, exporter } = setup(redaction)
  tracer.startSpan('s', { attributes: { text } }).end()
  await tracer.flush()
  return exporter.spans[0]!.attributes.text
}

afterEach(() => vi.unstubAllEnvs())

describe('redaction detectors', () => {
  it.each([
    ['write to alice.smith+tag@example.co.uk today', 'write to [EMAIL] today'],
    ['call +1 415-555-2671 or (415) 555-2671.', 'call [PHONE] or [PHONE].'],
    ['UK office +44 20 7946 0958', 'UK office [PHONE]'],
    // A one-digit prefix after the country code: French mobiles, Tokyo.
    ['mobile +33 6 12 34 56 78, Tokyo +81 3-1234-5678', 'mobile [PHONE], Tokyo [PHONE]'],
    ['card 4111 1111 1111 1111 exp 12/29', 'card [CREDIT_CARD] exp 12/29'],
    ['card 4111-1111-1111-1111 then 1234', 'card [CREDIT_CARD] then 1234'],
    ['pay DE89 3704 0044 0532 0130 00 OK', 'pay [IBAN] OK'],
    ['iban GB82WEST12345698765432.', 'iban [IBAN].'],
    [
      'token glpat-abcdefghijklmnopqrst and pk_live_abcdefghijklmnop',
      'token [API_KEY] and [API_KEY]',
    ],
    // Slack, AWS and GitHub keys and JWTs are credentials the default scrub replaces before the
    // detectors run (as it does `sk-…` and `Bearer …`).
    ['key xoxb-1234567890-abcdefghij and AKIAIOSFODNN7EXAMPLE', 'key [REDACTED] and [REDACTED]'],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'token [REDACTED]'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end',
      'jwt [REDACTED] end',
    ],
    ['from 192.168.1.20 and 2001:db8:85a3::8a2e:370:7334.', 'from [IP] and [IP].'],
  ])('replaces %j', async (input, expected) => {
    expect(await redactText(input)).toBe(expected)
  })

  it.each([
    'version 1.2.3 and build 2026-12-01',
    'timestamp 1733059200000 and order 123456',
    'card 4111 1111 1111 1112 fails Luhn',
    'not an iban: DE00 3704 0044 0532 0130 00',
    'trace 0af7651916cd43dd8448eb211c80319c',
    'std::vector and a::b',
  ])('leaves %j alone', async (input) => {
    expect(await redactText(input)).toBe(input)
  })

  it('switches each detector off on its own', async () => {
    expect(await redactText('at 10.0.0.1 by bob@example.com', { detectors: { ip: false } })).toBe(
      'at 10.0.0.1 by [EMAIL]',
    )
  })

  it('applies user patterns, labelled by name', async () => {
    expect(
      await redactText('order ORD-123456 for bob@example.com', {
        detectors: { email: false },
        patterns: [{ name: 'ORDER', pattern: /ORD-\d{6}/ }],
      }),
    ).toBe('order [ORDER] for bob@example.com')
  })

  it('hashes with a key: equal values give equal marks, different values different ones', async () => {
    const text = await redactText('a@example.com b@example.com a@example.com', {
      replace: 'hash',
      hashKey: 'a-key-of-16-chars-or-more',
    })
    const marks = (text as string).split(' ')
    expect(marks[0]).toMatch(/^\[EMAIL:[0-9a-f]{12}\]$/)
    expect(marks[0]).toBe(marks[2])
    expect(marks[1]).not.toBe(marks[0])
    const again = await redactText('a@example.com', {
      replace: 'hash',
      hashKey: 'a-key-of-16-chars-or-more',
    })
    expect(again).toBe(marks[0])
  })
})

describe('redaction rules on spans', () => {
  it('redacts names, attributes, string arrays, events, error messages and stacks, and counts per rule', async () => {
    const { tracer, exporter } = setup({
      paths: ['gen_ai.input.messages[*].parts[*].content', 'user.email', 'http.request.header.*'],
    })
    const messages = [
      { role: 'user', parts: [{ type: 'text', content: 'my card is 4111111111111111' }] },
    ]
    const before = structuredClone(messages)
    const span = tracer.startSpan('lookup bob@example.com', {
      attributes: {
        'gen_ai.input.messages': messages,
        'user.email': 'carol@example.com',
        'http.request.header.x-forwarded-for': '10.1.2.3',
        tags: ['ok', 'dave@example.com'],
      },
    })
    span.addEvent('note', { who: 'eve@example.com' })
    const error = new Error('no account for frank@example.com')
    span.recordError(error)
    span.end()
    await tracer.flush()
    const [data] = exporter.spans
    expect(data!.name).toBe('lookup [EMAIL]')
    expect(JSON.parse(data!.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: '[REDACTED]' }] },
    ])
    expect(data!.attributes['user.email']).toBe('[REDACTED]')
    expect(data!.attributes['http.request.header.x-forwarded-for']).toBe('[REDACTED]')
    expect(data!.attributes.tags).toEqual(['ok', '[EMAIL]'])
    expect(data!.events[0]!.attributes!.who).toBe('[EMAIL]')
    expect(data!.error!.message).toBe('no account for [EMAIL]')
    expect(data!.error!.stack).not.toContain('frank@example.com')
    expect(JSON.stringify(data!.events)).not.toContain('frank@example.com')
    // The app's own values are untouched.
    expect(messages).toEqual(before)
    expect(error.message).toBe('no account for frank@example.com')
    expect(tracer.stats().redaction).toMatchObject({
      // name, tags, event, error message and stack, and the exception event's message and stack
      email: 7,
      'path:gen_ai.input.messages[*].parts[*].content': 1,
      'path:user.email': 1,
      'path:http.request.header.*': 1,
      creditCard: 0,
    })
  })

  it('replaces a JSON attribute whole when it does not parse (cut off), rather than let it through', async () => {
    const { tracer, exporter } = setup({
      detectors: {
        email: false,
        phone: false,
        creditCard: false,
        iban: false,
        apiKey: false,
        jwt: false,
        ip: false,
      },
      paths: ['gen_ai.input.messages[*].parts[*].content'],
    })
    tracer
      .startSpan('s', { attributes: { 'gen_ai.input.messages': '[{"role":"user","parts":[{"con' } })
      .end()
    await tracer.flush()
    expect(exporter.spans[0]!.attributes['gen_ai.input.messages']).toBe('[REDACTED]')
  })

  // Path rules set in env alone left the detectors off, where the same rules in code turn them on.
  it('path rules from env alone turn the detectors on, as the same rules in code do', async () => {
    const text = { 'user.email': 'bob@example.com', note: 'mail alice@example.com' }
    const inCode = setup({ paths: ['user.email'] })
    vi.stubEnv('TOKENTRAIL_REDACT_PATHS', 'user.email')
    const exporter = memoryExporter()
    const fromEnv = {
      tracer: createTracer({ serviceName: 'redaction-env', exporters: [exporter] }),
      exporter,
    }
    for (const { tracer, exporter } of [inCode, fromEnv]) {
      tracer.startSpan('s', { attributes: text }).end()
      await tracer.flush()
      expect(exporter.spans[0]!.attributes.note).toBe('mail [EMAIL]')
      expect(exporter.spans[0]!.attributes['user.email']).not.toContain('bob@')
    }
  })

  it('reads rules from env, and checks options whole', () => {
    vi.stubEnv('TOKENTRAIL_REDACT', 'email,credit_card')
    const exporter = memoryExporter()
    expect(Object.keys(createTracer({ exporters: [exporter] }).stats().redaction!)).toEqual([
      'email',
      'creditCard',
    ])
    vi.stubEnv('TOKENTRAIL_REDACT', 'email,passport')
    expect(() => createTracer({ exporters: [exporter] })).toThrow(
      'TOKENTRAIL_REDACT must be all, off, or a list of email, phone, credit_card, iban, api_key, jwt, ip; got "passport"',
    )
    vi.unstubAllEnvs()
    expect(() =>
      createTracer({ exporters: [exporter], redaction: { detector: {} } as never }),
    ).toThrow('createTracer({ redaction }): unknown option `detector` — did you mean `detectors`?')
    expect(() =>
      createTracer({ exporters: [exporter], redaction: { detectors: { emails: false } as never } }),
    ).toThrow(
      'createTracer({ redaction.detectors }): unknown option `emails` — did you mean `email`?',
    )
    expect(() => createTracer({ exporters: [exporter], redaction: { paths: ['a[x]'] } })).toThrow(
      'redaction.paths[0] has a bad path "[x]"',
    )
  })
})
