import type { EndingInfo, Span, SpanStatus, Tracer } from '@tokentrail/core'
import {
  addFlushHook,
  createAsyncStorage,
  getActiveSpan,
  now,
  offEnding,
  setTrustedAttributes,
} from '@tokentrail/core/internal'
import * as ATTR from './attr.js'
import { headOf, NOT_RECORDED, type OwnAttributes, startToolSpan } from './convert.js'
import {
  abortCause,
  type CancelCause,
  errorType,
  isAbortError,
  recordableError,
  recordFailure,
} from './errors.js'
import type { TraceMetadata } from './metadata.js'
import { type OpenInvocation, sharesInvocationObjects } from './nested.js'
import { callAttributes } from './own-attributes.js'
import { type Reading, unwatchReading, watchReading } from './stall.js'

/** Attributes of the call span: the roll-up of its steps, under names no backend sums with LLM spans. */
export const CALL_ATTR = {
  operation: 'tokentrail.call.operation',
  source: 'tokentrail.call.source',
  functionId: 'tokentrail.call.function_id',
  steps: 'tokentrail.call.steps',
  inputTokens: 'tokentrail.call.input_tokens',
  outputTokens: 'tokentrail.call.output_tokens',
  cacheReadTokens: 'tokentrail.call.cache_read_tokens',
  cacheWriteTokens: 'tokentrail.call.cache_write_tokens',
  reasoningTokens: 'tokentrail.call.reasoning_tokens',
  costUsd: 'tokentrail.call.cost_usd',
  finishReason: 'tokentrail.call.finish_reason',
  ttftMs: 'tokentrail.call.ttft_ms',
  retries: 'tokentrail.call.retries',
  toolCalls: 'tokentrail.call.tool_calls',
  toolErrors: 'tokentrail.call.tool_errors',
  /** Steps the provider answered in full without saying their input or output token count. */
  stepsWithoutUsage: 'tokentrail.call.steps_without_usage',
  /** On an LLM span with token counts but no cost: the model id the price table lacks. */
  unknownModel: 'tokentrail.cost.unknown_model',
  attempt: 'tokentrail.attempt',
  /** Kept for older traces: ai@7 does not say `maxRetries` in the step events the call span now comes from. */
  maxAttempts: 'tokentrail.attempt.max',
  toolTiming: 'tokentrail.tool.timing',
  inputSkippedMessages: 'tokentrail.input.skipped_messages',
} as const

// Here rather than in convert.ts: the public declarations reach this module (CALL_ATTR), and
// convert.ts's declarations name @ai-sdk/provider types.
/** Token counts; a count the provider did not give stays undefined. */
export interface TokenCounts {
  input?: number
  output?: number
  cacheRead?: number
  cacheWrite?: number
  /** Of `cacheWrite`, the tokens written to Anthropic's 1-hour cache (priced apart). */
  cacheWrite1h?: number
  reasoning?: number
}

/** How a call span learns its steps: the AI SDK's own telemetry events (ai@7), or inferred from the prompts (ai@5, ai@6). */
export type CallSource = 'ai-sdk-telemetry' | 'inferred'

/** What one LLM step reports to its call when it ends. */
export interface StepReport {
  status: SpanStatus
  tokens: TokenCounts | undefined
  costUsd: number | undefined
  finishReason: string | undefined
  ttftMs: number | undefined
  error: unknown
  retryable: boolean
  /** The provider's stream sent an error part (ai@7's streamText may retry the attempt: `streamRetries`). */
  errorPart?: boolean
  toolCallIds: string[]
  /** The call's `abortSignal`, if it has one. */
  signal: AbortSignal | undefined
  /** What stopped it, when it was cancelled. */
  cancelledBy: CancelCause | undefined
  /** The provider's id of its response. */
  responseId?: string | undefined
}

/** A model invocation's stream, as its call lists it (see AiCall.unopened). */
interface ListedStream {
  open(): unknown
  closeWithCall(endTime: number): void
}

interface Asker {
  span: Span
  at: number
  name: string
}

// An inferred call waits this long after a step that asked for tools (or failed in a way the AI SDK
// retries) for the step that continues it; a flush or the end of its parent span closes it sooner.
const PENDING_MS = 30_000
// Calls the AI SDK announced but never ended (a stream nobody read) are forgotten past this many.
const MAX_OPEN_CALLS = 10_000

interface CallState {
  /** Calls announced by the AI SDK's telemetry (ai@7), by the SDK's call id. */
  byCallId: Map<string, AiCall>
  /** Inferred calls waiting for a continuation, by the tool call ids their last step asked for. */
  byToolCallId: Map<string, AiCall>
  /** The step each prompt array belongs to: the AI SDK retries a step with the same prompt array. */
  byPrompt: WeakMap<object, { call: AiCall; step: number; attempts: number }>
  /** Inferred calls waiting for a continuation. */
  pending: Set<AiCall>
  /** Call ids the AI SDK ended lately: a late second end event (abort, then error) adds nothing. */
  ended: Set<string>
  /** The previous generation of `ended` (it rotates at 1000 ids; absent in older copies' state). */
  endedBefore?: Set<string>
  /** The open call whose step asked for each tool call, by tool call id (ai@6's tool events name only that). */
  askedBy: Map<string, AiCall>
  /**
   * Tool call ids more than one open call asked for (servers that number tool calls per response,
   * `call_0`), with every call that did: a lookup by such an id takes the one of the active trace
   * (absent in older copies' state).
   */
  sharedToolCallIds?: Map<string, AiCall[]>
  /**
   * The call each step's prompt array belongs to, from the AI SDK's step-start event (ai@7): the
   * SDK hands the model that same array, so the middleware finds its call without an async
   * context (absent in older copies' state).
   */
  byStepPrompt?: WeakMap<object, AiCall>
  /** Calls whose step started with a blanked prompt, until the middleware claims it: the model awaited. */
  awaiting?: Map<AiCall, { provider: unknown; modelId: unknown }>
  /** Traced model invocations open now, of every middleware instance (absent in older copies' state; see nested.ts). */
  open?: Set<OpenInvocation>
  /** Provider and id of every model a tracing middleware wraps, as `modelKey` makes them (see `modelWrapped`). */
  wrapped?: Set<string>
  /** The providers of those models (absent in older copies' state; see `providerWrapped`). */
  wrappedProviders?: Set<unknown>
  /**
   * ai@6: tools run before any step of their call asked for them (the ones a user approved, run as
   * the call starts), by tool call id, until the call's first step finds their results in its prompt.
   */
  unasked?: Map<string, UnaskedTool>
  /**
   * Errors an embedding span of ours recorded (see embedding-middleware.ts): ai@7's error event of
   * that embed is then no text call's (absent in older copies' state).
   */
  embeddingErrors?: WeakSet<object>
  /**
   * Streamed model invocations whose start is recorded but whose bookkeeping on their call waits
   * (see LlmCall.settle), until the next turn of the event loop or anything of ours looks at
   * calls again (absent in older copies' state).
   */
  unsettled?: { settle(): void }[]
}

/** A tool run recorded before its call span was made (ai@7 approved tools, ai@6 unasked tools). */
export interface ToolRun {
  start: number
  end?: number
  output?: any
  error?: unknown
  failed?: boolean
  /** It stopped on the call's abortSignal. */
  cancelled?: boolean
}

/** A tool ai@6 ran that no step of an open call asked for (see CallState.unasked). */
export interface UnaskedTool extends ToolRun {
  name: string
  input: unknown
  dynamic: boolean
}

// Tools of untraced models' calls are listed too, and never claimed: the oldest go past this many.
const MAX_UNASKED = 100

/** ai@6: a tool ran that no step of an open call asked for; its call may be the next to start. */
export function ranUnasked(toolCallId: string, tool: UnaskedTool): void {
  const unasked = (callState().unasked ??= new Map())
  if (unasked.size >= MAX_UNASKED) {
    const oldest = unasked.keys().next().value
    if (oldest !== undefined) unasked.delete(oldest)
  }
  unasked.set(toolCallId, tool)
}

