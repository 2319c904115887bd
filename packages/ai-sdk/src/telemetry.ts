import type { Span, Tracer } from '@tokentrail/core'
import {
  checkOptionKeys,
  getActiveSpan,
  getTracer,
  loadTextScrub,
  now,
  runWithSpan,
  TokentrailError,
} from '@tokentrail/core/internal'
import type { Telemetry } from 'ai'
import type { TokentrailTelemetry } from './ai-types.js'
import * as ATTR from './attr.js'
import {
  AiCall,
  askerOf,
  callState,
  callStorage,
  endedLately,
  endRun,
  failTool,
  forgetCall,
  isWrapped,
  providerWrapped,
  ranUnasked,
  refusedToolSpan,
  rememberCall,
  settleStarts,
  stepStarting,
  type ToolRun,
} from './call.js'
import { NOT_RECORDED, setToolJson, startToolSpan } from './convert.js'
import { abortCause, isAbortError } from './errors.js'
import { nextTurn } from './llm-call.js'
import { getTraceMetadata, sayMetadataNotices } from './metadata.js'

/** Options of `tokentrailTelemetry`. */
export interface TokentrailTelemetryOptions {
  /** The tracer spans go to. @default getTracer(), looked up on each call */
  tracer?: Tracer | undefined
  /** Record tool arguments. @default the tracer's `recordInputs` */
  recordInputs?: boolean | undefined
  /** Record tool results. @default the tracer's `recordOutputs` */
  recordOutputs?: boolean | undefined
}

const OPTION_KEYS = ['tracer', 'recordInputs', 'recordOutputs']

// Marks our integrations in the AI SDK's global list, so registering again replaces, never adds.
const MARK = Symbol.for('tokentrail.ai-sdk.telemetry')

// If the AI SDK never reports the end of a tool (it always should), the span still closes.
const TOOL_END_FALLBACK_MS = 5000

// Set once a tracer a Tokentrail middleware or integration was given is on, by every copy of this
// package: the integration then keeps its handlers whatever the process-wide tracer is.
const GIVEN_ON_KEY = Symbol.for('tokentrail.ai-sdk.given-tracer-on')
// Set once a middleware or integration without a tracer of its own is made: only such a one traces
// with the process-wide tracer, so only then is that looked up (getTracer() makes it from the
// environment, and prints what is wrong there, for a user whose own tracer is off).
const NOT_GIVEN_KEY = Symbol.for('tokentrail.ai-sdk.tracer-not-given')

/**
 * Whether a Tokentrail middleware could trace a call starting now: a tracer it was given is on, or
 * one was given none and the process-wide tracer is on. The AI SDK reads each handler of an integration once as a call starts
 * (ai@7 as it builds the call's telemetry dispatcher, ai@6 as it gathers its listeners) and keeps
 * what it found for all of that call's events. With tracing off the handlers read as absent, so the
 * SDK makes none of the copies and redactions of each event it makes for a handler; a call that
 * started while tracing was on keeps its handlers to its end.
 */
function tracingOn(): boolean {
  try {
    const g = globalThis as Record<symbol, unknown>
    return g[GIVEN_ON_KEY] === true || (g[NOT_GIVEN_KEY] === true && getTracer().enabled)
  } catch {
    return true
  }
}

// The version of the last event read and what it said: a process runs one AI SDK, so each event
// after the first costs a string comparison instead of a parse.
let lastVersion: string | undefined
let lastIsV7 = false

// The events this integration reads come from ai@7 (its events say `aiVersion`); ai@6 calls the
// same global list with other shapes, which it leaves alone (the middleware infers those calls).
function fromV7(event: unknown): event is Record<string, any> {
  const version = (event as { aiVersion?: unknown } | null)?.aiVersion
  if (typeof version !== 'string') return false
  if (version === lastVersion) return lastIsV7
  const major = Number.parseInt(version, 10)
  lastVersion = version
  lastIsV7 = Number.isFinite(major) && major >= 7
  return lastIsV7
}

function checkOptions(options: TokentrailTelemetryOptions, name: string): void {
  if (options === null || typeof options !== 'object')
    throw new TokentrailError(`${name}(options) takes an options object`)
  checkOptionKeys(options, OPTION_KEYS, name)
  if (options.tracer !== undefined && typeof options.tracer?.startSpan !== 'function')
    throw new TokentrailError(
      'tracer must be a Tracer from createTracer() (it has no startSpan method)',
    )
  for (const key of ['recordInputs', 'recordOutputs'] as const)
    if (options[key] !== undefined && typeof options[key] !== 'boolean')
      throw new TokentrailError(`${key} must be true or false, got ${JSON.stringify(options[key])}`)
}

