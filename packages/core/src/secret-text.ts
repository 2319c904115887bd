// The credential scrub every span gets, on by default: credentials under a key named like one,
// and the ones that show up inside free text (an error quoting a key, a prompt, tool arguments).

// REDACTED and isSecretKey live in secret-key.ts: attribute values need them as they are set, at
// start-up; the text scrub here runs as spans end, loaded with span-end.ts.
import { isSecretKey, REDACTED } from './secret-key.js'

// What truncation leaves at a cut (`…[truncated N chars]`, or `…` inside a cut JSON string).
const CUT = '\u2026'

// `n` or more of `chars`, or, where the text was cut, any run of them that ends at the cut: a key
// cut in half by `maxStringLength` or `maxTextLength` is still a key's first half.
const run = (chars: string, n: number) => `(?:${chars}{${n},}|${chars}+(?=${CUT}))`

// Credentials that show up inside free text, each replaced whole, in families that each start
// with a literal (one regex of them all tries every position of a long text, ~6× slower). Each
// runs only where `hints` found what it starts with.
const BEARER = 1
const OPENAI = 2
const STRIPE = 4
const GOOGLE = 8
const XAI_GROQ = 16
const GIT = 32
const SLACK = 64
const AWS = 128
const JWT = 256
const PEM = 512

const FAMILIES: [family: number, pattern: RegExp][] = [
  [BEARER, new RegExp(`\\b(?:Bearer|Basic)\\s+${run('[A-Za-z0-9._~+/=-]', 8)}`, 'g')],
  // OpenAI, Anthropic (sk-ant-) and others' sk-, pk-, rk-.
  [OPENAI, new RegExp(`\\b[spr]k-(?:proj-|ant-|live-|test-)?${run('[A-Za-z0-9_-]', 16)}`, 'g')],
  [STRIPE, new RegExp(`\\b[sr]k_live_${run('[A-Za-z0-9]', 16)}`, 'g')],
  [GOOGLE, new RegExp(`\\bAIza${run('[0-9A-Za-z_-]', 30)}`, 'g')],
  [XAI_GROQ, new RegExp(`\\b(?:xai-|gsk_)${run('[A-Za-z0-9]', 20)}`, 'g')],
  // GitHub: ghp_, gho_, ghu_, ghs_, ghr_, github_pat_.
  [GIT, new RegExp(`\\b(?:gh[pousr]_|github_pat_)${run('[A-Za-z0-9_]', 20)}`, 'g')],
  [SLACK, new RegExp(`\\bxox[abposr]-${run('[A-Za-z0-9-]', 10)}`, 'g')],
  [AWS, new RegExp(`\\bA[KS]IA(?:[0-9A-Z]{16}\\b|[0-9A-Z]+(?=${CUT}))`, 'g')],
  // Header and payload are enough: the signature may be cut off.
  [JWT, /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?/g],
  // Also JSON-escaped (`\n` for a newline); an indented block keeps its indent out of the key.
  [
    PEM,
    /-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[A-Za-z0-9+/=]|\r?\n[ \t]*|(?:\\r)?\\n[ \t]*)*(?:-----END[A-Z ]*PRIVATE KEY-----)?/g,
  ],
]

// A value under a name that says it is a credential, in env, header, query or JSON form:
// `OPENAI_API_KEY=…`, `x-api-key: …`, `"clientSecret": "…"`, `access_token=…`. Found from each
// `:` and `=` (a regex looking for the credential words tries every position of a long text): the
// word before it (`key`, `secret`, `token`, `password`, `passwd`, `authorization`, in lower case,
// capitalised or upper case), past an optional `\`, quote and spaces; then the whole name before
// the word is checked with `isSecretKey` (so `primary_key` and `max_tokens` stay). VALUE reads
// the separator and the value from the word's end.
const VALUE = /(\\?["']?[ \t]*[:=][ \t]*\\?["']?)((?:Bearer |Basic |Token )?[^\s"'\\,;&}\]{[<>]+)/y