// One state per process, shared by every copy of this package (two installs, a hot reload).
const STATE_KEY = Symbol.for('tokentrail.ai-sdk.calls')

// Models named in `wrapped`: one per provider and model id an app wraps, so a few; the cap only
// bounds an app that makes model ids up.
const MAX_WRAPPED = 1000
const modelKey = (provider: unknown, modelId: unknown) =>
  `${String(provider)}\u0000${String(modelId)}`

/** A tracing middleware wraps this model (`wrapLanguageModel` names it to the middleware as it wraps). */
export function modelWrapped(model: { provider: unknown; modelId: unknown }): void {
  const wrapped = (callState().wrapped ??= new Set())
  if (wrapped.size < MAX_WRAPPED) wrapped.add(modelKey(model.provider, model.modelId))
  const providers = (callState().wrappedProviders ??= new Set())
  if (providers.size < MAX_WRAPPED) providers.add(model.provider)
}

/**
 * Whether a tracing middleware wraps a model of this provider and id: a call of it that fails
 * before its middleware runs (a middleware outside ours failed) is a traced call's failure.
 */
export function isWrapped(provider: unknown, modelId: unknown): boolean {
  const wrapped = callState().wrapped
  return wrapped !== undefined && wrapped.has(modelKey(provider, modelId))
}

/**
 * Whether a tracing middleware wraps any model of this provider: a middleware outside ours may have
 * renamed a wrapped model (its `overrideModelId`, `wrapLanguageModel`'s `modelId`), so a call of
 * that provider failing before our middleware ran may still be a traced call's.
 */
export function providerWrapped(provider: unknown): boolean {
  return callState().wrappedProviders?.has(provider) === true
}

// The state, once found or made: it is made once per process and never replaced, and a lookup
// on the global object, made several times before each stream's first chunk, costs more.
let stateFound: CallState | undefined

export function callState(): CallState {
  if (stateFound !== undefined) return stateFound
  const g = globalThis as Record<symbol, CallState | undefined>
  let state = g[STATE_KEY]
  if (!state) {
    state = {
      byCallId: new Map(),
      byToolCallId: new Map(),
      byPrompt: new WeakMap(),
      pending: new Set(),
      ended: new Set(),
      askedBy: new Map(),
    }
    Object.defineProperty(g, STATE_KEY, { value: state, enumerable: false, configurable: true })
    // A script's final flush must not leave a call span behind that waits for a step to come.
    addFlushHook(() => {
      settleStarts()
      // A call whose tool is still running is not done (ai@6: its next step comes once the tool
      // returns): it stays open, and its pending timer looks again.
      for (const call of [...state!.pending])
        if (!call.parent && !call.toolRunning()) call.closePending()
      // ai@7: a stream nobody read to its end (its result dropped) never gets the SDK's end event;
      // a call whose last step finished and asked for no tool ends as it stands, not never.
      for (const [callId, call] of [...state!.byCallId])
        if (!call.parent && call.finishedSteps()) {
          forgetCall(callId, call)
          call.closePending()
        }
    })
  }
  stateFound = state
  return state
}

// The state's list of unsettled streams, once looked up (the state is made once per process).
let unsettled: { settle(): void }[] | undefined

/** A stream's bookkeeping waits (see LlmCall.settle): done by `settleStarts` or on its own. */
export function settleLater(llm: { settle(): void }): void {
  ;(unsettled ??= callState().unsettled ??= []).push(llm)
}

/**
 * Does the bookkeeping streams put off (see LlmCall.settle), oldest first: called before anything
 * of ours reads or changes calls, so each sees them as if nothing had waited.
 */
export function settleStarts(): boolean {
  const list = (unsettled ??= callState().unsettled ??= [])
  if (list.length === 0) return false
  // Settling adds none: the list is emptied once all are done.
  for (let i = 0; i < list.length; i++)
    try {
      list[i]!.settle()
    } catch {}
  list.length = 0
  return true
}

/** The call whose model invocation is running (set by the AI SDK telemetry integration). */
export const callStorage = createAsyncStorage<AiCall>('tokentrail.ai-sdk.call.storage')

/**
 * The AI SDK (ai@7) starts a step of `call`: the middleware finds the call of the model invocation
 * that follows by its prompt array (the SDK hands the model the array its step-start event
 * carries). No async context is entered: on Node without AsyncContextFrame the first
 * `AsyncLocalStorage.run` turns on promise hooks that slow every later promise of the process, and
 * the SDK's `executeLanguageModelCall` hook that would enter it costs the time to first chunk
 * more than the rest of the call's telemetry. The step also waits as "awaiting" its model, for
 * when the SDK blanked the prompt (its telemetry records no inputs) or another middleware hands
 * ours a new array: a blanked step is listed in `awaiting`; one with its prompt is only marked on
 * the call (no map entry to add and delete on every step), and found among the announced calls.
 */
export function stepStarting(
  call: AiCall,
  prompt: unknown,
  provider: unknown,
  modelId: unknown,
): void {
  const state = callState()
  call.retrying = false
  // Kept on the call for a retry of this step (see stepEnded), and for a middleware that hands ours
  // a new prompt array.
  call.awaitedProvider = provider
  call.awaitedModelId = modelId
  if (Array.isArray(prompt) && prompt.length > 0) {
    const byStepPrompt = (state.byStepPrompt ??= new WeakMap())
    // A step's entry goes when the next step starts or the call ends: an entry left for the
    // collector to find costs each young-generation collection more than deleting it.
    if (call.stepPrompt !== undefined) byStepPrompt.delete(call.stepPrompt)
    call.stepPrompt = prompt
    byStepPrompt.set(prompt, call)
    call.awaits = true
    // One marker per call: an earlier blanked step never claimed leaves its entry behind.
    if (state.awaiting !== undefined && state.awaiting.size > 0) state.awaiting.delete(call)
  } else {
    call.awaits = false
    ;(state.awaiting ??= new Map()).set(call, { provider, modelId })
  }
}

/**
 * The open call that asked for tool call `id`, as `map` names it; of more calls that asked for the
 * same id (see `sharedToolCallIds`), the one of the active trace that `fits`, else the one `narrow`
 * picks among those. Never one of another trace, nor a guess between two: undefined then.
 */
function ownerOf(
  state: CallState,
  map: Map<string, AiCall>,
  id: string,
  fits: (call: AiCall) => boolean,
  narrow?: (calls: AiCall[]) => AiCall | undefined,
): AiCall | undefined {
  const calls = state.sharedToolCallIds?.get(id)
  if (calls === undefined) return map.get(id)
  const trace = getActiveSpan()?.traceId
  const mine = calls.filter((call) => !call.ended && fits(call) && call.parent?.traceId === trace)
  if (mine.length === 1) return mine[0]
  return mine.length > 1 && narrow ? narrow(mine) : undefined
}

/**
 * `call` no longer waits for tool call `id` (continued, or ended): its entry goes, or passes to
 * another open call that asked for the same id and waits for it.
 */
function stopAwaiting(state: CallState, id: string, call: AiCall): void {
  if (state.byToolCallId.get(id) !== call) return
  const heir = state.sharedToolCallIds
    ?.get(id)
    ?.find((other) => other !== call && !other.ended && other.awaitedToolCallIds?.includes(id))
  if (heir) state.byToolCallId.set(id, heir)
  else state.byToolCallId.delete(id)
}

/**
 * Of calls waiting for a continuation, the one whose last step's prompt begins `prompt` (the AI SDK
 * sends a step's messages again, then the answer and the tool results); undefined unless one.
 */
function continued(calls: AiCall[], prompt: unknown): AiCall | undefined {
  if (!Array.isArray(prompt)) return undefined
  let found: AiCall | undefined
  for (const call of calls) {
    const before = call.inferredPrompt
    if (!Array.isArray(before) || before.length >= prompt.length) continue
    let same = true
    for (let i = 0; same && i < before.length; i++)
      same = before[i] === prompt[i] || JSON.stringify(before[i]) === JSON.stringify(prompt[i])
    if (!same) continue
    if (found) return undefined
    found = call
  }
  return found
}

