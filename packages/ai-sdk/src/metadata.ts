import {
  checkOptionKeys,
  closestKey,
  collectionName,
  createAsyncStorage,
  TokentrailError,
  tracerNotice,
} from '@tokentrail/core/internal'
/** Who and what a model call is for; recorded on every LLM span it applies to. */
export interface TraceMetadata {
  /** Recorded as `user.id` (a number as its text). */
  userId?: string | number | undefined
  /** Recorded as `session.id` and `gen_ai.conversation.id` (a number as its text). */
  sessionId?: string | number | undefined
  /** Recorded as `tokentrail.tags`; tags from outer scopes and the call are merged. */
  tags?: readonly string[] | undefined
  /** Any other attributes, recorded as given (values are sanitised). */
  attributes?: Record<string, unknown> | undefined
}

/**
 * Copies user metadata attributes key by key: `Object.assign` would turn a `__proto__` key into a
 * new prototype, and a throwing getter or proxy must cost only what it guards, not the span.
 */
function copyOwn(target: Record<string, unknown>, source: Record<string, unknown>): void {
  try {
    for (const key of Object.keys(source)) {
      try {
        Object.defineProperty(target, key, {
          value: source[key],
          enumerable: true,
          writable: true,
          configurable: true,
        })
      } catch {}
    }
  } catch {}
}

/**
 * Writes a call's metadata on an LLM or embeddings span's attributes: `userId` as `user.id`,
 * `sessionId` as `session.id` and `gen_ai.conversation.id`, `tags` as `tokentrail.tags` (a copy:
 * the span is written when it ends, and the caller's array may change by then). Its `attributes`
 * come back apart, copied, with those three written over them: the user's keys take the span's
 * checked path after its own keys (they may override them), and the metadata's win over a user
 * key of the same name.
 */
export function metadataAttributes(
  metadata: TraceMetadata | undefined,
  attributes: Record<string, unknown>,
): Record<string, unknown> | undefined {
  if (!metadata) return undefined
  let userAttributes: Record<string, unknown> | undefined
  if (metadata.attributes) copyOwn((userAttributes = {}), metadata.attributes)
  const target = userAttributes ?? attributes
  if (metadata.userId) target['user.id'] = metadata.userId
  if (metadata.sessionId) {
    target['session.id'] = metadata.sessionId
    target['gen_ai.conversation.id'] = metadata.sessionId
  }
  if (metadata.tags && metadata.tags.length > 0) target['tokentrail.tags'] = [...metadata.tags]
  return userAttributes
}

/** The keys of `TraceMetadata`. */
export const METADATA_KEYS = ['userId', 'sessionId', 'tags', 'attributes']

/**
 * The `metadata` option of a middleware, checked when it is created (a call's own metadata is only
 * said once, never thrown): tracingMiddleware's and embeddingTracingMiddleware's.
 */
export function checkMetadataOption(metadata: unknown, name: string): void {
  if (metadata !== undefined && (metadata === null || typeof metadata !== 'object'))
    throw new TokentrailError(
      'metadata must be an object { userId?, sessionId?, tags?, attributes? }',
    )
  const where = `${name}({ metadata })`
  checkOptionKeys(metadata, METADATA_KEYS, where)
  if (!metadata) return
  const m = metadata as Record<string, unknown>
  for (const key of ['userId', 'sessionId'] as const) {
    const id = m[key]
    if (id != null && typeof id !== 'string' && typeof id !== 'bigint' && !Number.isFinite(id))
      throw new TokentrailError(`${where}: ${key} must be a string or a number, got ${typeof id}`)
  }
  const tags = m.tags
  if (
    tags != null &&
    typeof tags !== 'string' &&
    !(Array.isArray(tags) && tags.every((tag) => typeof tag === 'string'))
  )
    throw new TokentrailError(`${where}: tags must be an array of strings`)
  const attributes = m.attributes
  if (attributes != null && (typeof attributes !== 'object' || Array.isArray(attributes)))
    throw new TokentrailError(`${where}: attributes must be an object of attribute values`)
  // A Map has no own keys: its attributes were recorded as nothing, unsaid.
  const collection = attributes != null && collectionName(attributes, true)
  if (collection)
    throw new TokentrailError(
      `${where}: attributes must be an object of attribute values, got ${collection}`,
    )
}

