import type { DetectorName } from './detector-names.js'

/** One rule that finds sensitive text: a global RegExp, an optional check of each match, a label. */
export interface TextRule {
  /** The name counted in `stats().redaction`. */
  readonly name: string
  /** What a match becomes: `[LABEL]`, or `[LABEL:hash]`. */
  readonly label: string
  readonly pattern: RegExp
  /** Finds matches itself, as ascending [start, end) ranges, where a scan beats the regex. */
  readonly find?: (text: string) => [number, number][]
  /** Cheap test that the text may hold a match at all. */
  readonly mayMatch?: (text: string) => boolean
  /**
   * Returns the part of `match` to replace as [start, end), or undefined when the match is not one
   * (a number that fails Luhn). Default: the whole match.
   */
  readonly check?: (match: string) => [number, number] | undefined
}

function luhn(digits: string): boolean {
  let sum = 0
  let double = false
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48
    if (double) {
      d *= 2
      if (d > 9) d -= 9
    }
    sum += d
    double = !double
  }
  return sum % 10 === 0
}

function ibanValid(compact: string): boolean {
  if (compact.length < 15 || compact.length > 34) return false
  const moved = compact.slice(4) + compact.slice(0, 4)
  let remainder = 0
  for (let i = 0; i < moved.length; i++) {
    const code = moved.charCodeAt(i)
    const value = code >= 65 ? code - 55 : code - 48
    remainder = value > 9 ? (remainder * 100 + value) % 97 : (remainder * 10 + value) % 97
  }
  return remainder === 1
}

// Positions in `text` of each character for which `keep` holds.
function positions(text: string, keep: (code: number) => boolean): number[] {
  const out: number[] = []
  for (let i = 0; i < text.length; i++) if (keep(text.charCodeAt(i))) out.push(i)
  return out
}

const isDigit = (c: number) => c >= 48 && c <= 57
const isAlnum = (c: number) => isDigit(c) || (c >= 65 && c <= 90)

// A run of digit groups may hold a card with extra groups around it: try the longest windows that
// start and end on group edges.
function cardWithin(match: string): [number, number] | undefined {
  const at = positions(match, isDigit)
  const starts = [0]
  for (let i = 1; i < at.length; i++) if (at[i]! !== at[i - 1]! + 1) starts.push(i)
  const ends = starts.slice(1).map((s) => s - 1)
  ends.push(at.length - 1)
  let best: [number, number] | undefined
  for (const s of starts)
    for (const e of ends) {
      const n = e - s + 1
      if (n < 13 || n > 19) continue
      if (best && n <= best[1] - best[0]) continue
      let digits = ''
      for (let i = s; i <= e; i++) digits += match[at[i]!]
      if (luhn(digits)) best = [s, e + 1]
    }
  return best && [at[best[0]]!, at[best[1] - 1]! + 1]
}

// The regex is greedy and may take a following word: keep the longest prefix that checks out.
function ibanWithin(match: string): [number, number] | undefined {
  const at = positions(match, isAlnum)
  let compact = ''
  for (const i of at) compact += match[i]
  for (let n = Math.min(34, compact.length); n >= 15; n--)
    if (ibanValid(compact.slice(0, n))) return [0, at[n - 1]! + 1]
  return undefined
}

function phoneCheck(match: string): [number, number] | undefined {
  const digits = positions(match, isDigit).length
  if (digits < 9 || digits > 15) return undefined
  // A bare run of digits is a number (an id, a timestamp), not a phone number.
  if (!/[+() .-]/.test(match)) return undefined
  return [0, match.length]
}

// `a::b` is a valid IPv6 address but far more often code (`std::vector`, `a::b`): ask for some
// substance (four hex digits), except for the loopback `::1`.
function ipCheck(match: string): [number, number] | undefined {
  if (!match.includes(':') || match === '::1') return [0, match.length]
  let hex = 0
  for (let i = 0; i < match.length; i++) if (match.charCodeAt(i) !== 58) hex++
  return hex >= 4 ? [0, match.length] : undefined
}

const isLocal = (c: number) =>
  (c >= 48 && c <= 57) ||
  (c >= 65 && c <= 90) ||
  (c >= 97 && c <= 122) ||
  c === 46 ||
  c === 95 ||
  c === 37 ||
  c === 43 ||
  c === 45
const DOMAIN = /[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/y

// From each `@` outwards: the regex alone tries every word start of a long prompt.
function findEmails(text: string): [number, number][] {
  const out: [number, number][] = []
  let from = 0
  let at = text.indexOf('@')
  while (at >= 0) {
    let start = at
    while (start > from && isLocal(text.charCodeAt(start - 1))) start--
    DOMAIN.lastIndex = at + 1
    if (start < at && DOMAIN.test(text)) {
      out.push([start, DOMAIN.lastIndex])
      from = DOMAIN.lastIndex
      at = text.indexOf('@', from)
    } else at = text.indexOf('@', at + 1)
  }
  return out
}

// Cheap hints that an address may be there: digits around dots, or two colons close together.
const IP_HINT = /\d\.\d{1,3}\.|:[0-9A-Fa-f]{0,4}:/

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
const H = '[0-9A-Fa-f]{1,4}'

/** The built-in detectors, in the order they run (specific before general). */
export const DETECTORS: Record<DetectorName, TextRule> = {
  jwt: {
    name: 'jwt',
    label: 'JWT',
    pattern: /\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g,
    mayMatch: (text) => text.includes('eyJ'),
  },
  apiKey: {
    name: 'apiKey',
    label: 'API_KEY',
    pattern:
      /\b(?:sk|pk|rk)[-_](?:proj-|ant-|live_|test_|live-|test-)?[A-Za-z0-9_-]{16,}|\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}|\bgithub_pat_[A-Za-z0-9_]{20,}|\bxox[abposr]-[A-Za-z0-9-]{10,}|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{30,}|\bglpat-[A-Za-z0-9_-]{20,}|\bxai-[A-Za-z0-9]{20,}|\bgsk_[A-Za-z0-9]{20,}|\b(?:Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g,
  },
  email: {
    name: 'email',
    label: 'EMAIL',
    pattern:
      /(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g,
    mayMatch: (text) => text.includes('@'),
    find: findEmails,
  },
  creditCard: {
    name: 'creditCard',
    label: 'CREDIT_CARD',
    pattern: /(?<!\w)\d(?:[ -]?\d){12,40}(?!\w)/g,
    check: cardWithin,
  },
  iban: {
    name: 'iban',
    label: 'IBAN',
    pattern: /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,34}/g,
    check: ibanWithin,
  },
  ip: {
    name: 'ip',
    label: 'IP',
    pattern: new RegExp(
      `(?<![\\w.])${OCTET}(?:\\.${OCTET}){3}(?![\\w]|\\.\\d)|(?<![\\w:])(?:(?:${H}:){7}${H}|(?:${H}:){1,6}:(?:${H}:){0,5}${H}|(?:${H}:){1,7}:|::(?:${H}:){0,6}${H})(?![\\w:])`,
      'g',
    ),
    check: ipCheck,
    mayMatch: (text) => IP_HINT.test(text),
  },
  phone: {
    name: 'phone',
    label: 'PHONE',
    // After a country code, a one-digit area or mobile prefix (`+33 6 12 34 56 78`, `+81 3-1234-5678`).
    pattern:
      /(?<![\w+])(?:\+\d{1,3}(?:[ .-]?\d(?=[ .-]))?[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]?\d{2,4}){1,4}(?![\w])/g,
    check: phoneCheck,
  },
}