/** The open call that asked for tool call `id` (of more that did, the one of the active trace). */
export function askerOf(id: string): AiCall | undefined {
  const state = callState()
  return ownerOf(state, state.askedBy, id, () => true)
}

// The middleware took the step of `call`: it awaits no model any more.
function claim(call: AiCall, state: CallState): void {
  call.awaits = false
  const awaiting = state.awaiting
  if (awaiting !== undefined && awaiting.size > 0) awaiting.delete(call)
}

/**
 * The call a model invocation belongs to, from its prompt array; else the one call of the
 * invocation's trace whose step awaits a model of that provider and id (never a guess between two).
 */
export function callOfInvocation(
  prompt: unknown,
  model: { provider: string; modelId: string },
): AiCall | undefined {
  const state = callState()
  const key = prompt !== null && typeof prompt === 'object' ? prompt : undefined
  const call = key ? state.byStepPrompt?.get(key) : undefined
  if (call) {
    claim(call, state)
    return call
  }
  let found: AiCall | undefined
  // More calls awaiting a model of this provider and id (calls at once through a middleware that
  // hands ours a new prompt array): told apart by the objects of their step's prompt it kept.
  let others: AiCall[] | undefined
  // Only a call of this invocation's trace: a call of another request awaiting the same model (its
  // own invocation still in an async middleware) is not this one, which may be an untraced or
  // private call's. Read once a candidate is found.
  let trace: string | undefined | null = null
  const inTrace = (candidate: AiCall): boolean => {
    if (trace === null) trace = getActiveSpan()?.traceId
    return candidate.parent?.traceId === trace
  }
  const awaiting = state.awaiting
  if (awaiting !== undefined && awaiting.size > 0)
    for (const [candidate, awaited] of awaiting) {
      if (candidate.ended) {
        awaiting.delete(candidate)
        continue
      }
      if (awaited.provider !== model.provider || awaited.modelId !== model.modelId) continue
      if (!inTrace(candidate)) continue
      if (found && found !== candidate) (others ??= []).push(candidate)
      else found = candidate
    }
  // Steps that kept their prompt are marked on their call (older copies' calls are all listed).
  for (const candidate of state.byCallId.values()) {
    if (candidate.awaits !== true || candidate.ended) continue
    if (candidate.awaitedProvider !== model.provider || candidate.awaitedModelId !== model.modelId)
      continue
    if (!inTrace(candidate)) continue
    if (found && found !== candidate) (others ??= []).push(candidate)
    else found = candidate
  }
  if (found && others) {
    // Never a guess between two: only the one call whose step's prompt shares objects with this one.
    let kept: AiCall | undefined
    for (const candidate of [found, ...others])
      if (candidate !== kept && sharesInvocationObjects(candidate.stepPrompt, prompt)) {
        if (kept) return undefined
        kept = candidate
      }
    found = kept
  }
  if (!found) return undefined
  claim(found, state)
  // A retry of this step sends the same array again.
  if (key) {
    const byStepPrompt = (state.byStepPrompt ??= new WeakMap())
    if (found.stepPrompt !== undefined) byStepPrompt.delete(found.stepPrompt)
    found.stepPrompt = key
    byStepPrompt.set(key, found)
  }
  return found
}

/**
 * Whether a call awaiting a model of this provider and id hides its inputs or outputs (ai@7's own
 * per-call switches): for an invocation `callOfInvocation` could not tell between two such calls,
 * traced as a call of its own, which then hides what either of them does.
 */
export function awaitingHides(model: { provider: string; modelId: string }): {
  inputs: boolean
  outputs: boolean
} {
  const state = callState()
  const hides = { inputs: false, outputs: false }
  const note = (call: AiCall) => {
    if (call.ended) return
    hides.inputs ||= call.hidesInputs
    hides.outputs ||= call.hidesOutputs
  }
  if (state.awaiting !== undefined)
    for (const [call, awaited] of state.awaiting)
      if (awaited.provider === model.provider && awaited.modelId === model.modelId) note(call)
  for (const call of state.byCallId.values())
    if (
      call.awaits === true &&
      call.awaitedProvider === model.provider &&
      call.awaitedModelId === model.modelId
    )
      note(call)
  return hides
}

// Span names by what, then model: a known name is found without building its string first.
const NAMES = new Map<string, Map<string, string>>()
let namesKept = 0

// The most characters of a model id (or function id) a span name keeps; the attribute keeps it whole.
const NAMED_MAX = 128

/**
 * `${what} ${model}`, one string per name in use: each open span holds its name. A model id past
 * `NAMED_MAX` characters (a prompt or a document passed as the id by mistake) is cut there with
 * `…`: a span name is what every list and trace view shows, and some backends refuse a long one.
 */
export function spanName(what: string, model: string): string {
  // No model id (an empty string from a hand-written model): the operation alone, as the GenAI
  // conventions name a span whose model is not known, not `chat ` with a trailing space.
  if (!model) return what
  let byModel = NAMES.get(what)
  const known = byModel?.get(model)
  if (known !== undefined) return known
  const name = `${what} ${model.length > NAMED_MAX ? cutName(model) : model}`
  if (namesKept < 256) {
    if (!byModel) NAMES.set(what, (byModel = new Map()))
    byModel.set(model, name)
    namesKept++
  }
  return name
}

// The first NAMED_MAX - 1 characters and `…`, not cutting a surrogate pair in two.
function cutName(model: string): string {
  return `${headOf(model, NAMED_MAX - 1)}\u2026`
}

export interface CallInit {
  source: CallSource
  operation: string
  parent: Span | undefined
  provider?: string
  modelId?: string
  functionId?: string
  metadata?: TraceMetadata
  startTime?: number
}

/** What a call's ended steps add up to, and what stopped it (see AiCall.roll). */
class Roll {
  stepsSeen = 0
  retries = 0
  // Token totals; a count no step gave stays undefined.
  input: number | undefined
  output: number | undefined
  cacheRead: number | undefined
  cacheWrite: number | undefined
  reasoning: number | undefined
  cost: number | undefined
  // A step that answered in full without its input or output count (a server that sends no usage)
  // or without a cost (a model the price table lacks) leaves that total unknown: a sum of the
  // other steps would pass for the call's.
  inputUnknown = false
  outputUnknown = false
  costUnknown = false
  stepsWithoutUsage = 0
  finishReason: string | undefined
  // Whether its last step asked for tools (see stepEnded).
  askedTools = false
  ttftMs: number | undefined
  // The start of the first attempt that failed or was cancelled before any first chunk, and its step.
  failedFrom: number | undefined
  failedStep: number | undefined
  toolCalls = 0
  lastError: unknown
  lastCancelCause: CancelCause | undefined
  // What stopped the call, when it is known before it ends (its span says it as it ends).
  cancelCause: CancelCause | undefined
  // An inferred call waiting for its next step: the timer that closes it, and its abortSignal's listener.
  timer: ReturnType<typeof setTimeout> | undefined
  abortSignal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

// A call that ends with no step ended and nothing stopped: its totals read from here (never written).
const NO_ROLL = new Roll()

/**
 * One AI SDK call (`generateText`, `streamText`, …): a span over all its steps, the parent of each
 * step's LLM span and of the tool spans. Its span is made when the first traced model call of the
 * call begins (or when the call fails before any), so calls of untraced models record nothing.
 */
export class AiCall {
  span: Span | undefined
  tracer: Tracer | undefined
  readonly source: CallSource
  /** `generateText`, `streamText`, …; the middleware names an ai@7 call (its step events do not). */
  operation: string
  // The fields `declare`d below are set only by what uses them (an object call, tools, a parent
  // span, ai@5/ai@6's inferred calls): a call without is one field smaller for each (held by
  // every open stream), and reads them as undefined.
  /** ai@7: the SDK announced this call's steps as an object call's (generateObject, streamObject). */
  declare objectCall: boolean | undefined
  /**
   * ai@7: a generateText call whose model was asked for JSON (`output: Output.object(…)`): the SDK
   * parses that output after its end event and reports a failure to parse in its error event.
   */
  declare parsesOutput: boolean | undefined
  /**
   * ai@7: the call's own `telemetry: { recordInputs: false }` / `{ recordOutputs: false }`, which
   * its step events carry: its spans record no prompt, tool arguments / no output, tool results.
   */
  hidesInputs = false
  hidesOutputs = false
  /**
   * Whether the middleware that traced this call's model records inputs and outputs: its tool
   * spans' arguments and results follow them (ai@6, ai@7), not the switches of whichever
   * middleware was made last. Undefined before its first step (a tool the user approved). When
   * either is off, the call span's error keeps none of what it quotes of them, as the step's does.
   */
  declare toolInputs: boolean | undefined
  declare toolOutputs: boolean | undefined
  readonly parent: Span | undefined
  readonly startTime: number

