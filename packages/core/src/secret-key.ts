// Credentials under a key named like one: checked as attribute values are set (attributes.ts),
// apart from the text scrub (secret-text.ts), which runs as spans end and loads after start-up.

/** The text put in place of a credential. */
export const REDACTED = '[REDACTED]'

// Keys whose values are credentials. Token *counts* (`input_tokens`) must not match.
const SECRET_KEY =
  /(^|[._-])(authorization|proxy-authorization|cookie|set-cookie|api[._-]?key|apikey|x-api-key|password|passwd|secret|client[._-]?secret|access[._-]?token|refresh[._-]?token|id[._-]?token|session[._-]?token|auth[._-]?token|bearer|private[._-]?key|credentials?)($|[._-])/i

// The same names in camelCase after another word (`dbPassword`, `openaiApiKey`, `webhookSecret`,
// `secretAccessKey`), or first with a word after them (`secretKey`, `passwordHash`): no separator
// to find them by. Case-sensitive: `inputTokens` is no credential.
const SECRET_CAMEL =
  /(?:[a-z0-9](?:Password|Passwd|Secret|ApiKey|PrivateKey|AccessKey|Authorization|Cookie|Credentials?|AccessToken|RefreshToken|AuthToken|SessionToken|IdToken)|(?:^|[._-])(?:password|passwd|secret|apiKey|privateKey|accessKey))(?:$|[A-Z0-9._-])/

const secretKeyCache = new Map<string, boolean>()

/** True when an attribute or object key names a credential (authorization, cookie, api key, password, secret…). */
export function isSecretKey(key: string): boolean {
  let hit = secretKeyCache.get(key)
  if (hit === undefined) {
    hit = SECRET_KEY.test(key) || SECRET_CAMEL.test(key)
    if (secretKeyCache.size < 4096) secretKeyCache.set(key, hit)
  }
  return hit
}
