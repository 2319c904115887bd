// `@tokentrail/core/internal`: what Tokentrail's own adapters (ai-sdk, next, hono) import, from the
// modules that define it, so an app that imports only an adapter does not reach the encoders,
// metrics recorder, span tree and failure explanations the main entry also re-exports (a bundler
// that splits by file, such as esbuild, keeps every module the main entry re-exports in the
// start-up chunk). Same modules as the main entry, so the same tracer, context and flush hooks.
// For the adapters only: not covered by semver; apps import `@tokentrail/core`.
export { safeJson } from './attributes.js'
export { MAX_TIMER_MS, now } from './clock.js'
export { type AsyncStorage, createAsyncStorage, hasAsyncContext, runWithSpan } from './context.js'
export { TokentrailError } from './errors.js'
export { addFlushHook } from './flush-hooks.js'
export {
  causedByAbort,
  freezingPlatform,
  httpRequestAttributes,
  requestFlushOptions,
  requestParent,
  responseOwnHeader,
  setCallbackAttributes,
  tracerNotice,
  vercelWaitUntil,
  watchBody,
} from './http.js'
export { flushLateWork, type LateWorkOptions } from './late-work.js'
export { tracerSkipped } from './noop-tracer.js'
export { checkOptionKeys, closestKey, collectionName, shownValue } from './options.js'
export { extractTraceContext } from './propagation.js'
export { loadTextScrub, scrubLater, textScrub } from './recording-tracer.js'
export {
  redactCutText,
  redactSecretsInJson,
  redactSecretsInText,
} from './secret-text-entry.js'
export { ATTR } from './semconv.js'
export {
  type EndingInfo,
  endOpenChildren,
  NOOP_SPAN,
  offEnding,
  type Span,
  setTrustedAttributes,
  type TextScrub,
} from './span.js'
export { getActiveSpan, getTracer, type Tracer } from './tracer.js'
export type { SpanStatus } from './types.js'