  /** A step's middleware switches: off for the call's tools once any of its steps has them off. */
  stepSwitches(inputs: boolean, outputs: boolean): void {
    this.toolInputs = inputs && this.toolInputs !== false
    this.toolOutputs = outputs && this.toolOutputs !== false
  }
  // Read when the span is made, then let go.
  private init: CallInit | undefined
  currentStep = 0
  attempt = 0
  private modelCalls = 0
  // What its ended steps add up to, and what stopped it: made as its first model invocation ends
  // (or a retry, an abort or a stop comes first), so a call whose first stream is open holds none.
  private roll: Roll | undefined
  private get rolled(): Roll {
    return (this.roll ??= new Roll())
  }
  toolErrors = 0
  /** Model invocations of this call under way. */
  openSteps = 0
  private lastStatus: SpanStatus = 'ok'
  private lastActivity: number
  ended = false
  // Made on first use: most calls run no tool, and an open stream holds its call.
  declare private toolState:
    | { askers: Map<string, Asker>; tools: Map<string, Span>; toolEnds: Map<string, number> }
    | undefined
  private get tooling() {
    return (this.toolState ??= { askers: new Map(), tools: new Map(), toolEnds: new Map() })
  }
  /** The LLM span that asked for each tool call, by tool call id. */
  get askers(): Map<string, Asker> {
    return this.tooling.askers
  }
  /** Tool spans made from the AI SDK's tool events, by tool call id. */
  get tools(): Map<string, Span> {
    return this.tooling.tools
  }
  /** When each tool's `execute` returned; its span ends then, once its result is known. */
  get toolEnds(): Map<string, number> {
    return this.tooling.toolEnds
  }

  constructor(init: CallInit) {
    this.init = init
    this.source = init.source
    this.operation = init.operation
    this.parent = init.parent
    this.startTime = init.startTime ?? now()
    this.lastActivity = this.startTime
    // The parent ending: streams whose spans are not made yet get them now, so the parent closes
    // them with itself; a call that only waits for a continuation ends as it stands.
    if (init.parent) this.watchParent(init.parent)
  }

  // Its parent's end, watched until this call ends: a parent that outlives many calls (a session
  // or a worker's loop in one span) would otherwise hold every call it ever had until it ends.
  declare private onParentEnding: ((span: Span, info: EndingInfo) => void) | undefined

  private watchParent(parent: Span): void {
    this.onParentEnding = (_, info) => {
      this.onParentEnding = undefined
      this.openStreams()
      if (this.span && !this.ended && this.openSteps === 0) {
        // A tool still running means more of the call was to come: it is cut short, not done
        // (at the parent's end, as the spans the parent closes itself).
        if (this.toolRunning()) {
          this.rolled.cancelCause ??= 'parent'
          this.end('cancelled', undefined, info.endTime)
        } else this.closePending()
        // As when the parent closes the call mid-stream (closedWithParent): the AI SDK may never
        // end a call its request left (ai@7 stops a stream nobody reads), and kept, it stayed in
        // the process-wide state until 10,000 more calls had come.
        this.forget()
      }
    }
    parent.onEnding(this.onParentEnding)
  }

  // Opening again does nothing: the streams stay listed until the call span ends, so a parent that
  // closes the call can close them first (see writeTotals).
  private openStreams(): void {
    const first = this.firstStream
    if (first)
      try {
        first.open()
      } catch {}
    const unopened = this.unopened
    if (unopened)
      for (const llm of unopened)
        try {
          llm.open()
        } catch {}
  }

  /** The prompt array of the current step, as `byStepPrompt` knows it (ai@7). */
  stepPrompt: object | undefined
  /** Its step kept its prompt and awaits the model named below (see stepStarting). */
  awaits = false
  /** The step's model invocation failed in a way the SDK retries: the next invocation is its retry. */
  retrying = false
  awaitedProvider: unknown
  awaitedModelId: unknown
  /** The prompt array of the current step, as `byPrompt` knows it (inferred calls). */
  declare inferredPrompt: object | undefined

  /**
   * Spans of what ran before the call's first step, made under the call span when it is made:
   * tools the user approved (`needsApproval`), which the AI SDK runs before it calls the model.
   */
  declare private before: ((tracer: Tracer, parent: Span) => void)[] | undefined
  /** ai@7: the approved tools run before the first step, by tool call id (their output comes after they return). */
  declare approvedTools: Map<string, ToolRun> | undefined

  /** Makes a span under the call span once it is made (at once if it is): see `before`. */
  whenMade(make: (tracer: Tracer, parent: Span) => void): void {
    if (this.span && this.tracer) make(this.tracer, this.span)
    else (this.before ??= []).push(make)
  }

  /** The model and function id its first step names, for a call made before it (ai@7 approved tools). */
  named(modelId: unknown, functionId: unknown): void {
    const init = this.init
    if (!init) return
    if (typeof modelId === 'string') init.modelId ??= modelId
    if (typeof functionId === 'string') init.functionId ??= functionId
  }

  /**
   * Streams of this call whose LLM span is not made yet (see LlmCall.open): made before the call
   * ends. This package lists its first in `firstStream` (a call of one step holds no array), the
   * others here; older copies list theirs here, as they always did.
   */
  unopened: ListedStream[] | undefined
  declare firstStream: ListedStream | undefined

  /** Lists a stream of this call (see `unopened`). */
  listStream(llm: ListedStream): void {
    if (this.firstStream === undefined) this.firstStream = llm
    else (this.unopened ??= []).push(llm)
  }

  /**
   * Makes the call span if it is not made yet; returns it. `provider` is the GenAI provider name
   * of the model whose call makes it, for a call the AI SDK announced (ai@7's step events name
   * the provider only as the AI SDK spells it).
   */
  materialize(tracer: Tracer, metadata?: TraceMetadata, provider?: string): Span {
    if (this.span) return this.span
    // An ai@7 call that failed before its model was called (its approved tools ran; then its
    // prepareStep threw): the middleware, which names the operation, never saw it.
    if (this.operation === '') this.operation = 'unknown'
    const init = this.init ?? {
      source: this.source,
      operation: this.operation,
      parent: this.parent,
    }
    this.init = undefined
    const model = init.modelId
    const named = init.provider ?? provider
    const attributes = callAttributes()
    attributes['gen_ai.operation.name'] = 'invoke_agent'
    attributes['tokentrail.call.operation'] = this.operation
    attributes['tokentrail.call.source'] = this.source
    if (named) attributes['gen_ai.provider.name'] = named
    if (model) attributes['gen_ai.request.model'] = model
    if (init.functionId) {
      attributes['tokentrail.call.function_id'] = init.functionId
      attributes['gen_ai.agent.name'] = init.functionId
    }
    const meta = metadata ?? init.metadata
    if (meta?.userId) attributes['user.id'] = meta.userId
    if (meta?.sessionId) {
      attributes['session.id'] = meta.sessionId
      attributes['gen_ai.conversation.id'] = meta.sessionId
    }
    // Copies: the span is written when it ends, and the caller's array may change by then.
    if (meta?.tags && meta.tags.length > 0) attributes['tokentrail.tags'] = [...meta.tags]
    const name = init.functionId
      ? spanName('invoke_agent', init.functionId)
      : model
        ? spanName(this.operation, model)
        : this.operation
    this.tracer = tracer
    const span = tracer.startSpan(name, {
      kind: 'internal',
      parent: this.parent ?? null,
      startTime: this.startTime,
    })
    this.span = span
    // Written with the totals when the span ends, in one object (see LlmCall's `opening`).
    this.opening = attributes
    // Bound rather than an arrow: an open stream's call holds half the bytes (no closure context).
    span.onEnding(this.writeTotals.bind(this))
    if (!span.isRecording) {
      this.ended = true
      this.opening = undefined
    }
    const before = this.before
    if (before !== undefined) {
      this.before = undefined
      for (const make of before)
        try {
          make(tracer, span)
        } catch {}
    }
    return span
  }

