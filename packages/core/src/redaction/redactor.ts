import { writtenInName } from '../secret-text.js'
import type { Attributes, AttributeValue, SpanData, SpanError, SpanEvent } from '../types.js'
import { DETECTORS, type TextRule } from './detectors.js'
import type { ResolvedRedaction } from './options.js'
import { compilePath, type PathRule } from './path-rule.js'
import { replaceAt } from './replace-at.js'
import { hmacSha256Hex } from './sha256.js'

const MIN_LENGTH = 6
const PROCESS_KEY = Symbol.for('tokentrail.redaction.hash-key')

/**
 * Applies redaction rules to finished spans: path rules on attributes, then every text rule on
 * every string (span name, attributes, events, error message and stack). Returns new span data;
 * never changes the span it is given. Counts replacements per rule.
 */
export class Redactor {
  readonly counts: Record<string, number> = {}
  private key: Uint8Array | undefined
  private readonly rules: readonly TextRule[]
  private readonly paths: readonly PathRule[]

  constructor(private readonly config: ResolvedRedaction) {
    this.rules = [...config.detectors.map((name) => DETECTORS[name]), ...config.patterns]
    for (const rule of this.rules) this.counts[rule.name] = 0
    this.paths = config.paths.map(compilePath)
    for (const path of config.paths) this.counts[`path:${path}`] = 0
  }

  private mark(label: string, value: string): string {
    if (!this.config.hash) return `[${label}]`
    return `[${label}:${hmacSha256Hex(this.hashKey(), value).slice(0, 12)}]`
  }

  // Made on first use: Workers refuse random values at global scope. Without a configured key, one
  // random key per process (kept on globalThis, so every tracer and every copy of this package
  // shares it): equal values get equal marks across tracers, so they can still be correlated.
  private hashKey(): Uint8Array {
    if (!this.key) {
      if (this.config.hashKey !== undefined)
        this.key = new TextEncoder().encode(this.config.hashKey)
      else {
        const g = globalThis as Record<symbol, Uint8Array | undefined>
        this.key = g[PROCESS_KEY] ??= crypto.getRandomValues(new Uint8Array(32))
      }
    }
    return this.key
  }

  /**
   * Runs every text rule over `text`. `inName`: a span's or an event's name, where words after `Bearer`/`Basic` or
   * `sk-`/`pk-` that are written, not made (`invoke_agent Basic Researcher`), are its own.
   */
  text(text: string, inName = false): string {
    if (text.length < MIN_LENGTH) return text
    for (const rule of this.rules) {
      if (rule.mayMatch && !rule.mayMatch(text)) continue
      const { pattern, check, label, name } = rule
      if (rule.find) {
        const ranges = rule.find(text)
        if (ranges.length === 0) continue
        let out = ''
        let at = 0
        for (const [start, end] of ranges) {
          out += text.slice(at, start) + this.mark(label, text.slice(start, end))
          at = end
        }
        text = out + text.slice(at)
        this.counts[name]! += ranges.length
        continue
      }
      pattern.lastIndex = 0
      if (!pattern.test(text)) continue
      pattern.lastIndex = 0
      let count = 0
      text = text.replace(pattern, (match) => {
        if (inName && rule === DETECTORS.apiKey && writtenInName(match)) return match
        if (!check) {
          count++
          return this.mark(label, match)
        }
        const span = check(match)
        if (!span) return match
        count++
        return (
          match.slice(0, span[0]) +
          this.mark(label, match.slice(span[0], span[1])) +
          match.slice(span[1])
        )
      })
      this.counts[name]! += count
    }
    return text
  }

  private value(value: AttributeValue): AttributeValue {
    if (typeof value === 'string') return this.text(value)
    if (Array.isArray(value) && typeof value[0] === 'string') {
      let out: string[] | undefined
      for (let i = 0; i < value.length; i++) {
        const next = this.text(value[i] as string)
        if (next !== value[i]) (out ??= (value as string[]).slice())[i] = next
      }
      return out ?? value
    }
    return value
  }

  private pathValue(key: string, value: AttributeValue): AttributeValue {
    for (const rule of this.paths) {
      if (rule.whole(key)) {
        this.counts[`path:${rule.path}`]!++
        return this.mark('REDACTED', typeof value === 'string' ? value : JSON.stringify(value))
      }
      const json = rule.json
      if (!json || json.key !== key) continue
      let parsed: unknown
      try {
        parsed = typeof value === 'string' ? JSON.parse(value) : undefined
      } catch {}
      // What does not parse (a cut-off JSON string) cannot be searched: it goes whole.
      if (parsed === undefined || parsed === null || typeof parsed !== 'object') {
        this.counts[`path:${rule.path}`]!++
        return this.mark('REDACTED', String(value))
      }
      const count = replaceAt(parsed, json.segments, (found) =>
        this.mark('REDACTED', typeof found === 'string' ? found : (JSON.stringify(found) ?? '')),
      )
      if (count > 0) {
        this.counts[`path:${rule.path}`]! += count
        value = JSON.stringify(parsed)
      }
    }
    return value
  }

  private attributes(attributes: Attributes): Attributes {
    const out: Attributes = {}
    const paths = this.paths.length > 0
    for (const key in attributes) {
      let value = attributes[key]!
      if (paths) value = this.pathValue(key, value)
      out[key] = this.value(value)
    }
    return out
  }

  private events(events: readonly SpanEvent[]): readonly SpanEvent[] {
    if (events.length === 0) return events
    return events.map((event) => {
      const name = this.text(event.name, true)
      const out: SpanEvent = event.attributes
        ? { name, time: event.time, attributes: this.attributes(event.attributes) }
        : { name, time: event.time }
      // A count the sender gave (a span from elsewhere): kept, as the span's own are by the spread.
      return event.droppedAttributesCount === undefined
        ? out
        : { ...out, droppedAttributesCount: event.droppedAttributesCount }
    })
  }

  private error(error: SpanError | undefined): SpanError | undefined {
    if (!error) return undefined
    const message = this.text(error.message)
    return error.stack === undefined
      ? { type: error.type, message }
      : { type: error.type, message, stack: this.text(error.stack) }
  }

  /** A redacted copy of `span`. */
  span(span: SpanData): SpanData {
    return {
      ...span,
      name: this.text(span.name, true),
      attributes: this.attributes(span.attributes),
      events: this.events(span.events),
      error: this.error(span.error),
    }
  }
}