// Which families a text may hold. `indexOf` finds the absence of a literal far faster than a
// regex, which tries each position, and costs about one step per occurrence of the literal's
// first character, so the literals start with characters prose has little of (`Oi`, in every JWT
// header and payload `eyJ…iOi…`, not `eyJ`, which costs 15×), and have at most 6 characters
// (from 7, V8 builds a Boyer-Moore table on each call: `Password` cost 20× `Passw`). What ends at a
// `_` (`ghp_`, `sk_live_`, `gsk_`) is looked at from each `_` at once, which prose and Markdown
// hardly have; `-` is too common there (lists, dates, compound words) for that. Named values are
// looked for apart, from each `:` and `=` (`redactNamedValues`), in a text of any length.
const LITERALS: [literal: string, family: number][] = [
  ['k-', OPENAI],
  ['Bearer', BEARER],
  ['Basic', BEARER],
  ['AIza', GOOGLE],
  ['xai-', XAI_GROQ],
  ['xox', SLACK],
  ['AKIA', AWS],
  ['ASIA', AWS],
  ['Oi', JWT],
  ['E KEY-', PEM], // PRIVATE KEY-----
  // Names (`x-api-key: …`, `password=…`, `"apiKey": "…"`, `API_KEY=…`) come from each `:` and `=`.
]

// On a short text one regex is cheaper than the `indexOf`s: it says whether any family may be
// there. Not a bare `_`: ids such as `call_…` and `invoke_agent` would send most short texts
// through every regex. `[spr]k-`, as the key family needs, not `k-`: `deepseek-chat`, in every
// DeepSeek span name and model attribute, sent them through every regex (~400 ns, not ~80).
const SHORT_HINT =
  /[spr]k-|Bearer|Basic|AIza|xai-|xox|A[KS]IA|Oi|E KEY-|gh[pousr]_|_pat_|gsk_|_live_/
const ALL = 1023

function hints(text: string): number {
  // Short: every family, when any may be there (each regex is cheap on a short text).
  if (text.length <= 256) return SHORT_HINT.test(text) ? ALL : 0
  let found = 0
  for (let i = 0; i < LITERALS.length; i++) {
    const [literal, family] = LITERALS[i]!
    if ((found & family) === 0 && text.indexOf(literal) !== -1) found |= family
  }
  for (let at = text.indexOf('_'); at !== -1; at = text.indexOf('_', at + 1))
    found |= afterUnderscore(text, at)
  return found
}

const lower = (c: number) => c | 0x20

// The families a `_` at `at` may belong to: the end of a key prefix (`gsk_`, `gh?_`,
// `github_pat_`, `sk_live_`).
function afterUnderscore(text: string, at: number): number {
  let found = 0
  const b1 = text.charCodeAt(at - 1)
  const b2 = text.charCodeAt(at - 2)
  const b3 = text.charCodeAt(at - 3)
  if (b3 === 103 && b2 === 115 && b1 === 107) found |= XAI_GROQ // gsk
  if (b3 === 103 && b2 === 104) found |= GIT // gh?
  if (b3 === 112 && b2 === 97 && b1 === 116) found |= GIT // github_pat
  if (b3 === 105 && b2 === 118 && b1 === 101) found |= STRIPE // (l)ive
  return found
}

// The name a credential word ending at `end` belongs to: the key characters up to `end`.
function nameAt(text: string, end: number): string {
  let start = end
  while (start > 0) {
    const c = text.charCodeAt(start - 1)
    if (
      (c >= 48 && c <= 57) ||
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 95 ||
      c === 45 ||
      c === 46
    )
      start--
    else break
  }
  return text.slice(start, end)
}

/**
 * Replaces credentials that appear inside a string: bearer tokens, provider API keys, JWTs, PEM
 * private keys, passwords in URLs (`postgres://user:…@`), URL query values named like a secret
 * (`?key=`, `&sig=`), and values under credential names (`OPENAI_API_KEY=…`, `"apiKey": "…"`).
 */
export function redactSecretsInText(text: string): string {
  return text.length < 16 ? text : redact(text)
}

/**
 * `redactSecretsInText` for a span name. A name is words the app chose (`invoke_agent Basic
 * Researcher`, `execute_tool sk-learn-classifier`), so after `Bearer`/`Basic` or an `sk-`/`pk-`
 * prefix only what looks made, not written, is a credential: a digit, or a capital after a letter
 * (`dXNlcjpw…`, `sk-proj-AbC…`). A lower-case word there (`Bearer authentication`) is kept.
 */
export function redactSecretsInName(text: string): string {
  return text.length < 16 ? text : redact(text, true)
}

/**
 * `redactSecretsInText` for a JSON text of tool arguments or results, where any key may name a
 * credential (`{"password": "…"}`): the same rules as `redactSecretsInText`, which looks for
 * names in a text of any length too.
 */