  private opening: OwnAttributes | undefined

  // The prompt length of the latest step seen and of the one before it: all promptStart reads.
  private lengthStep = -1
  private stepLength = 0
  private previousLength: number | undefined

  /**
   * Where a step's recorded prompt starts: a later step's prompt repeats the one before it, so
   * only the messages after it are recorded (the first step records them all). A retry records
   * what its first attempt did.
   */
  promptStart(step: number, length: number): number {
    if (step !== this.lengthStep) {
      this.previousLength = step === this.lengthStep + 1 ? this.stepLength : undefined
      this.lengthStep = step
      this.stepLength = length
    }
    const before = step > 0 ? this.previousLength : undefined
    return before !== undefined && before < length ? before : 0
  }

  private lastPrompt: unknown

  /**
   * The step and attempt of a model invocation the SDK runs in this call (ai@7): the SDK sends a
   * step's prompt array again when it retries, and a new array for the next step.
   */
  invocation(prompt: unknown): { step: number; attempt: number } | undefined {
    if (this.modelCalls > 0 && (prompt === this.lastPrompt || this.retrying)) {
      // The same prompt while its first invocation is still open is no retry (a retry follows a
      // failed attempt): the model is wrapped twice, and the outer middleware traces this one.
      if (this.openSteps > 0) return undefined
      this.retrying = false
      this.lastPrompt = prompt
      this.attempt++
      this.retried()
    } else {
      this.currentStep = this.modelCalls++
      this.attempt = 1
      this.lastPrompt = prompt
    }
    return { step: this.currentStep, attempt: this.attempt }
  }

  /** A traced model invocation of this call begins. */
  stepStarted(at: number): void {
    this.resume()
    this.openSteps++
    this.lastActivity = at
  }

  /** Records which LLM span asked for a tool call, so the tool's span nests under it. */
  asked(toolCallId: string, name: string, span: Span): void {
    if (typeof toolCallId !== 'string') return
    this.askers.set(toolCallId, { span, at: now(), name })
    const state = callState()
    const before = state.askedBy.get(toolCallId)
    const calls = state.sharedToolCallIds?.get(toolCallId)
    if (calls) {
      if (!calls.includes(this)) calls.push(this)
    } else if (before !== undefined && before !== this && !before.ended)
      (state.sharedToolCallIds ??= new Map()).set(toolCallId, [before, this])
    state.askedBy.set(toolCallId, this)
  }

  /** The tool call ids its last step asked for, while it waits for the step that continues it (ai@5, ai@6). */
  declare awaitedToolCallIds: readonly string[] | undefined
  /** The provider's id of the response that asked for them. */
  declare awaitedAfter: string | undefined

  /** A model invocation ended: adds it to the totals and, for an inferred call, decides what comes next. */
  stepEnded(step: number, report: StepReport): void {
    this.openSteps = Math.max(0, this.openSteps - 1)
    // When this invocation began (stepStarted).
    const startedAt = this.lastActivity
    this.lastActivity = now()
    const roll = this.rolled
    roll.stepsSeen = Math.max(roll.stepsSeen, step + 1)
    this.lastStatus = report.status
    roll.lastError = report.error
    roll.lastCancelCause = report.cancelledBy
    this.stepSignal = report.signal
    const tokens = report.tokens
    if (tokens) {
      if (tokens.input !== undefined) roll.input = (roll.input ?? 0) + tokens.input
      if (tokens.output !== undefined) roll.output = (roll.output ?? 0) + tokens.output
      if (tokens.cacheRead !== undefined) roll.cacheRead = (roll.cacheRead ?? 0) + tokens.cacheRead
      if (tokens.cacheWrite !== undefined)
        roll.cacheWrite = (roll.cacheWrite ?? 0) + tokens.cacheWrite
      if (tokens.reasoning !== undefined) roll.reasoning = (roll.reasoning ?? 0) + tokens.reasoning
    }
    if (report.costUsd !== undefined) roll.cost = (roll.cost ?? 0) + report.costUsd
    if (report.status === 'ok') {
      const input = tokens?.input === undefined
      const output = tokens?.output === undefined
      if (input || output) roll.stepsWithoutUsage++
      if (input) roll.inputUnknown = true
      if (output) roll.outputUnknown = true
      if (report.costUsd === undefined) roll.costUnknown = true
    }
    // The last step's: none when it failed or was cancelled (no earlier step's stands for it).
    roll.finishReason = report.finishReason
    // Its tool calls, not its finish reason, say whether a step asked for tools: some
    // OpenAI-compatible servers end a tool-call answer with `stop`.
    roll.askedTools = report.toolCallIds.length > 0
    if (roll.ttftMs === undefined) {
      if (report.ttftMs !== undefined)
        // A step made again (a retry, a steering interrupt): its first chunk came that long after
        // the step's first attempt began, as the app waited for it.
        roll.ttftMs =
          roll.failedFrom !== undefined && roll.failedStep === step
            ? startedAt + report.ttftMs - roll.failedFrom
            : report.ttftMs
      else if (report.status !== 'ok' && roll.failedFrom === undefined) {
        roll.failedFrom = startedAt
        roll.failedStep = step
      }
    }
    roll.toolCalls += report.toolCallIds.length
    if (this.source !== 'inferred') {
      // ai@7's streamObject neither makes again a stream that failed or was stopped once it had
      // begun, nor tells its call's end (no error, abort or end event): the call ends with it.
      if (
        !this.ended &&
        this.objectCall &&
        report.ttftMs !== undefined &&
        (report.status === 'error' || report.status === 'cancelled')
      ) {
        queueMicrotask(() => {
          this.end(report.status, report.error)
          this.forget()
        })
        return
      }
      // ai@7's streamText retries a failed step with a new prompt array and no step event: the
      // call awaits its model again, so the retry is found as this step's next attempt, not
      // taken for a call of its own. So does a steering interrupt (ai@7.0.177, `steer(message,
      // { interrupt: true })`): it aborts a model call that has not answered and makes it again
      // in the same step, with a new prompt array and no step event. Had the user aborted the
      // call instead, the SDK ends it next.
      if (
        !this.ended &&
        ((report.status === 'error' && (report.retryable || report.errorPart)) ||
          report.status === 'cancelled')
      ) {
        this.retrying = true
        this.awaits = true
        if (report.status === 'cancelled') this.awaitRedo()
      }
      // Its tools run now: ai@7's generateText tells an abort only once a tool that does not stop
      // on the signal has returned; the call and its open tool spans end cancelled at the abort.
      else if (!this.ended && report.toolCallIds.length > 0 && report.signal)
        this.watchAbort(report.signal)
      return
    }
    if (this.ended) return
    const state = callState()
    if (report.status === 'cancelled') this.endSoon('cancelled')
    else if (report.status === 'error' && !report.retryable) this.endSoon('error', report.error)
    else if (report.status === 'error' || report.toolCallIds.length > 0) {
      for (const id of report.toolCallIds) state.byToolCallId.set(id, this)
      this.awaitedToolCallIds = report.toolCallIds
      this.awaitedAfter = report.responseId
      this.pend()
      if (report.signal) this.watchAbort(report.signal)
    } else this.endSoon('ok')
  }

