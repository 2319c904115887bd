import { createAsyncStorage } from '@tokentrail/core/internal'
/** Who and what a model call is for; recorded on every LLM span it applies to. */
export interface TraceMetadata {
  /** Recorded as `user.id`. */
  userId?: string
  /** Recorded as `session.id` and `gen_ai.conversation.id`. */
  sessionId?: string
  /** Recorded as `tokentrail.tags`; tags from outer scopes and the call are merged. */
  tags?: string[]
  /** Any other attributes, recorded as given (values are sanitised). */
  attributes?: Record<string, unknown>
}

/** The keys of `TraceMetadata`. */
export const METADATA_KEYS = ['userId', 'sessionId', 'tags', 'attributes']

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
  // Called per request: a key it does not know is ignored, never thrown into the user's path.
  return storage.run(mergeMetadata(storage.get(), readMetadata(metadata)), fn)
}

/** The metadata of the current `withTraceMetadata` scope, if any. */
export function getTraceMetadata(): TraceMetadata | undefined {
  return storage.get()
}

/** Keeps only well-typed fields of user-supplied metadata; never throws. */
export function readMetadata(value: unknown): TraceMetadata | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const input = value as Record<string, unknown>
  const out: TraceMetadata = {}
  if (typeof input.userId === 'string') out.userId = input.userId
  if (typeof input.sessionId === 'string') out.sessionId = input.sessionId
  if (Array.isArray(input.tags)) out.tags = input.tags.filter((t) => typeof t === 'string')
  if (input.attributes && typeof input.attributes === 'object' && !Array.isArray(input.attributes))
    out.attributes = input.attributes as Record<string, unknown>
  return out
}