export function redactSecretsInJson(text: string): string {
  return text.length < 16 ? text : redact(text)
}

// The families `hints` finds, then names, queries and URL passwords.
function redact(text: string, name = false): string {
  let out = text
  const found = hints(text)
  if (found !== 0)
    for (let i = 0; i < FAMILIES.length; i++) {
      const [family, pattern] = FAMILIES[i]!
      if ((found & family) === 0) continue
      pattern.lastIndex = 0
      if (!pattern.test(out)) continue
      pattern.lastIndex = 0
      out =
        name && (family === BEARER || family === OPENAI)
          ? out.replace(pattern, madeOrKept)
          : out.replace(pattern, REDACTED)
    }
  out = redactNamedValues(out)
  if (out.indexOf('?') !== -1) out = redactQueries(out)
  // `@` (or a cut, which may have taken it) first: `://` costs more to look for in JSON, where
  // `:` is common.
  return (out.indexOf('@') === -1 && out.indexOf(CUT) === -1) || out.indexOf('://') === -1
    ? out
    : redactUserinfo(out)
}

// In a span name: a `Bearer …` or `sk-…` match is replaced when its credential part (after the
// last space or prefix dash) has a digit or a capital after a letter; a written word is kept.
const MADE = /[0-9]|[A-Za-z][A-Z]/
// After `sk-`/`pk-`/`rk-`: lower-case words, each with at most one run of digits, between dashes or
// underscores (`sk-learn-classifier-v2`, `pk-lookup-2024`) are written too. Keys are mixed case,
// or hex (DeepSeek's `sk-` + 32), whose digits come in many runs; `sk-proj-` and `sk-ant-` are
// keys whatever follows. (Linear: the classes are disjoint.)
const WRITTEN = /^[a-z]*(?:[0-9]+[a-z]*)?(?:[-_][a-z]*(?:[0-9]+[a-z]*)?)*$/

/**
 * A bearer token or provider-key match in a span name that is the name's own words
 * (`Basic Researcher`, `sk-learn-classifier-v2`), which the scrub keeps: for the redaction rules'
 * `apiKey` detector, which keeps them too.
 */
export function writtenInName(match: string): boolean {
  return madeOrKept(match) === match
}

function madeOrKept(match: string): string {
  const space = match.search(/\s/)
  const body = space !== -1 ? match.slice(space) : match.slice(3)
  const written =
    space === -1 && !body.startsWith('proj-') && !body.startsWith('ant-') && WRITTEN.test(body)
  return MADE.test(body) && !written ? REDACTED : match
}

/**
 * `redactSecretsInText` for a text cut short at its end (a character budget): a credential cut in
 * half there is still replaced, as at a cut `truncate` marks.
 */
export function redactCutText(text: string): string {
  const out = redactSecretsInText(text + CUT)
  return out.endsWith(CUT) ? out.slice(0, -1) : out
}

// Each `:` and `=` in order (both searched with `indexOf`, one step per separator); after a
// match, the search goes on past its value, and a word that starts inside it is not one, as with
// a global regex.
function redactNamedValues(text: string): string {
  // Most texts have no credential word before any separator: one tight loop per separator finds
  // that (the merged, ordered loop below costs about a third more per separator).
  if (!wordBefore(text, ':') && !wordBefore(text, '=')) return text
  let out = ''
  let copied = 0
  let resume = 0
  let colon = text.indexOf(':')
  let equals = text.indexOf('=')
  while (colon !== -1 || equals !== -1) {
    let at: number
    if (equals === -1 || (colon !== -1 && colon < equals)) {
      at = colon
      colon = text.indexOf(':', at + 1)
    } else {
      at = equals
      equals = text.indexOf('=', at + 1)
    }
    const end = wordEnd(text, at)
    // Most separators end here: the word does not end as a credential word does.
    if (!endsLikeCredential(text, end)) continue
    const word = credentialWord(text, end)
    if (word === 0 || end - word < resume) continue
    VALUE.lastIndex = end
    const match = VALUE.exec(text)
    if (match === null) continue
    const next = VALUE.lastIndex
    resume = next
    if (isSecretKey(nameAt(text, end))) {
      out += text.slice(copied, end + match[1]!.length) + REDACTED
      copied = next
    }
    if (colon !== -1 && colon < next) colon = text.indexOf(':', next)
    if (equals !== -1 && equals < next) equals = text.indexOf('=', next)
  }
  return copied === 0 ? text : out + text.slice(copied)
}