  /**
   * A cancelled model invocation of an announced call is made again (a steering interrupt) or its
   * call is ended by the SDK (an abort). ai@7's streamText aborted while nobody reads its result
   * does neither: its call then ends here, cancelled when its model call was, once it has been left
   * so for the stall window (see stall.ts). Only on a cancel: nothing per step.
   */
  private awaitRedo(): void {
    const call = this
    const step = this.currentStep
    const attempt = this.attempt
    if (this.redo) unwatchReading(this.redo)
    this.redo = {
      waiting: false,
      lastRead: this.lastActivity,
      get ended() {
        return call.ended || call.currentStep !== step || call.attempt !== attempt
      },
      consumerStopped(endTime) {
        call.redo = undefined
        if (call.ended || call.openSteps > 0) return
        call.end('cancelled', undefined, endTime)
        call.forget()
      },
    }
    watchReading(this.redo)
  }

  // The wait of a cancelled model invocation for its redo (awaitRedo), let go when the call ends.
  declare private redo: Reading | undefined

  /**
   * A step's consumer stopped reading its stream (see stall.ts): the AI SDK never ends such a call,
   * so it ends here, cancelled at `endTime`, and is let go.
   */
  consumerStopped(endTime: number): void {
    settleStarts()
    if (this.ended || this.openSteps > 0) return
    this.rolled.cancelCause = 'consumer_stopped'
    this.end('cancelled', undefined, endTime)
    this.forget()
  }

  /** The `abortSignal` of its last step: the call's, as the SDK passes it on to the tools. */
  stepSignal: AbortSignal | undefined

  /** The abort signal it ran under, as far as its steps told it. */
  get runSignal(): AbortSignal | undefined {
    return this.stepSignal ?? this.roll?.abortSignal
  }
  /** A traced model was called for it (`stepSignal` is then known, undefined when it has none). */
  modelCalled = false

  /** The SDK says the call was aborted (ai@7): between steps (a tool running), the call span says so, as an inferred call's does. */
  abortedBetweenSteps(): void {
    // A tool running after a step, or a retry awaited after a failed attempt.
    if (this.openSteps === 0 && (this.roll?.stepsSeen ?? 0) > 0 && this.lastStatus !== 'cancelled')
      this.rolled.cancelCause = abortCause(this.stepSignal)
  }

  // Between steps (its tools running, a retry waiting) no LLM span listens to the call's
  // abortSignal: an abort there ends the call cancelled at once, not `ok` at the next flush.
  private watchAbort(signal: AbortSignal): void {
    if (signal.aborted) {
      this.endSoon('cancelled')
      return
    }
    const roll = this.rolled
    if (roll.abortSignal === signal) return
    this.unwatchAbort()
    roll.abortSignal = signal
    roll.onAbort = () => {
      // A next step's stream begun in this same turn counts as under way (see LlmCall.settle):
      // the abort is its to record, not a cut between steps.
      settleStarts()
      if (this.ended || this.openSteps > 0) return
      roll.cancelCause = abortCause(signal)
      this.end('cancelled')
    }
    signal.addEventListener('abort', roll.onAbort, { once: true })
  }

  private unwatchAbort(): void {
    const roll = this.roll
    if (!roll) return
    if (roll.onAbort) roll.abortSignal?.removeEventListener('abort', roll.onAbort)
    roll.onAbort = undefined
    roll.abortSignal = undefined
  }

  /** A retry of the current step: the same prompt again. */
  retried(): void {
    this.rolled.retries++
  }

  private pend(): void {
    const state = callState()
    state.pending.add(this)
    const roll = this.rolled
    if (roll.timer) clearTimeout(roll.timer)
    roll.timer = setTimeout(() => {
      // A next step begun in this same turn resumes the call (see LlmCall.settle).
      settleStarts()
      if (roll.timer === undefined) return
      // A tool still running (a long one): the next step comes when it returns.
      if (this.toolRunning()) this.pend()
      else this.closePending()
    }, PENDING_MS)
    ;(roll.timer as { unref?: () => void }).unref?.()
  }

  private resume(): void {
    const roll = this.roll
    if (roll?.timer) {
      clearTimeout(roll.timer)
      roll.timer = undefined
    }
    // Only inferred calls wait there: an announced call's steps and end skip the lookup.
    const pending = callState().pending
    if (pending.size > 0) pending.delete(this)
  }

  /** One of its tool spans is still open: a tool runs. */
  toolRunning(): boolean {
    const tooling = this.toolState
    if (tooling) for (const tool of tooling.tools.values()) if (!tool.ended) return true
    return false
  }

  /** Its span is made, and its last step ended well without asking for a tool: nothing more is to come from the model. */
  finishedSteps(): boolean {
    // Asked by the flush hook of whichever copy of this package made the state: an older one does
    // not settle first (see settleStarts).
    settleStarts()
    return (
      this.span !== undefined &&
      !this.ended &&
      this.openSteps === 0 &&
      (this.roll?.stepsSeen ?? 0) > 0 &&
      this.lastStatus === 'ok' &&
      this.roll?.finishReason !== 'tool_call' &&
      this.roll?.askedTools !== true
    )
  }

  /**
   * Ends a call that waits for a step that has not come, as its last step left it: at `endTime`
   * when the SDK said it finished, else at its last step's end.
   */
  closePending(endTime?: number): void {
    if (this.ended) return
    // The flush hook of an older copy of this package (it made the state) closes pending calls
    // without settling first: a next step begun in this turn resumed this one.
    if (settleStarts() && this.openSteps > 0) return
    this.end(this.lastStatus, this.roll?.lastError, endTime ?? this.lastActivity)
  }

  // The step's LLM span is still ending when it reports; the call ends right after it.
  private endSoon(status: SpanStatus, error?: unknown): void {
    queueMicrotask(() => this.end(status, error))
  }

  /** Ends the call span (once), with the roll-up of its steps. */
  end(status: SpanStatus, error?: unknown, endTime?: number, endedOnError = false): void {
    if (this.ended) return
    this.openStreams()
    this.ended = true
    this.awaits = false
    // A call whose last step failed failed, even when the SDK ends it normally (a stream error part).
    if (status === 'ok' && this.lastStatus === 'error') {
      status = 'error'
      error ??= this.roll?.lastError
    } else if (status === 'ok' && endedOnError) {
      // ai@7's streamText ended on an error the SDK raised itself after the model answered (a
      // tool call against `toolChoice`): the stream's error part and `onError` have it, the end
      // event only its finish reason `error`.
      status = 'error'
      error = new Error(
        'streamText ended with finish reason "error" after the model answered (an error the AI SDK raised itself, such as a tool call against toolChoice; the stream\'s error part has it)',
      )
    }
    // A call whose last step was cancelled, rejected with that abort or time limit (ai@7's
    // generateText rejects a `timeout` with a TimeoutError through its error event): stopped, not failed.
    if (
      status === 'error' &&
      this.lastStatus === 'cancelled' &&
      isAbortError(error, this.runSignal)
    ) {
      status = 'cancelled'
      error = undefined
    }
    this.release()
    const tooling = this.toolState
    // A tool still running when the call is aborted ends with it, cancelled (not `ok`), saying
    // what stopped the call (ai@7's streamText ends the call before the tool's own rejection).
    if (tooling)
      for (const tool of tooling.tools.values()) {
        if (tool.ended) continue
        if (status === 'cancelled') {
          const cause =
            this.roll?.cancelCause ??
            (this.lastStatus === 'cancelled' ? this.roll?.lastCancelCause : undefined) ??
            (this.stepSignal?.aborted ? abortCause(this.stepSignal) : undefined)
          if (cause) tool.setAttribute(ATTR.cancelledBy, cause)
          tool.end({ status: 'cancelled', endTime })
        } else tool.end()
      }
    const span = this.span
    if (!span || span.ended) return
    if (error !== undefined && status === 'error')
      recordFailure(
        span,
        error,
        this.tracer?.recordInputs !== false &&
          this.tracer?.recordOutputs !== false &&
          !this.hidesInputs &&
          !this.hidesOutputs &&
          this.toolInputs !== false &&
          this.toolOutputs !== false,
      )
    span.end(endTime === undefined ? { status } : { status, endTime })
  }