/**
 * The AI SDK 7 telemetry integration behind `tracingMiddleware()`: it gives each `generateText`,
 * `streamText`, `generateObject` and `streamObject` call its call span (the parent of the step
 * LLM spans), numbers steps and retries as the SDK does, records tool executions as
 * `execute_tool {name}` spans under the step that asked for them (tools run inside their span, so
 * model calls a tool makes nest under it), and records failures anywhere in the call. The
 * middleware registers it once by itself; register it yourself only to pass other options.
 * Registering it again (a hot reload) never duplicates a span.
 *
 * @example
 * import { registerTelemetry } from 'ai'
 * registerTelemetry(tokentrailTelemetry({ recordOutputs: false }))
 */
export function tokentrailTelemetry(options: TokentrailTelemetryOptions = {}): TokentrailTelemetry {
  checkOptions(options, 'tokentrailTelemetry')
  return makeIntegration(options) as TokentrailTelemetry
}

/** @deprecated Use `tokentrailTelemetry()`; `tracingMiddleware()` registers it by itself. */
export function toolTelemetry(options: TokentrailTelemetryOptions = {}): TokentrailTelemetry {
  checkOptions(options, 'toolTelemetry')
  return makeIntegration(options) as TokentrailTelemetry
}

/**
 * Puts one Tokentrail integration in the AI SDK's global list (`globalThis.AI_SDK_TELEMETRY_INTEGRATIONS`,
 * what `registerTelemetry` fills): the newest replaces an older one, so a reloaded module adds nothing.
 */
export function ensureRegistered(options: TokentrailTelemetryOptions): void {
  try {
    const g = globalThis as { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown[] }
    const list = Array.isArray(g.AI_SDK_TELEMETRY_INTEGRATIONS)
      ? g.AI_SDK_TELEMETRY_INTEGRATIONS
      : (g.AI_SDK_TELEMETRY_INTEGRATIONS = [])
    const integration = makeIntegration(options, true)
    const index = list.findIndex((entry) => (entry as any)?.[MARK] === true)
    if (index === -1) list.push(integration)
    else if ((list[index] as any).auto) list[index] = integration
  } catch {}
}

// Whether the AI SDK's global list holds a Tokentrail integration the app made and registered
// (`registerTelemetry(tokentrailTelemetry({ … }))`), not one a middleware put there. Read for each
// handler as each call starts, so the answer is kept until the list changes length (registering
// appends; a middleware made again replaces its own entry in place).
let listSeen: unknown[] | undefined
let listLengthSeen = -1
let appListed = false
/**
 * ai@6 gives a call the global integrations (the middleware's own among them) and then the call's
 * own (`experimental_telemetry: { integrations: [tokentrailTelemetry({ recordOutputs: false })] }`),
 * all of them: it reads each hook of each integration as the call starts, global ones first, and
 * calls them in that order. The middleware's handlers opened and closed the tool spans with the
 * default options first, so the call's own options (tool arguments and results left out) were
 * never applied. A call's own Tokentrail integration read right after the middleware's for the
 * same hook takes that call's hook over: the middleware's handler it was given steps aside. (ai@7
 * gives a call its own integrations instead of the global ones: nothing to hand over there.)
 */
interface AutoRead {
  key: string
  stepAside: boolean
}
let lastAutoRead: AutoRead | undefined
// Set once the app makes a `tokentrailTelemetry()` of its own: until then the middleware's
// handlers are handed out as they are, with nothing made per call.
let appIntegrationMade = false

function appIntegrationListed(): boolean {
  try {
    const list = (globalThis as { AI_SDK_TELEMETRY_INTEGRATIONS?: unknown })
      .AI_SDK_TELEMETRY_INTEGRATIONS
    if (!Array.isArray(list)) return false
    if (list === listSeen && list.length === listLengthSeen) return appListed
    appListed = list.some(
      (entry) => (entry as any)?.[MARK] === true && (entry as { auto?: unknown }).auto === false,
    )
    listSeen = list
    listLengthSeen = list.length
    return appListed
  } catch {
    return false
  }
}

