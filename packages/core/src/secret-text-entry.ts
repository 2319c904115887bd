// The text scrub as the entries export it: the same functions, through values of this module
// rather than `export { … } from`. The tracer uses them only in span-end.ts (loaded by
// `import()`); esbuild puts every module an entry reaches directly, and some code uses, in the
// start-up chunks, but it does not follow the imports of a module nothing uses (this one, unless
// the app or an adapter imports one of them). bundle-split.node.test.ts checks. Tokentrail's own
// adapters take the scrub as it loads with the span-end code (`textScrub`, `scrubLater`); the
// functions stay exported for apps and for adapters of earlier releases.
import * as scrub from './secret-text.js'

/**
 * Replaces credentials that appear inside a string: bearer tokens, provider API keys, JWTs, PEM
 * private keys, passwords in URLs (`postgres://user:…@`), URL query values named like a secret
 * (`?key=`, `&sig=`), and values under credential names (`OPENAI_API_KEY=…`, `"apiKey": "…"`).
 */
export const redactSecretsInText: (text: string) => string = scrub.redactSecretsInText

/**
 * `redactSecretsInText` for a JSON text of tool arguments or results, where any key may name a
 * credential (`{"password": "…"}`): names are looked for in any case, with or without hints of
 * them (a text of up to 256 characters gets every rule, as in `redactSecretsInText`).
 */
export const redactSecretsInJson: (text: string) => string = scrub.redactSecretsInJson

/**
 * `redactSecretsInText` for a text cut short at its end (a character budget): a credential cut in
 * half there is still replaced, as at a cut `truncate` marks.
 */
export const redactCutText: (text: string) => string = scrub.redactCutText