// One slot per process, shared by every copy of this package; no static `node:` import.
const storage = createAsyncStorage<TraceMetadata>('tokentrail.ai-sdk.metadata.storage')

/** Merges metadata: later values win, tags add up, attributes merge. */
export function mergeMetadata(
  outer: TraceMetadata | undefined,
  inner: TraceMetadata | undefined,
): TraceMetadata | undefined {
  if (!outer) return inner
  if (!inner) return outer
  const tags =
    outer.tags || inner.tags
      ? [...new Set([...(outer.tags ?? []), ...(inner.tags ?? [])])]
      : undefined
  return {
    userId: inner.userId ?? outer.userId,
    sessionId: inner.sessionId ?? outer.sessionId,
    tags,
    attributes:
      outer.attributes || inner.attributes
        ? { ...outer.attributes, ...inner.attributes }
        : undefined,
  }
}

/**
 * Runs `fn` with metadata that every traced model call inside it records (user, session, tags,
 * attributes), without rebuilding the model. Nested scopes merge. Needs AsyncLocalStorage to
 * follow `await` (Node, Bun, Deno, Vercel Edge, Workers with nodejs_compat).
 *
 * @example
 * await withTraceMetadata({ userId: user.id, sessionId: chatId, tags: ['chat'] }, () =>
 *   streamText({ model, messages }).consumeStream(),
 * )
 */
export function withTraceMetadata<T>(metadata: TraceMetadata, fn: () => T): T {
  // A programming error, thrown as the call would have (a TypeError), naming the argument.
  if (typeof fn !== 'function')
    throw new TypeError(
      `withTraceMetadata(metadata, fn): fn must be the function to run, got ${fn === null ? 'null' : typeof fn}`,
    )
  // Called per request: what it cannot use is never thrown into the user's path, but said once by
  // the traced calls inside the scope, through the tracer each records to (`tracingMiddleware({
  // tracer })` as well as the process-wide one), not whichever `getTracer()` answers here.
  const outer = storage.get() as Scope | undefined
  let unsaid: Notice[] | undefined
  const own = readMetadata(metadata, 'withTraceMetadata()', (key: string, message: string) => {
    ;(unsaid ??= []).push([key, message])
  })
  let scope = mergeMetadata(outer, own) as Scope | undefined
  const inherited = outer?.[UNSAID]
  if (unsaid) scope = { ...scope, [UNSAID]: inherited ? [...inherited, ...unsaid] : unsaid }
  else if (inherited && scope !== outer) scope = { ...scope, [UNSAID]: inherited }
  return storage.run(scope as TraceMetadata, fn)
}

type Notice = [key: string, message: string]
// What a scope's metadata could not use, for the calls inside it to say (see sayMetadataNotices).
const UNSAID = Symbol('tokentrail.metadata.unsaid')
type Scope = TraceMetadata & { [UNSAID]?: readonly Notice[] }

/**
 * Says, once per tracer and key, what the `withTraceMetadata` scopes of `metadata` could not use,
 * through `tracer`'s warnings (`tracer` may be a function giving it). Nothing to say: one property
 * read.
 */
export function sayMetadataNotices(
  metadata: TraceMetadata | undefined,
  tracer: unknown | (() => unknown),
): void {
  const notices = (metadata as Scope | undefined)?.[UNSAID]
  if (!notices) return
  // A function is called only now: getTracer() makes the process-wide tracer.
  const to = typeof tracer === 'function' ? tracer() : tracer
  for (const [key, message] of notices) tracerNotice(to, key, message)
}