// Errors only a provider call throws (an HTTP failure and the retries around it, a missing key or
// model, an empty answer): a text or object call throws them only after its first step started.
const MODEL_CALL_ERRORS = new Set([
  'AI_APICallError',
  'AI_RetryError',
  'AI_LoadAPIKeyError',
  'AI_LoadSettingError',
  'AI_NoSuchModelError',
  'AI_TooManyEmbeddingValuesForCallError',
  'AI_EmptyResponseBodyError',
  'AI_InvalidResponseDataError',
  'AI_NoImageGeneratedError',
  'AI_NoSpeechGeneratedError',
  'AI_NoTranscriptGeneratedError',
])

// The errors calls failed with, seen by onError: an outer call that fails with one an inner call
// failed with first passes it on (see onError).
const failedCalls = new WeakSet<object>()

function fromModelCall(error: unknown): boolean {
  try {
    const name = (error as { name?: unknown } | null)?.name
    return typeof name === 'string' && MODEL_CALL_ERRORS.has(name)
  } catch {
    return false
  }
}

// Runs a tool outside any call an older copy of this package put in the async context (this one
// puts none there), without entering a context when there is none to leave.
function outsideCall<R>(execute: () => R): R {
  return callStorage.get() === undefined ? execute() : callStorage.run(undefined, execute)
}

// The SDK ended a call it announced: it ends as its steps left it (`ok`), or cancelled.
function endAnnounced(event: unknown, status: 'ok' | 'cancelled'): void {
  if (!fromV7(event)) return
  const callId = event.callId
  const call = callState().byCallId.get(callId)
  if (!call) return
  // streamObject ends with the error its answer failed with (NoObjectGeneratedError) in its end
  // event: the user's `object` rejects with it, so the call is not `ok`.
  const error = status === 'ok' ? event.error : undefined
  if (status === 'ok' && (error === undefined || error === null) && call.parsesOutput) {
    // generateText parses its `output` after this event, in the same turn of the event loop, and
    // throws NoObjectGeneratedError through the error event when it does not match the schema: the
    // call stays known until then, so that event ends it as the user saw it.
    const endTime = now()
    nextTurn(() => {
      if (call.ended || callState().byCallId.get(callId) !== call) return
      forgetCall(callId, call)
      call.end('ok', undefined, endTime)
    })
    return
  }
  forgetCall(callId, call)
  if (error !== undefined && error !== null) call.end('error', error)
  else call.end(status, undefined, undefined, status === 'ok' && event.finishReason === 'error')
}

// Marks a tool's `execute` that runs inside its span (the original is its value).
const IN_SPAN = Symbol.for('tokentrail.ai-sdk.execute-in-span')

// The open span of a tool call, made from ai@6's tool events (or ai@7's executeTool).
function openToolSpan(toolCallId: unknown): Span | undefined {
  if (typeof toolCallId !== 'string') return undefined
  const span = askerOf(toolCallId)?.tools.get(toolCallId)
  return span && !span.ended ? span : undefined
}

// Runs each `next()` of a tool's async generator (a tool that streams preliminary results) inside
// its span: the generator's body runs in them, not when it is made.
async function* iterateInSpan<T>(span: Span, iterator: AsyncIterator<T>): AsyncGenerator<T> {
  let finished = false
  try {
    for (;;) {
      let next: IteratorResult<T>
      try {
        next = await runWithSpan(span, () => iterator.next())
      } catch (error) {
        finished = true
        throw error
      }
      if (next.done) {
        finished = true
        return next.value
      }
      yield next.value
    }
  } finally {
    // Left early (the call aborted): the tool's generator is closed as it would have been.
    if (!finished) await runWithSpan(span, () => iterator.return?.())
  }
}

/**
 * ai@6 runs a tool without a hook around it (ai@7 has `executeTool`): its `execute` is wrapped, once
 * per tool object, so it runs inside the tool's span and a model call it makes (a sub-agent) is a
 * child of that span, in the same trace. The wrapper passes `this`, the arguments, the result and
 * any error through as they are, and calls straight through when the call is not traced.
 */
