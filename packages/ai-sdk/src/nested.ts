import { callState } from './call.js'

/**
 * A middleware instance's count of its open model invocations: while every open invocation of the
 * process is its own, none of them can be an outer one around its next (see `nestedInvocation`).
 */
export interface Owner {
  open: number
}

/** A traced model invocation while it is open (an `LlmCall`). */
export interface OpenInvocation {
  readonly owner: Owner | undefined
  readonly nestPrompt: unknown
  readonly nestHeaders: unknown
  /** The model it invokes: a model traced twice is invoked under one provider and id by both. */
  readonly nestModel: ModelName | undefined
}

/** A model's provider and id, as a middleware is given them. */
export interface ModelName {
  readonly provider: unknown
  readonly modelId: unknown
}

// Parts of a prompt's last message compared: a message has few; a long one is not walked.
const MAX_PARTS = 4
// The AI SDK's generate functions add `ai/<version>` to the user agent of the headers they make.
const SDK_AGENT = /(?:^| )ai\/\d/

// Calls `visit` with objects the AI SDK made for one model invocation alone (it converts the prompt
// afresh for every step; its generate functions make a headers object for every call) that a
// middleware rewriting the prompt usually keeps: the headers, the first and last messages, the
// last message's first parts. Stops when `visit` returns true.
function invocationObjects(
  prompt: unknown,
  headers: unknown,
  visit: (key: object) => boolean,
): boolean {
  // Only the SDK's own headers (its user agent added): a user's headers object may serve many calls.
  if (headers !== null && typeof headers === 'object') {
    const agent = (headers as Record<string, unknown>)['user-agent']
    if (typeof agent === 'string' && SDK_AGENT.test(agent) && visit(headers)) return true
  }
  if (!Array.isArray(prompt) || prompt.length === 0) return false
  const first = prompt[0]
  if (first !== null && typeof first === 'object' && visit(first)) return true
  const last = prompt[prompt.length - 1]
  if (last === null || typeof last !== 'object') return false
  if (last !== first && visit(last)) return true
  const content = last.content
  if (Array.isArray(content))
    for (let i = 0; i < content.length && i < MAX_PARTS; i++) {
      const part = content[i]
      if (part !== null && typeof part === 'object' && visit(part)) return true
    }
  return false
}

/**
 * Whether this model invocation is one another middleware instance already traces: the model is
 * traced twice (a library's traced model the app wraps again, `wrapProvider` around traced
 * models) with a middleware between the two that hands the inner one a new prompt array (a
 * guardrail, retrieval), which keeps objects the AI SDK made for this invocation alone. Only an
 * open invocation of the same provider and model id counts: one invocation a model of the user's
 * sends on to two traced models at once (comparing providers, a shadow model, hedging) shares
 * those objects too, and each is a model call of its own. Costs a comparison of two numbers
 * unless another instance has an invocation open.
 */
export function nestedInvocation(
  owner: Owner,
  params: { prompt?: unknown; headers?: unknown },
  model: ModelName,
): boolean {
  const open = callState().open
  if (open === undefined || open.size <= owner.open) return false
  const mine: object[] = []
  invocationObjects(params.prompt, params.headers, (key) => {
    mine.push(key)
    return false
  })
  if (mine.length === 0) return false
  for (const other of open) {
    const name = other.nestModel
    if (
      other.owner !== owner &&
      name !== undefined &&
      name.modelId === model.modelId &&
      name.provider === model.provider &&
      invocationObjects(other.nestPrompt, other.nestHeaders, (key) => mine.includes(key))
    )
      return true
  }
  return false
}

/**
 * Whether two prompt arrays are of one model invocation: the second one made from the first by a
 * middleware that kept some of its messages or parts (see `invocationObjects`).
 */
export function sharesInvocationObjects(prompt: unknown, other: unknown): boolean {
  if (prompt === undefined || prompt === other) return prompt !== undefined
  const mine: object[] = []
  invocationObjects(prompt, undefined, (key) => {
    mine.push(key)
    return false
  })
  return mine.length > 0 && invocationObjects(other, undefined, (key) => mine.includes(key))
}

/** Lists an invocation as open, until `closed`. */
export function opened(invocation: OpenInvocation & { owner: Owner }): void {
  invocation.owner.open++
  ;(callState().open ??= new Set()).add(invocation)
}

/** Takes an invocation `opened` listed off the list. */
export function closed(invocation: OpenInvocation & { owner: Owner }): void {
  invocation.owner.open--
  callState().open?.delete(invocation)
}