// Whether a credential word comes before any `separator` in `text`.
function wordBefore(text: string, separator: string): boolean {
  for (let at = text.indexOf(separator); at !== -1; at = text.indexOf(separator, at + 1)) {
    const end = wordEnd(text, at)
    if (!endsLikeCredential(text, end)) continue
    if (credentialWord(text, end) !== 0) return true
  }
  return false
}

// Where the word before the separator at `at` ends: past spaces or tabs, a quote and a `\`.
function wordEnd(text: string, at: number): number {
  let end = at
  let c = text.charCodeAt(end - 1)
  while (c === 32 || c === 9) c = text.charCodeAt(--end - 1)
  if (c === 34 || c === 39) c = text.charCodeAt(--end - 1)
  if (c === 92) end--
  return end
}

// Whether the word ending at `end` may be a credential word: it ends in y, t, n or d (`key`,
// `secret`, `token`, `password`…), or in `ie`, `ls` or `al` (`cookie`, `credentials`,
// `credential`; JSON keys such as `type` and `role` end in e too, and stop at the letter before).
function endsLikeCredential(text: string, end: number): boolean {
  const last = text.charCodeAt(end - 1) | 0x20
  if (last === 121 || last === 116 || last === 110 || last === 100) return true
  if (last !== 101 && last !== 115 && last !== 108) return false
  const prev = text.charCodeAt(end - 2) | 0x20
  return last === 101 ? prev === 105 : last === 115 ? prev === 108 : prev === 97
}

// The length of the credential word ending at `end`, 0 when there is none: `key`, `secret`,
// `token`, `password`, `passwd`, `authorization`, `cookie` or `credential(s)`, in lower case,
// capitalised or upper case.
function credentialWord(text: string, end: number): number {
  let length = 0
  switch (lower(text.charCodeAt(end - 1))) {
    case 121: // y
      if (endsWith(text, end, 'key')) length = 3
      break
    case 116: // t
      if (endsWith(text, end, 'secret')) length = 6
      break
    case 110: // n
      if (endsWith(text, end, 'token')) length = 5
      else if (endsWith(text, end, 'authorization')) length = 13
      break
    case 100: // d
      if (endsWith(text, end, 'passwd')) length = 6
      else if (endsWith(text, end, 'password')) length = 8
      break
    case 101: // e
      if (endsWith(text, end, 'cookie')) length = 6
      break
    case 115: // s
      if (endsWith(text, end, 'credentials')) length = 11
      break
    case 108: // l
      if (endsWith(text, end, 'credential')) length = 10
  }
  if (length === 0) return 0
  const word = text.slice(end - length, end)
  const low = word.toLowerCase()
  return word === low ||
    word === word.toUpperCase() ||
    (word.slice(1) === low.slice(1) && word.charCodeAt(0) !== low.charCodeAt(0))
    ? length
    : 0
}

// Whether `text` before `end` ends with the lower-case `word`, in any case.
function endsWith(text: string, end: number, word: string): boolean {
  const start = end - word.length
  if (start < 0) return false
  for (let i = 0; i < word.length; i++)
    if (lower(text.charCodeAt(start + i)) !== word.charCodeAt(i)) return false
  return true
}

// A parameter of a query (`?a=1&b=2`, in a URL or a path) named like a credential (`key`,
// `api_key`, `access_token`, `sig`, `X-Amz-Signature`…), with its value.
const SECRET_PARAM =
  /((?:^|[?&])(?:[A-Za-z0-9_.%-]*[._-])?(?:key|apikey|token|secret|password|passwd|pwd|sig|signature|credential|auth)=)([^&]+)/gi

// Whether two lower-case letters end a name SECRET_PARAM knows: `ke|y`, `toke|n`, `secre|t`,
// `passwo|rd`, `p|wd`, `s|ig`, `signatu|re`, `credenti|al`, `au|th`.
function endsSecretName(a: number, b: number): boolean {
  switch (b) {
    case 121: // y
      return a === 101
    case 110: // n
      return a === 101
    case 116: // t
      return a === 101
    case 100: // d
      return a === 114 || a === 119
    case 103: // g
      return a === 105
    case 101: // e
      return a === 114
    case 108: // l
      return a === 97
    case 104: // h
      return a === 116
  }
  return false
}

