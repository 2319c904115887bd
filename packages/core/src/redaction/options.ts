import { readEnv } from '../env.js'
import { TokentrailError } from '../errors.js'
import { checkKeys } from '../sampling/options.js'
import { DETECTOR_NAMES, type DetectorName } from './detector-names.js'
import type { TextRule } from './detectors.js'
import { checkPath } from './json-path.js'

/** Rules that take personal data and credentials out of spans before any exporter sees them. */
export interface RedactionOptions {
  /**
   * Built-in detectors, each switchable: `email`, `phone`, `creditCard` (Luhn-checked), `iban`
   * (checksum-checked), `apiKey` (provider key shapes, bearer tokens), `jwt`, `ip` (v4 and v6).
   * @default all on (TOKENTRAIL_REDACT=all, or a list such as email,credit_card,jwt)
   */
  detectors?: Partial<Record<DetectorName, boolean>> | undefined
  /** Your own patterns; a match becomes `[name]` (a bare RegExp is named `pattern_1`, …). @default [] */
  patterns?: ReadonlyArray<RegExp | { name: string; pattern: RegExp }> | undefined
  /**
   * Attributes to replace whole (`user.email`, `http.request.header.*`), or values inside a JSON
   * attribute (`gen_ai.input.messages[*].parts[*].content`). A JSON attribute that does not parse
   * is replaced whole. @default [] (TOKENTRAIL_REDACT_PATHS, comma-separated)
   */
  paths?: readonly string[] | undefined
  /**
   * `label` writes `[EMAIL]`; `hash` writes `[EMAIL:9f2c4b1a7d3e]`, the same for the same value
   * under one key, so equal values can still be told apart. @default 'label' (TOKENTRAIL_REDACT_REPLACE)
   */
  replace?: 'label' | 'hash' | undefined
  /** HMAC key for `hash`, so values cannot be guessed by hashing candidates. @default random per process (TOKENTRAIL_REDACT_HASH_KEY) */
  hashKey?: string | undefined
}

export interface ResolvedRedaction {
  /** Built-in detectors on, in the order they run (before `patterns`). */
  detectors: DetectorName[]
  /** The user's own patterns. */
  patterns: TextRule[]
  /** Path rules as written, checked (compiled by the redactor: path-rule.ts). */
  paths: string[]
  hash: boolean
  hashKey: string | undefined
}

const ENV_NAMES: Record<string, DetectorName> = {
  email: 'email',
  phone: 'phone',
  credit_card: 'creditCard',
  iban: 'iban',
  api_key: 'apiKey',
  jwt: 'jwt',
  ip: 'ip',
}

function detectorsFromEnv(raw: string): Partial<Record<DetectorName, boolean>> | undefined {
  const value = raw.toLowerCase()
  if (value === 'off' || value === 'none' || value === 'false') return undefined
  const chosen: Partial<Record<DetectorName, boolean>> = {}
  for (const name of DETECTOR_NAMES) chosen[name] = value === 'all' || value === 'true'
  if (value === 'all' || value === 'true') return chosen
  for (const part of value.split(',').map((p) => p.trim())) {
    if (part === '') continue
    const name = ENV_NAMES[part]
    if (!name)
      throw new TokentrailError(
        `TOKENTRAIL_REDACT must be all, off, or a list of ${Object.keys(ENV_NAMES).join(', ')}; got "${part}"`,
      )
    chosen[name] = true
  }
  return chosen
}

/** Resolves `redaction` over env; undefined when no rule is on. */
export function resolveRedaction(option: unknown): ResolvedRedaction | undefined {
  if (option === false) return undefined
  const envDetectors = readEnv('TOKENTRAIL_REDACT')
  const envPaths = readEnv('TOKENTRAIL_REDACT_PATHS')
  const given = option !== undefined
  if (option === undefined) {
    if (envDetectors === undefined && envPaths === undefined) return undefined
    option = {}
  }
  if (option === null || typeof option !== 'object' || Array.isArray(option))
    throw new TokentrailError(
      "redaction must be false or an options object such as { detectors: { ip: false }, paths: ['user.email'] }",
    )
  const o = option as RedactionOptions
  checkKeys(o, ['detectors', 'patterns', 'paths', 'replace', 'hashKey'], 'redaction')
  let detectors: Partial<Record<DetectorName, boolean>> | undefined
  if (o.detectors !== undefined) {
    if (o.detectors === null || typeof o.detectors !== 'object')
      throw new TokentrailError('redaction.detectors must be an object such as { ip: false }')
    checkKeys(o.detectors, DETECTOR_NAMES, 'redaction.detectors')
    detectors = {}
    for (const name of DETECTOR_NAMES) {
      const on = o.detectors[name]
      if (on !== undefined && typeof on !== 'boolean')
        throw new TokentrailError(`redaction.detectors.${name} must be true or false`)
      detectors[name] = on ?? true
    }
  } else if (envDetectors !== undefined) detectors = detectorsFromEnv(envDetectors)
  // Rules on (in code, or paths from env alone): the detectors too, each unless switched off.
  else if (given || envPaths !== undefined) detectors = {}
  const on = DETECTOR_NAMES.filter((name) => detectors && detectors[name] !== false)
  const rules: TextRule[] = []
  if (o.patterns !== undefined && !Array.isArray(o.patterns))
    throw new TokentrailError('redaction.patterns must be an array of RegExps or { name, pattern }')
  for (const [i, entry] of (o.patterns ?? []).entries()) {
    const pattern = entry instanceof RegExp ? entry : entry?.pattern
    const name = entry instanceof RegExp ? `pattern_${i + 1}` : entry?.name
    if (!(pattern instanceof RegExp) || typeof name !== 'string' || name === '')
      throw new TokentrailError(
        `redaction.patterns[${i}] must be a RegExp or { name: string, pattern: RegExp }`,
      )
    const flags = pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`
    rules.push({ name, label: name, pattern: new RegExp(pattern.source, flags) })
  }
  const pathList =
    o.paths ??
    envPaths
      ?.split(',')
      .map((p) => p.trim())
      .filter(Boolean) ??
    []
  if (!Array.isArray(pathList))
    throw new TokentrailError("redaction.paths must be an array such as ['user.email']")
  const paths = pathList.map((path, i) =>
    checkPath(
      path,
      o.paths === undefined ? `TOKENTRAIL_REDACT_PATHS entry "${path}"` : `redaction.paths[${i}]`,
    ),
  )
  const replace = o.replace ?? readEnv('TOKENTRAIL_REDACT_REPLACE') ?? 'label'
  if (replace !== 'label' && replace !== 'hash')
    throw new TokentrailError(
      `${o.replace === undefined ? 'TOKENTRAIL_REDACT_REPLACE' : 'redaction.replace'} must be 'label' or 'hash', got ${JSON.stringify(replace)}`,
    )
  const hashKey = o.hashKey ?? readEnv('TOKENTRAIL_REDACT_HASH_KEY')
  if (hashKey !== undefined && (typeof hashKey !== 'string' || hashKey.length < 16))
    throw new TokentrailError(
      `${o.hashKey === undefined ? 'TOKENTRAIL_REDACT_HASH_KEY' : 'redaction.hashKey'} must be a string of at least 16 characters`,
    )
  if (on.length === 0 && rules.length === 0 && paths.length === 0) return undefined
  return { detectors: on, patterns: rules, paths, hash: replace === 'hash', hashKey }
}