  /**
   * Forgotten past the bound of remembered calls: a call whose span was never made (no model
   * invocation of it was traced) lets go of what it holds, its parent's end watch included; one
   * with a span keeps it, for its parent's end to close it.
   */
  forgotten(): void {
    if (!this.span) this.release()
  }

  // What the process-wide state holds for this call, let go once it ends.
  private release(): void {
    this.resume()
    if (this.redo) {
      unwatchReading(this.redo)
      this.redo = undefined
    }
    const onParentEnding = this.onParentEnding
    if (onParentEnding !== undefined && this.parent) {
      this.onParentEnding = undefined
      offEnding(this.parent, onParentEnding)
    }
    if (this.roll?.onAbort) this.unwatchAbort()
    const state = callState()
    if (this.stepPrompt !== undefined) {
      state.byStepPrompt?.delete(this.stepPrompt)
      this.stepPrompt = undefined
    }
    if (this.inferredPrompt !== undefined) {
      state.byPrompt.delete(this.inferredPrompt)
      this.inferredPrompt = undefined
    }
    const tooling = this.toolState
    if (tooling)
      for (const id of tooling.askers.keys()) {
        // Another open call that asked for the same id takes its place.
        stopAwaiting(state, id, this)
        let others = state.sharedToolCallIds?.get(id)
        if (others !== undefined) {
          others = others.filter((call) => call !== this && !call.ended)
          if (others.length > 1) state.sharedToolCallIds!.set(id, others)
          else state.sharedToolCallIds!.delete(id)
        }
        if (state.askedBy.get(id) === this) {
          const heir = others?.at(-1)
          if (heir) state.askedBy.set(id, heir)
          else state.askedBy.delete(id)
        }
      }
  }

  /** The AI SDK's id of this call (ai@7), once it is remembered by it. */
  callId: string | undefined

  // Its parent closed the call span (the request ended: a client gone mid-stream). The AI SDK may
  // never end this call (ai@7 stops reading a stream nobody reads, and says nothing), so the call
  // ends here: kept, it held its prompt and spans until 10,000 more calls had come.
  private closedWithParent(): void {
    this.ended = true
    this.awaits = false
    this.release()
    this.forget()
  }

  // The AI SDK's id of this call is let go (events that still come for it are ignored).
  private forget(): void {
    const callId = this.callId
    if (callId !== undefined && callState().byCallId.get(callId) === this) forgetCall(callId, this)
  }

  // Runs once, right before the call span ends, however it ends.
  private writeTotals(span: Span, info: EndingInfo): void {
    const first = this.firstStream
    const streams = this.unopened
    this.firstStream = undefined
    this.unopened = undefined
    // Its parent closes it (a request body cancelled mid-stream): the parent would close the open
    // steps only after this span, so their partial usage, text and time to first chunk would be
    // missing from the totals. They end first, as the parent would end them.
    if (info.closedByParent && this.openSteps > 0) {
      if (first)
        try {
          first.closeWithCall(info.endTime)
        } catch {}
      if (streams)
        for (const llm of streams)
          try {
            llm.closeWithCall(info.endTime)
          } catch {}
    }
    if (info.closedByParent && !this.ended) this.closedWithParent()
    const attributes: OwnAttributes = this.opening ?? callAttributes()
    this.opening = undefined
    const r = this.roll ?? NO_ROLL
    attributes['tokentrail.call.steps'] = r.stepsSeen
    // Why a cancelled call stopped: its own cause (an abort between steps, a consumer gone), the
    // request it was closed with, or else what stopped its last step.
    if (info.status === 'cancelled' || info.closedByParent) {
      const cause =
        r.cancelCause ??
        (info.closedByParent
          ? 'parent'
          : this.lastStatus === 'cancelled'
            ? r.lastCancelCause
            : undefined)
      if (cause) attributes[ATTR.cancelledBy] = cause
    }
    if (r.input !== undefined && !r.inputUnknown)
      attributes['tokentrail.call.input_tokens'] = r.input
    if (r.output !== undefined && !r.outputUnknown)
      attributes['tokentrail.call.output_tokens'] = r.output
    // Parts of the input and output counts: unknown with them.
    if (r.cacheRead !== undefined && !r.inputUnknown)
      attributes['tokentrail.call.cache_read_tokens'] = r.cacheRead
    if (r.cacheWrite !== undefined && !r.inputUnknown)
      attributes['tokentrail.call.cache_write_tokens'] = r.cacheWrite
    if (r.reasoning !== undefined && !r.outputUnknown)
      attributes['tokentrail.call.reasoning_tokens'] = r.reasoning
    if (r.cost !== undefined && !r.costUnknown)
      attributes['tokentrail.call.cost_usd'] = Math.round(r.cost * 1e9) / 1e9
    if (r.stepsWithoutUsage > 0)
      attributes['tokentrail.call.steps_without_usage'] = r.stepsWithoutUsage
    if (r.finishReason !== undefined) attributes['tokentrail.call.finish_reason'] = r.finishReason
    if (r.ttftMs !== undefined) attributes['tokentrail.call.ttft_ms'] = r.ttftMs
    if (r.retries > 0) attributes['tokentrail.call.retries'] = r.retries
    if (r.toolCalls > 0) attributes['tokentrail.call.tool_calls'] = r.toolCalls
    if (this.toolErrors > 0) attributes['tokentrail.call.tool_errors'] = this.toolErrors
    setTrustedAttributes(span, attributes)
  }
}

/** Forgets an announced call that ended (`call`, when the caller has it), remembering its id for a while. */
export function forgetCall(callId: string, call = callState().byCallId.get(callId)): void {
  const state = callState()
  if (call) claim(call, state)
  state.byCallId.delete(callId)
  // Two generations instead of deleting the oldest id on every call: a Set whose first entries
  // are deleted one by one leaves holes that each `values().next()` walks (µs per call).
  if (state.ended.size >= 1000) {
    state.endedBefore = state.ended
    state.ended = new Set()
  }
  state.ended.add(callId)
}

/** True when the AI SDK ended this call lately. */
export function endedLately(callId: string): boolean {
  const state = callState()
  return state.ended.has(callId) || state.endedBefore?.has(callId) === true
}

/** Remembers a call the AI SDK announced; the oldest are forgotten past a bound. */
export function rememberCall(callId: string, call: AiCall): void {
  const calls = callState().byCallId
  if (calls.size >= MAX_OPEN_CALLS) {
    const oldest = calls.keys().next().value
    if (oldest !== undefined) {
      const call = calls.get(oldest)
      if (call) {
        claim(call, callState())
        call.forgotten()
      }
      calls.delete(oldest)
    }
  }
  calls.set(callId, call)
  call.callId = callId
}

/** The tool call ids of the tool results at the end of a prompt: what a continuing step answers. */
function trailingToolResults(prompt: unknown): any[] {
  const results: any[] = []
  if (!Array.isArray(prompt)) return results
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i]
    if (message?.role !== 'tool') break
    if (Array.isArray(message.content))
      for (const part of message.content) if (part?.type === 'tool-result') results.push(part)
  }
  return results
}

/**
 * The arguments of the tool calls the assistant message before a prompt's trailing tool results
 * asked for, by tool call id: what the tools that continuing step answers were called with.
 */
function askedToolInputs(prompt: unknown): Map<string, unknown> {
  const inputs = new Map<string, unknown>()
  if (!Array.isArray(prompt)) return inputs
  let i = prompt.length - 1
  while (i >= 0 && prompt[i]?.role === 'tool') i--
  const asked = prompt[i]
  if (asked?.role !== 'assistant' || !Array.isArray(asked.content)) return inputs
  for (const part of asked.content)
    if (part?.type === 'tool-call' && typeof part.toolCallId === 'string')
      inputs.set(part.toolCallId, part.input ?? part.args)
  return inputs
}