// Where the query starting at `from` (its `?`) ends: a space, a quote, an angle bracket, a
// backslash (a JSON escape), a closing bracket (a Markdown link) or `#`. A value an earlier rule
// already replaced (`?api_key=[REDACTED]&sig=…`) is part of the query: its `]` ends nothing.
// Negative (minus the end) when no parameter may be named like a credential, so most queries
// (`?page=2`) skip the regex.
function queryEnd(text: string, from: number): number {
  let suspect = false
  let i = from + 1
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === 91 && text.startsWith(REDACTED, i)) {
      i += REDACTED.length - 1
      continue
    }
    if (
      c <= 32 ||
      c === 34 ||
      c === 39 ||
      c === 60 ||
      c === 62 ||
      c === 92 ||
      c === 41 ||
      c === 93 ||
      c === 96 ||
      c === 35
    )
      break
    if (c === 61 && !suspect && i >= from + 3)
      suspect = endsSecretName(lower(text.charCodeAt(i - 2)), lower(text.charCodeAt(i - 1)))
  }
  return suspect ? i : -i
}

// Each query is found from its `?` (a regex looking for `?` or `&` tries every position).
function redactQueries(text: string): string {
  let out = ''
  let copied = 0
  for (let at = text.indexOf('?'); at !== -1; at = text.indexOf('?', at + 1)) {
    const end = queryEnd(text, at)
    if (end < 0) {
      at = -end - 1
      continue
    }
    const query = text.slice(at, end)
    SECRET_PARAM.lastIndex = 0
    if (!SECRET_PARAM.test(query)) continue
    SECRET_PARAM.lastIndex = 0
    const clean = query.replace(SECRET_PARAM, (match, name: string, value: string) =>
      value.startsWith('[REDACTED') ? match : name + REDACTED,
    )
    if (clean === query) continue
    out += text.slice(copied, at) + clean
    copied = end
    at = end - 1
  }
  return copied === 0 ? text : out + text.slice(copied)
}

// The rest of a URL after `://`: up to a space, a quote, an angle bracket or a backslash (a JSON
// escape), or a closing bracket (a Markdown link).
const URL_REST = /[^\s"'<>\\)\]`]*/y

// In each URL with an `@`: the password of `user:password@`, or a long token used as the user
// name (`https://<token>@host`). In a URL cut short before its `@` (`postgres://app:S3cr…`), what
// follows the `:` of its first part is a password's first half, or a port: it is replaced.
function redactUserinfo(text: string): string {
  let out = ''
  let copied = 0
  let nextAt = text.indexOf('@')
  let nextCut = text.indexOf(CUT)
  for (let at = text.indexOf('://'); at !== -1 && (nextAt !== -1 || nextCut !== -1); ) {
    URL_REST.lastIndex = at + 3
    URL_REST.test(text)
    const end = URL_REST.lastIndex
    if (nextAt !== -1 && nextAt < at) nextAt = text.indexOf('@', at)
    if (nextCut !== -1 && nextCut < at) nextCut = text.indexOf(CUT, at)
    let hostStart = text.slice(at + 3, end).search(/[/?#]/)
    hostStart = hostStart === -1 ? end : at + 3 + hostStart
    // The user part ends at the last `@` before the host's end, or at a cut before any `/`, `?`,
    // `#` or `@` (`user:pass…`, or `host:port…`).
    const cut = !(nextAt !== -1 && nextAt < hostStart) && nextCut !== -1 && nextCut <= hostStart
    const userEnd = cut ? nextCut : nextAt !== -1 ? text.lastIndexOf('@', hostStart - 1) : -1
    if (userEnd > at + 3) {
      const user = text.slice(at + 3, userEnd)
      const colon = user.indexOf(':')
      let clean: string | undefined
      if (colon !== -1 && colon < user.length - 1 && !user.startsWith(REDACTED, colon + 1))
        clean = `${user.slice(0, colon + 1)}${REDACTED}`
      // A long token as the user name (the first part of a cut URL is its host's, as likely).
      else if (!cut && colon === -1 && user.length >= 20 && user !== REDACTED) clean = REDACTED
      if (clean !== undefined) {
        out += text.slice(copied, at + 3) + clean
        copied = userEnd
      }
    }
    at = text.indexOf('://', Math.max(end, at + 3))
  }
  return copied === 0 ? text : out + text.slice(copied)
}