/** The metadata of the current `withTraceMetadata` scope, if any. */
export function getTraceMetadata(): TraceMetadata | undefined {
  return storage.get()
}

/**
 * Keeps the usable fields of user-supplied metadata; never throws. A number is taken for `userId`
 * and `sessionId` (a database id), one string for `tags`. What it cannot use (an unknown key such
 * as `user_id`, a value of the wrong type) is left out and said once per tracer through `tracer`'s
 * warnings (or handed to `tracer` when it is a function of a key and a message), naming `where` it
 * came from.
 */
export function readMetadata(
  value: unknown,
  where?: string,
  tracer?: unknown,
): TraceMetadata | undefined {
  if (value === undefined) return undefined
  const say = (what: string, message: string): void => {
    if (!where) return
    const key = `metadata ${where} ${what}`
    const text = `${where}: ${message} Said once.`
    if (typeof tracer === 'function') tracer(key, text)
    else tracerNotice(tracer, key, text)
  }
  if (value === null || typeof value !== 'object' || collectionName(value)) {
    say(
      'shape',
      `metadata must be an object { userId?, sessionId?, tags?, attributes? }, got ${shown(value)}; it was not recorded.`,
    )
    return undefined
  }
  const out: TraceMetadata = {}
  try {
    readFields(value as Record<string, unknown>, out, say)
  } catch {
    // A Proxy or a getter that throws: what was read before it is kept; the call goes on.
    say(
      'unreadable',
      'the metadata object threw when read (a Proxy or a getter); only what was read before was recorded.',
    )
  }
  return out
}

function readFields(
  input: Record<string, unknown>,
  out: TraceMetadata,
  say: (what: string, message: string) => void,
): void {
  for (const key in input) {
    if (METADATA_KEYS.includes(key)) continue
    const near = closestKey(key, METADATA_KEYS)
    // Once per source, for the first such key: keys made at run time cannot grow without bound.
    say(
      'key',
      `unknown metadata key \`${key}\`${near ? ` — did you mean \`${near}\`?` : '.'} It was not recorded. Valid keys: ${METADATA_KEYS.join(', ')}; anything else goes in \`attributes\`.`,
    )
    break
  }
  for (const key of ['userId', 'sessionId'] as const) {
    const id = input[key]
    if (typeof id === 'string') out[key] = id
    else if ((typeof id === 'number' && Number.isFinite(id)) || typeof id === 'bigint')
      out[key] = String(id)
    else if (id !== undefined && id !== null)
      say(key, `${key} must be a string or a number, got ${shown(id)}; it was not recorded.`)
  }
  const tags = input.tags
  if (typeof tags === 'string') out.tags = [tags]
  else if (Array.isArray(tags)) {
    out.tags = tags.filter((t): t is string => typeof t === 'string')
    if (out.tags.length < tags.length)
      say(
        'tags',
        `tags must be strings; ${tags.length - out.tags.length} that were not (such as ${shown(tags.find((t) => typeof t !== 'string'))}) were not recorded.`,
      )
  } else if (tags !== undefined && tags !== null)
    say('tags', `tags must be an array of strings, got ${shown(tags)}; they were not recorded.`)
  const attributes = input.attributes
  if (attributes && typeof attributes === 'object' && !collectionName(attributes))
    out.attributes = attributes as Record<string, unknown>
  else if (attributes !== undefined && attributes !== null)
    say(
      'attributes',
      `attributes must be an object of attribute values, got ${shown(attributes)}; they were not recorded.`,
    )
}

// A value's type, never its content (metadata may hold personal data).
function shown(value: unknown): string {
  return value === null
    ? 'null'
    : typeof value === 'object' && collectionName(value)
      ? collectionName(value)!
      : typeof value === 'object'
        ? 'an object'
        : `a ${typeof value}`
}