function isToolError(output: any): boolean {
  return output?.type === 'error-text' || output?.type === 'error-json' || output?.isError === true
}

// The span of a tool ai@6 ran before its call's first step, made with the call span.
function unaskedToolSpan(
  call: AiCall,
  id: string,
  tool: UnaskedTool,
  record: { inputs: boolean; outputs: boolean },
): void {
  if (tool.failed && !tool.cancelled) call.toolErrors++
  call.whenMade((tracer, parent) => {
    const span = startToolSpan(
      tracer,
      { name: tool.name, id, dynamic: tool.dynamic, parent, startTime: tool.start },
      record.inputs ? tool.input : NOT_RECORDED,
      record.outputs && !tool.failed && tool.end !== undefined
        ? (tool.output ?? null)
        : NOT_RECORDED,
    )
    call.tools.set(id, span)
    endRun(span, tool)
  })
}

/**
 * The failed span of a tool call ai@7 could not run (input its schema refuses, a tool it does not
 * have): no execution, no tool event. Made under the step that asked for it, timed at the ask, as
 * on ai@5 and ai@6, unless the call has it already. `part` is the tool call or its tool result
 * (`toolCallId`, `toolName`); nothing is made when no step of the call asked for it.
 */
export function refusedToolSpan(
  call: AiCall,
  tracer: Tracer,
  part: { toolCallId?: unknown; toolName?: unknown },
  input: unknown,
  error: unknown,
  content: boolean,
): void {
  const id = part.toolCallId
  const asker = typeof id === 'string' ? call.askers.get(id) : undefined
  if (!asker || call.tools.has(id as string)) return
  const span = startToolSpan(
    tracer,
    {
      name: typeof part.toolName === 'string' ? part.toolName : asker.name,
      id: id as string,
      parent: asker.span,
      startTime: asker.at,
    },
    input,
  )
  call.tools.set(id as string, span)
  call.toolErrors++
  failTool(span, error, content, asker.at)
}

/**
 * ai@7: the refused tool calls of a call whose own `recordOutputs: false` blanks the steps its end
 * event carries (where telemetry.ts finds them): the SDK's answer to each, a failed tool result,
 * is in the next model invocation's prompt (what the model is handed, never blanked).
 */
export function refusedToolCalls(call: AiCall, prompt: unknown, recordInputs: boolean): void {
  const tracer = call.tracer
  if (!call.span || !tracer) return
  let inputs: Map<string, unknown> | undefined
  for (const part of trailingToolResults(prompt)) {
    if (!isToolError(part?.output)) continue
    if (recordInputs) inputs ??= askedToolInputs(prompt)
    const message = part.output?.value
    // Outputs are off: what the SDK's message quotes of the input goes.
    refusedToolSpan(
      call,
      tracer,
      part,
      inputs?.has(part.toolCallId) ? inputs.get(part.toolCallId) : NOT_RECORDED,
      {
        name: 'ToolExecutionError',
        message: typeof message === 'string' ? message : 'tool failed',
      },
      false,
    )
  }
}

/** Ends the span of a tool run recorded before its call span was made, as the run ended. */
export function endRun(span: Span, run: ToolRun): void {
  if (run.cancelled) {
    span.setAttribute(ATTR.cancelledBy, abortCause(undefined, run.error))
    span.end({ status: 'cancelled', endTime: run.end })
    return
  }
  if (run.failed) failTool(span, run.error, true, run.end)
  else span.end({ status: 'ok', endTime: run.end })
}

/**
 * Ends a tool span that failed: its error recorded (without what the AI SDK quotes of the tool's
 * input when the call records no content), its type, status `error`.
 */
export function failTool(span: Span, error: unknown, content: boolean, endTime?: number): void {
  // Its exception event within the span's time, however the end was timed.
  span.recordError(recordableError(error, content), endTime)
  span.setAttribute(ATTR.errorType, errorType(error))
  span.end({ status: 'error', endTime })
}

export interface Resolved {
  call: AiCall
  step: number
  attempt: number
}

/**
 * Finds the call a model invocation belongs to when the AI SDK does not say (ai@5, ai@6, or ai@7
 * with its telemetry turned off): a retry brings the same prompt array again; a continuing step's
 * prompt ends with the results of the tool calls the previous step asked for. Anything else starts
 * a new call under the active span. The tool spans of a continued step are made here, from the
 * results in its prompt, timed from the tool call to this step (marked `tokentrail.tool.timing: inferred`).
 */
export function inferCall(
  tracer: Tracer,
  prompt: unknown,
  init: Omit<CallInit, 'source' | 'parent'>,
  record: { inputs: boolean; outputs: boolean },
): Resolved | undefined {
  const state = callState()
  const key = prompt !== null && typeof prompt === 'object' ? (prompt as object) : undefined
  const known = key ? state.byPrompt.get(key) : undefined
  if (known && !known.call.ended) {
    // Still open: not a retry but the model wrapped twice (see AiCall.invocation).
    if (known.call.openSteps > 0) return undefined
    known.attempts++
    known.call.retried()
    return { call: known.call, step: known.step, attempt: known.attempts }
  }
  let call: AiCall | undefined
  const results = trailingToolResults(prompt)
  for (const part of results) {
    const id = part.toolCallId
    // Of calls that asked for the same id, the one of this trace that waits for it; of more (no
    // trace to tell them apart), the one whose last prompt this one continues.
    const candidate = ownerOf(
      state,
      state.byToolCallId,
      id,
      (c) => c.awaitedToolCallIds?.includes(id) === true,
      (calls) => continued(calls, prompt),
    )
    if (candidate && !candidate.ended) {
      call = candidate
      break
    }
  }
  let step = 0
  if (call) {
    call.awaitedToolCallIds = undefined
    step = call.currentStep + 1
    call.currentStep = step
    const at = now()
    const inputs = record.inputs ? askedToolInputs(prompt) : undefined
    for (const part of results) {
      const asker = call.askers.get(part.toolCallId)
      if (!asker || call.tools.has(part.toolCallId)) continue
      stopAwaiting(state, part.toolCallId, call)
      const output = part.output ?? part.result
      const failed = isToolError(output)
      const span = startToolSpan(
        tracer,
        {
          name: part.toolName ?? asker.name,
          id: part.toolCallId,
          parent: asker.span,
          startTime: asker.at,
          timing: 'inferred',
        },
        inputs?.has(part.toolCallId) ? inputs.get(part.toolCallId) : NOT_RECORDED,
        // A failed tool has no result: its error text is the span's error.
        record.outputs && output !== undefined && !failed
          ? (output?.value ?? output)
          : NOT_RECORDED,
      )
      if (failed) {
        call.toolErrors++
        // The AI SDK's message for input the tool's schema refused quotes that input.
        failTool(
          span,
          { name: 'ToolExecutionError', message: String(output?.value ?? 'tool failed') },
          record.inputs && record.outputs,
          at,
        )
      } else span.end({ status: 'ok', endTime: at })
    }
  } else {
    // ai@6 runs the tools a user approved (`needsApproval`) before the call's first step: their
    // results end this prompt, and their spans go under this call, timed as they ran.
    const unasked = state.unasked
    let ran: [string, UnaskedTool][] | undefined
    if (unasked !== undefined && unasked.size > 0)
      for (const part of results) {
        const tool = unasked.get(part.toolCallId)
        if (!tool) continue
        unasked.delete(part.toolCallId)
        ;(ran ??= []).push([part.toolCallId, tool])
      }
    const startTime = ran ? Math.min(...ran.map(([, tool]) => tool.start)) : undefined
    call = new AiCall({ ...init, source: 'inferred', parent: getActiveSpan(), startTime })
    if (ran) for (const [id, tool] of ran) unaskedToolSpan(call, id, tool, record)
  }
  if (key) {
    if (call.inferredPrompt !== undefined) state.byPrompt.delete(call.inferredPrompt)
    call.inferredPrompt = key
    state.byPrompt.set(key, { call, step, attempts: 1 })
  }
  return { call, step, attempt: 1 }
}