function runToolsInTheirSpans(tools: unknown): void {
  try {
    if (tools === null || typeof tools !== 'object') return
    for (const tool of Object.values(tools)) {
      const execute = (tool as { execute?: unknown } | null)?.execute as
        | ((this: unknown, input: unknown, options: any) => unknown)
        | undefined
      if (typeof execute !== 'function' || (execute as any)[IN_SPAN] !== undefined) continue
      const inSpan = function (this: unknown, input: unknown, options: any): unknown {
        const span = openToolSpan(options?.toolCallId)
        if (span === undefined) return execute.call(this, input, options)
        const result = runWithSpan(span, () => execute.call(this, input, options))
        return result !== null &&
          typeof result === 'object' &&
          typeof (result as any)[Symbol.asyncIterator] === 'function' &&
          typeof (result as any).then !== 'function'
          ? iterateInSpan(span, (result as AsyncIterable<unknown>)[Symbol.asyncIterator]())
          : result
      }
      Object.defineProperty(inSpan, IN_SPAN, { value: execute })
      Object.defineProperty(inSpan, 'name', { value: execute.name })
      try {
        ;(tool as { execute: unknown }).execute = inSpan
      } catch {}
    }
  } catch {}
}

function makeIntegration(options: TokentrailTelemetryOptions, auto = false): Telemetry {
  // The text scrub the adapter's texts need (tool JSON, cut texts, error bodies), asked for as it
  // is set up (`tracingMiddleware()` makes one of these): a tracer of another copy of core (an
  // app with two installed) cannot hold its spans for it, so they would go without those texts.
  loadTextScrub()
  const tracerOf = () => options.tracer ?? getTracer()
  if (!auto) appIntegrationMade = true
  const g = globalThis as Record<symbol, unknown>
  if (options.tracer === undefined) g[NOT_GIVEN_KEY] = true
  else if (options.tracer.enabled === true) g[GIVEN_ON_KEY] = true

  // Whether tool arguments and results are recorded: when either is not, a tool error's message
  // loses what the AI SDK quotes of them (an InvalidToolInputError's `Value: {…}`).
  // The integration's own switches (one the app registered), else those of the middleware that
  // traced the call's model, else the tracer's; a tracer whose switch is off drops it anyway.
  const recordsInputs = (call: AiCall, tracer = call.tracer): boolean =>
    !call.hidesInputs &&
    tracer?.recordInputs !== false &&
    (options.recordInputs ?? call.toolInputs ?? tracer?.recordInputs) === true
  const recordsOutputs = (call: AiCall, tracer = call.tracer): boolean =>
    !call.hidesOutputs &&
    tracer?.recordOutputs !== false &&
    (options.recordOutputs ?? call.toolOutputs ?? tracer?.recordOutputs) === true
  const recordsContent = (call: AiCall): boolean => recordsInputs(call) && recordsOutputs(call)

  function closeTool(call: AiCall, toolCallId: string, output?: any): void {
    const span = call.tools.get(toolCallId)
    if (!span || span.ended) return
    const endTime = call.toolEnds.get(toolCallId)
    call.toolEnds.delete(toolCallId)
    if (output?.type === 'tool-error') {
      call.toolErrors++
      failTool(span, output.error, recordsContent(call), endTime)
      return
    }
    if (output?.type === 'tool-result' && recordsOutputs(call))
      setToolJson(span, ATTR.toolCallResult, output.output ?? null)
    span.end({ endTime })
  }

  // ai@7 answers a tool call it cannot run with a tool error of its own: the steps the end event
  // carries have it (see refusedToolSpan).
  function unrunToolCalls(call: AiCall, steps: unknown): void {
    const tracer = call.tracer
    if (!Array.isArray(steps) || !call.span || !tracer) return
    for (const step of steps) {
      const content = step?.content
      if (!Array.isArray(content)) continue
      for (const part of content)
        if (part?.type === 'tool-call' && part.invalid === true && !part.providerExecuted)
          refusedToolSpan(
            call,
            tracer,
            part,
            recordsInputs(call, tracer) ? part.input : NOT_RECORDED,
            part.error,
            recordsContent(call),
          )
    }
  }

  // A call the AI SDK announced (ai@7), made by the first of its events that finds none (a step's
  // start, or an approved tool run before it) and remembered by its id.
  function announcedCall(callId: string, modelId: unknown, functionId: unknown): AiCall {
    const metadata = getTraceMetadata()
    sayMetadataNotices(metadata, tracerOf)
    const call = new AiCall({
      source: 'ai-sdk-telemetry',
      operation: '',
      parent: getActiveSpan(),
      modelId: typeof modelId === 'string' ? modelId : undefined,
      functionId: typeof functionId === 'string' ? functionId : undefined,
      metadata,
    })
    rememberCall(callId, call)
    return call
  }

  // ai@7 runs the tools a user approved (`needsApproval`) as a call starts, before its first step:
  // no step event has made the call yet, and whether its model is traced is not known until the
  // model is called. The call is made here as its first step would make it; each tool's span is
  // made with the call span (when a traced model is called, or the call fails), timed as it ran.
  async function approvedTool<T>(
    callId: string,
    made: AiCall | undefined,
    toolCallId: unknown,
    toolCall: any,
    execute: () => PromiseLike<T>,
  ): Promise<T> {
    let run: ToolRun
    let call: AiCall
    try {
      call = made ?? announcedCall(callId, undefined, undefined)
      run = { start: now() }
      const id = typeof toolCallId === 'string' ? toolCallId : undefined
      const approved = (call.approvedTools ??= new Map())
      if (id !== undefined) approved.set(id, run)
      call.whenMade((tracer, parent) => {
        // It stopped on an abort, but the call's signal, known once its model is called, did not
        // fire: a time limit of the tool's own (a fetch given AbortSignal.timeout(), ai@7's tool
        // timeout). The call went on with its error: it failed.
        if (run.cancelled && call.modelCalled && !call.stepSignal?.aborted) run.cancelled = false
        if (run.failed && !run.cancelled) call.toolErrors++
        const name = toolCall?.toolName ?? 'unknown'
        const output = run.output
        const span = startToolSpan(
          tracer,
          { name, id, dynamic: toolCall?.dynamic, parent, startTime: run.start },
          recordsInputs(call, tracer) && toolCall ? toolCall.input : NOT_RECORDED,
          !run.failed && output?.type === 'tool-result' && recordsOutputs(call, tracer)
            ? (output.output ?? null)
            : NOT_RECORDED,
        )
        if (id !== undefined) call.tools.set(id, span)
        endRun(span, run)
      })
    } catch {
      return outsideCall(execute)
    }
    try {
      const result = await outsideCall(execute)
      run.end = now()
      return result
    } catch (error) {
      run.end = now()
      run.failed = true
      run.error = error
      // The event names no abortSignal: a tool that stops on the call's rejects with its reason
      // (told apart from an abort of its own when the span is made).
      const name = (error as { name?: unknown } | null)?.name
      run.cancelled = name === 'AbortError' || name === 'TimeoutError'
      throw error
    }
  }

  const handlers: Telemetry = {
    // No onStart: the AI SDK copies and redacts every event for each callback an integration
    // has, before the first chunk, on every call (~5 µs a plain generateText); the first step's
    // start says all a call span needs (the operation comes from the middleware). The step-start
    // event also carries the prompt array the
    // SDK then hands the model (not in the event's declared type; the SDK blanks it when its
    // telemetry records no inputs): how the middleware finds the call of each model invocation
    // without an async context (see stepStarting).
    onStepStart(event: any) {
      settleStarts()
      if (!fromV7(event)) {
        // ai@6 tells the tools a step may call, and runs them without a hook of its own. Only a
        // traced model's: an untraced model's tools are the app's, left as they are.
        if (event?.tools && isWrapped(event.model?.provider, event.model?.modelId))
          runToolsInTheirSpans(event.tools)
        return
      }
      if (typeof event.callId !== 'string') return
      const state = callState()
      let call = state.byCallId.get(event.callId)
      if (!call) {
        // A later step of a call that ended (aborted, or closed by a flush) adds nothing. A call's
        // first step cannot follow its end: its id is not looked up among the ended ones (two
        // lookups in sets of up to 1000 ids each, on the first chunk's path).
        if (event.stepNumber !== 0 && endedLately(event.callId)) return
        // A call of a model no middleware traces is not the adapter's: only its id is kept, with
        // those of the calls that ended lately, so its later events are passed over (its failure
        // makes no span). Remembered whole, a stream of it nobody reads to its end, which the SDK
        // never ends, held its prompt until 10,000 newer calls came. A traced model an outer
        // middleware renamed is found by inference, as with the SDK's telemetry off.
        if (!isWrapped(event.provider, event.modelId)) {
          forgetCall(event.callId)
          return
        }
        call = announcedCall(event.callId, event.modelId, event.functionId)
      }
      // A call its approved tools made: its first step names its model.
      else if (call.approvedTools) call.named(event.modelId, event.functionId)
      // The SDK's own switches for this call, honoured as the tracer's are.
      if (event.recordInputs === false) call.hidesInputs = true
      if (event.recordOutputs === false) call.hidesOutputs = true
      if (!call.ended) stepStarting(call, event.promptMessages, event.provider, event.modelId)
    },

    // generateObject/streamObject announce their steps apart, with the same event: without it their
    // calls were inferred, ended `ok` by the step, and a failure after it (an answer that does not
    // parse, NoObjectGeneratedError) was left to a span of its own.
    onObjectStepStart(event: any) {
      handlers.onStepStart!(event)
      const call = typeof event?.callId === 'string' && callState().byCallId.get(event.callId)
      if (call) call.objectCall = true
    },

    async executeTool({ callId, toolCallId, toolCall, execute }) {
      settleStarts()
      const call = callState().byCallId.get(callId)
      // Tools the user approved (`needsApproval`) run before the call's first step.
      if (
        typeof callId === 'string' &&
        (call ? call.approvedTools !== undefined && !call.span : !endedLately(callId))
      )
        return approvedTool(callId, call, toolCallId, toolCall, execute)
      // Calls of untraced models have no span, and a second Tokentrail integration finds the tool
      // already spanned: both just run the tool.
      // (A tool call id a later step gives again, from a server that numbers them per response, is
      // a run of its own once the earlier one's span has ended.)
      if (!call?.span || !call.tracer || call.tools.get(toolCallId)?.ended === false)
        return outsideCall(execute)
      const tracer = call.tracer
      let span: Span
      try {
        const name = toolCall?.toolName ?? 'unknown'
        span = startToolSpan(
          tracer,
          {
            name,
            id: toolCallId,
            dynamic: toolCall?.dynamic,
            parent: call.askers.get(toolCallId)?.span ?? call.span,
          },
          recordsInputs(call, tracer) && toolCall ? toolCall.input : NOT_RECORDED,
        )
        call.tools.set(toolCallId, span)
      } catch {
        return outsideCall(execute)
      }
      // Inside the tool, its span is active and no call is: a model call the tool makes is a call
      // of its own, nested under the tool.
      const run = () => runWithSpan(span, () => outsideCall(execute))
      try {
        const result = await run()
        // The span ends now; its result comes in onToolExecutionEnd, right after this returns
        // (with streamText, `execute` resolves to nothing). If it never comes, the span closes anyway.
        call.toolEnds.set(toolCallId, now())
        const timer = setTimeout(() => closeTool(call, toolCallId), TOOL_END_FALLBACK_MS)
        ;(timer as { unref?: () => void }).unref?.()
        return result
      } catch (error) {
        // A tool that stops on the call's abortSignal did not fail: the call was cancelled.
        if (call.stepSignal?.aborted) {
          span.setAttribute(ATTR.cancelledBy, abortCause(call.stepSignal))
          span.end({ status: 'cancelled' })
          throw error
        }
        call.toolErrors++
        failTool(span, error, recordsContent(call))
        throw error
      }
    },

    onToolExecutionEnd(event) {
      settleStarts()
      if (!fromV7(event)) return
      const call = callState().byCallId.get(event.callId)
      const id = event.toolCall?.toolCallId
      if (!call || typeof id !== 'string') return
      const approved = call.approvedTools?.get(id)
      if (approved) approved.output = event.toolOutput
      else closeTool(call, id, event.toolOutput)
    },

    onEnd(event: any) {
      settleStarts()
      if (fromV7(event)) {
        const call = callState().byCallId.get(event.callId)
        // Whatever fails here, the call still ends.
        if (call && !call.ended)
          try {
            unrunToolCalls(call, event.steps)
          } catch {}
      }
      endAnnounced(event, 'ok')
    },

    onAbort(event: any) {
      settleStarts()
      if (fromV7(event) && !endedLately(event.callId))
        callState().byCallId.get(event.callId)?.abortedBetweenSteps()
      endAnnounced(event, 'cancelled')
    },

    // No start event of the other operations either (onEmbedStart, onRerankStart, decide's and
    // streamTranscribe's): each hook an integration has costs every AI SDK call the SDK's dispatch
    // (closures held for the call's life, ~0.4 KB per open stream each, and CPU). A failure of an
    // embed traced by embeddingTracingMiddleware is told by its error (see embeddingErrors); other
    // operations' failures that no provider call made look like a text call's before its first step.

    onError(event: any) {
      settleStarts()
      const callId = event?.callId
      if (typeof callId !== 'string') return
      const state = callState()
      const error = event.error
      const failure = error !== null && typeof error === 'object' ? (error as object) : undefined
      // Whether another call failed with this very error first: a call inside this one (a
      // middleware outside ours asking a model of its own) whose failure this one passes on.
      const passedOn = failure !== undefined && failedCalls.has(failure)
      if (failure !== undefined) {
        failedCalls.add(failure)
        if (state.embeddingErrors?.has(failure)) return
      }
      if (endedLately(callId)) return
      let call = state.byCallId.get(callId)
      forgetCall(callId, call)
      if (call?.ended) return
      // An abort or a time limit (ai@7's generateText rejects its `timeout` with a TimeoutError).
      const aborted = isAbortError(error, call?.runSignal)
      // No step of this call started: a generateText/streamText/…Object call whose prompt failed,
      // or another operation (embed, embedMany, rerank, speech…), which has no steps. An abort or
      // an error out of a provider call says it is the latter (or that nothing was asked yet): no
      // call span, as an embedding's own span (embeddingTracingMiddleware) already tells it.
      if (!call && (aborted || fromModelCall(error))) return
      if (!call) {
        // The call failed before it began (its prompt could not be read): it gets a span of its
        // own, so a request that streams "An error occurred." does not look fine in the trace.
        const tracer = tracerOf()
        if (!tracer.enabled) return
        call = new AiCall({
          source: 'ai-sdk-telemetry',
          operation: 'unknown',
          parent: getActiveSpan(),
          metadata: getTraceMetadata(),
        })
        call.materialize(tracer)
      } else if (!call.span) {
        // Its model was called and failed, or the call was stopped, and no tracing middleware saw
        // it: a model left untraced (beside a traced one, whose middleware set this integration
        // up) records nothing. Tools the user approved that ran first still get their spans, and
        // a traced model's call that failed before its middleware ran (one outside it failed) its.
        // A provider call's error that no middleware of ours saw, and no call inside this one
        // passed on, is an untraced model's, even when a traced one has its provider and id (a
        // library's bare `openai('gpt-4o')` beside the app's traced one): a traced model's
        // provider call runs inside its middleware. An error of another shape (a custom model's
        // plain Error, a guard middleware's own) is a traced call's only if a model of that
        // provider is traced (one outside ours may rename the model); else it is an untraced
        // model's, which records nothing either.
        if (
          !call.modelCalled &&
          call.approvedTools === undefined &&
          ((fromModelCall(error) && !passedOn) ||
            (!isWrapped(call.awaitedProvider, call.awaitedModelId) &&
              (aborted || fromModelCall(error) || !providerWrapped(call.awaitedProvider))))
        )
          return
        const tracer = tracerOf()
        if (!tracer.enabled) return
        call.materialize(tracer)
      }
      if (aborted) call.abortedBetweenSteps()
      call.end(aborted ? 'cancelled' : 'error', aborted ? undefined : error)
    },
  }
  // ai@6 calls the same global list with its own events, which carry no call id but name the
  // tool call: an inferred call gets exact tool spans from them, including the tools of its last
  // step, and ends as soon as the SDK finishes instead of waiting.
  const v6 = {
    onToolCallStart(event: any) {
      settleStarts()
      if (fromV7(event)) return
      const id = event?.toolCall?.toolCallId
      const call = typeof id === 'string' ? askerOf(id) : undefined
      // No open call asked for it (not more that did, none of this trace): a tool the user
      // approved, run before its call's first step.
      if (!call && typeof id === 'string' && !callState().askedBy.has(id)) {
        ranUnasked(id, {
          name: event.toolCall.toolName ?? 'unknown',
          input: event.toolCall.input,
          dynamic: event.toolCall.dynamic === true,
          start: now(),
        })
        return
      }
      const asker = call?.askers.get(id)
      if (!call || !asker || call.ended || call.tools.get(id)?.ended === false || !call.tracer)
        return
      const tracer = call.tracer
      const name = event.toolCall.toolName ?? asker.name
      call.tools.set(
        id,
        startToolSpan(
          tracer,
          { name, id, dynamic: event.toolCall.dynamic, parent: asker.span },
          recordsInputs(call, tracer) ? event.toolCall.input : NOT_RECORDED,
        ),
      )
    },
    onToolCallFinish(event: any) {
      settleStarts()
      if (fromV7(event)) return
      const id = event?.toolCall?.toolCallId
      const call = typeof id === 'string' ? askerOf(id) : undefined
      if (!call && typeof id === 'string' && !callState().askedBy.has(id)) {
        const tool = callState().unasked?.get(id)
        if (!tool || tool.end !== undefined) return
        tool.end = now()
        tool.failed = event.success === false
        tool.cancelled = tool.failed && event.abortSignal?.aborted === true
        if (tool.failed) tool.error = event.error
        else tool.output = event.output
        return
      }
      const span = call?.tools.get(id)
      if (!call || !span || span.ended) return
      if (event.success === false) {
        call.toolErrors++
        failTool(span, event.error, recordsContent(call))
        return
      }
      if (recordsOutputs(call)) setToolJson(span, ATTR.toolCallResult, event.output ?? null)
      span.end()
    },
    onFinish(event: any) {
      settleStarts()
      if (fromV7(event)) return
      const steps = Array.isArray(event?.steps) ? event.steps : [event]
      steps.forEach((step: any, i: number) => {
        for (const toolCall of Array.isArray(step?.toolCalls) ? step.toolCalls : []) {
          const id = toolCall?.toolCallId
          const call = typeof id === 'string' ? askerOf(id) : undefined
          if (!call || call.ended) continue
          // An earlier step's: only a call still waiting after that very response (its next model
          // call was not traced). Another call that a server numbering tool calls per response
          // gave the same id may be waiting for its own next step.
          const responseId = step?.response?.id
          if (
            i < steps.length - 1 &&
            !(call.awaitedToolCallIds?.includes(id) && call.awaitedAfter === responseId)
          )
            continue
          call.closePending(now())
        }
      })
    },
  }
  // What these handlers cost a call on ai@7.0.185 (bench: alloc-profile.mjs HOOKS=…, hooks-ab.mjs;
  // the SDK's own work, measured with no-op handlers). As a call starts, the SDK reads each key once
  // (the getter below: ~0.1 µs for the 7 keys ai@7 reads; it never reads the ai@6 ones) and, for
  // each handler there, makes a bound copy and three closures it keeps for the call: ~0.46 KB, a
  // fraction of a µs, per handler whether it fires or not. Each event a handler gets is copied,
  // redacted (and its steps rebuilt) before the call: on a plain generateText the step start
  // (~6 KB, ~5 µs) and the end (~11 KB, ~9 µs; both grow with the steps) are ~85% of the ~23 KB the
  // dispatch adds; a tool run adds ~0.9 KB (executeTool) and ~3.8 KB (onToolExecutionEnd). None can
  // go: the step start names the call and links its model calls, the end ends it, executeTool runs
  // a tool in its span, onToolExecutionEnd alone carries the tool's result (its `execute` resolves
  // to nothing), onAbort alone ends an aborted streamText, onError alone tells failures no model
  // call made, onObjectStepStart alone announces generateObject/streamObject; and which of them a
  // call will need is not known when the SDK reads them (the getters take no arguments).
  const integration = { [MARK]: true, auto } as Telemetry & { [MARK]: true; auto: boolean }
  // The middleware's own integration steps aside for one the app registered itself (with its own
  // options, such as `recordOutputs: false`), whichever was put in the list first.
  const active = auto ? () => tracingOn() && !appIntegrationListed() : tracingOn
  const read = (key: string, handler: (event: any) => unknown) => {
    if (!auto) {
      // Read right after the middleware's own for the same hook: a call's own integration.
      if (lastAutoRead?.key === key) lastAutoRead.stepAside = true
      lastAutoRead = undefined
      return active() ? handler : undefined
    }
    lastAutoRead = undefined
    if (!active()) return undefined
    // No per-call hand-over to prepare until the app makes an integration of its own.
    if (!appIntegrationMade || !(key in v6)) return handler
    const token: AutoRead = { key, stepAside: false }
    lastAutoRead = token
    return (event: unknown) => (token.stepAside ? undefined : handler(event))
  }
  for (const [key, handler] of Object.entries({ ...handlers, ...v6 }))
    Object.defineProperty(integration, key, {
      get: () => read(key, handler as (event: any) => unknown),
      // An app may put a handler of its own in place of ours (`Object.assign(integration, …)`),
      // as it could when these were plain properties: it stays, whether tracing is on or off.
      set(value: unknown) {
        Object.defineProperty(integration, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        })
      },
      enumerable: true,
      configurable: true,
    })
  return integration
}
