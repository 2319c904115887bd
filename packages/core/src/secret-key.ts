// Credentials under a key named like one: checked as attribute values are set (attributes.ts),
// apart from the text scrub (secret-text.ts), which runs as spans end and loads after start-up.

/** The text put in place of a credential. */
export const REDACTED = '[REDACTED]'

// Keys whose values are credentials. Token *counts* (`input_tokens`) must not match.
const SECRET_KEY =
  /(^|[._-])(authorization|proxy-authorization|cookie|set-cookie|api[._-]?key|apikey|x-api-key|password|passwd|secret|client[._-]?secret|access[._-]?token|refresh[._-]?token|id[._-]?token|session[._-]?token|auth[._-]?token|bearer|private[._-]?key|credentials?)($|[._-])/i

const secretKeyCache = new Map<string, boolean>()

/** True when an attribute or object key names a credential (authorization, cookie, api key, password, secret…). */
export function isSecretKey(key: string): boolean {
  let hit = secretKeyCache.get(key)
  if (hit === undefined) {
    hit = SECRET_KEY.test(key)
    if (secretKeyCache.size < 4096) secretKeyCache.set(key, hit)
  }
  return hit
}
