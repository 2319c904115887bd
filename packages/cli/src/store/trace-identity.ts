import { ATTR, type SpanData } from '@tokentrail/core'
import { cutText } from '../text-cut.js'

// Who and what a trace is about, read from any of its spans: the keys our adapters write, the
// OpenTelemetry conventions, and the ones Langfuse, Phoenix and the AI SDK's own telemetry read.
const USER_KEYS = [ATTR.userId, 'enduser.id', 'langfuse.user.id', 'ai.telemetry.metadata.userId']
const SESSION_KEYS = [
  ATTR.sessionId,
  ATTR.conversationId,
  'langfuse.session.id',
  'ai.telemetry.metadata.sessionId',
]
const TAG_KEYS = [ATTR.tags, 'tag.tags', 'langfuse.trace.tags']

/** Longest stored input or output text of a trace (the list and session view show it). */
export const MAX_TURN_TEXT = 4000
const MAX_ID = 200
const MAX_TAGS = 20

/** Attributes that hold captured content or free text: searchable, never an exact-match index. */
export const CONTENT_KEYS: ReadonlySet<string> = new Set([
  ATTR.inputMessages,
  ATTR.outputMessages,
  ATTR.systemInstructions,
  ATTR.toolCallArguments,
  ATTR.toolCallResult,
  ATTR.toolDefinitions,
  ATTR.outputText,
  ATTR.reasoningText,
  ATTR.toolCalls,
  ATTR.warnings,
  'input.value',
  'output.value',
  'ai.prompt',
  'ai.prompt.messages',
  'ai.response.text',
])

function id(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  if (typeof value !== 'string') return undefined
  const text = value.trim()
  return text && text.length <= MAX_ID ? text : undefined
}

/** The user id a span records, if any. */
export function spanUser(span: SpanData): string | undefined {
  for (const key of USER_KEYS) {
    const value = id(span.attributes[key])
    if (value) return value
  }
  return undefined
}

/** The session (conversation) id a span records, if any. */
export function spanSession(span: SpanData): string | undefined {
  for (const key of SESSION_KEYS) {
    const value = id(span.attributes[key])
    if (value) return value
  }
  return undefined
}

/** Tags a span records, as a string array or a JSON string of one. */
export function spanTags(span: SpanData): string[] {
  const out: string[] = []
  for (const key of TAG_KEYS) {
    let value = span.attributes[key]
    if (typeof value === 'string' && value.startsWith('[')) {
      try {
        value = JSON.parse(value)
      } catch {}
    }
    const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : []
    for (const item of list) {
      const tag = id(item)
      if (tag && !out.includes(tag)) out.push(tag)
    }
  }
  return out
}

/** Adds `tags` to a stored JSON list of tags; returns the new JSON or the old one unchanged. */
export function mergeTags(stored: string | null, tags: readonly string[]): string | null {
  if (tags.length === 0) return stored
  // Usually every span of a trace carries the same tags: nothing to parse then.
  if (stored !== null && tags.every((tag) => stored.includes(JSON.stringify(tag)))) return stored
  const list: string[] = stored ? JSON.parse(stored) : []
  let changed = false
  for (const tag of tags)
    if (!list.includes(tag) && list.length < MAX_TAGS) {
      list.push(tag)
      changed = true
    }
  return changed ? JSON.stringify(list) : stored
}

function partsText(parts: unknown): string {
  if (typeof parts === 'string') return parts
  if (!Array.isArray(parts)) return ''
  const texts: string[] = []
  for (const part of parts) {
    if (typeof part === 'string') texts.push(part)
    else if (part && typeof part === 'object') {
      const p = part as { type?: unknown; content?: unknown; text?: unknown }
      if (typeof p.content === 'string' && (p.type === 'text' || p.type === undefined))
        texts.push(p.content)
      else if (typeof p.text === 'string') texts.push(p.text)
    }
  }
  return texts.join('\n')
}

function parseMessages(value: unknown): Message[] {
  if (typeof value !== 'string') return []
  try {
    const parsed = JSON.parse(value)
    return Array.isArray(parsed) ? parsed : []
  } catch {
    return []
  }
}

function clip(text: string): string | undefined {
  const trimmed = text.trim()
  if (!trimmed) return undefined
  return cutText(trimmed, MAX_TURN_TEXT)
}

type Message = { role?: unknown; parts?: unknown; content?: unknown }

/** The text of the last message of `messages` from the user that has some, clipped. */
function lastUserText(messages: readonly Message[]): string | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i]!
    if (message?.role !== 'user') continue
    const text = partsText(message.parts ?? message.content)
    if (text.trim()) return clip(text)
  }
  return undefined
}

// How the last user message of a prompt starts, as compact JSON writes it (ours, the AI SDK's,
// most SDKs'): a raw `"` never occurs inside a JSON string (it is written `\"`), so this is the
// start of an object with that key first, in the array or deeper in it.
const USER_MESSAGE = '{"role":"user"'

/**
 * The last user message's text of a prompt's JSON, parsing only that message and the ones after
 * it: the history of a long conversation is not parsed (a 17 KB one cost 24 µs per LLM span, now
 * under 1). `[` and the text from the last `{"role":"user"` on parse as an array only when that
 * object is an item of the prompt's own array: from deeper in it the closing brackets do not
 * match, and a cut prompt does not close. Anything else (another layout, no text in those
 * messages, an error) is left to a parse of the whole prompt. The one difference from that parse:
 * a prompt that is not JSON before its last user message (yet is after it) gives its text.
 */
function lastUserTextOf(json: string): string | undefined {
  const at = json.lastIndexOf(USER_MESSAGE)
  if (at <= 0 || json.charCodeAt(0) !== 0x5b /* [ */) return undefined
  try {
    const tail = JSON.parse(`[${json.slice(at)}`)
    return Array.isArray(tail) ? lastUserText(tail) : undefined
  } catch {
    return undefined
  }
}

/** What the user asked in this call: the last user message of its prompt, else the whole input. */
export function spanInput(span: SpanData): string | undefined {
  const a = span.attributes
  // The AI SDK's own telemetry (before ai@7's `@ai-sdk/otel`) writes `ai.prompt.messages`.
  const prompt = a[ATTR.inputMessages] ?? a['ai.prompt.messages']
  const found =
    (typeof prompt === 'string' && lastUserTextOf(prompt)) || lastUserText(parseMessages(prompt))
  if (found !== undefined) return found
  for (const key of ['input.value', 'ai.prompt']) {
    const value = a[key]
    if (typeof value === 'string') return clip(value)
  }
  return undefined
}

/** What this call answered: its output text, else the text of its output messages. */
export function spanOutput(span: SpanData): string | undefined {
  const a = span.attributes
  const text = a[ATTR.outputText]
  if (typeof text === 'string' && text.trim()) return clip(text)
  const messages = parseMessages(a[ATTR.outputMessages])
  const joined = messages
    .map((m) => partsText(m?.parts ?? m?.content))
    .filter(Boolean)
    .join('\n')
  if (joined.trim()) return clip(joined)
  for (const key of ['output.value', 'ai.response.text']) {
    const value = a[key]
    if (typeof value === 'string') return clip(value)
  }
  return undefined
}

const MAX_INDEXED_VALUE = 200

/**
 * The `key=value` pairs of a span that `--attr` can find: string, whole-number and boolean span
 * attributes (and string array items), except captured content and long text, added to `into`.
 * Returns those of its resource, apart: the spans of one resource share its object (as decoded
 * from a batch), and with `resources` (kept for one batch) they share one array too, read once.
 */
export function indexedAttributes(
  span: SpanData,
  into: Set<string>,
  token: (key: string, value: string) => string,
  resources?: Map<SpanData['resource'], readonly string[]>,
): readonly string[] {
  for (const key in span.attributes) addPair(into, token, key, span.attributes[key])
  const { resource } = span
  let tokens = resources?.get(resource)
  if (tokens === undefined) {
    const own = new Set<string>()
    for (const key in resource.attributes) addPair(own, token, key, resource.attributes[key])
    addPair(own, token, 'service.name', resource.serviceName)
    tokens = [...own]
    resources?.set(resource, tokens)
  }
  return tokens
}

function addPair(
  into: Set<string>,
  token: (key: string, value: string) => string,
  key: string,
  value: unknown,
): void {
  if (CONTENT_KEYS.has(key)) return
  if (typeof value === 'string') {
    if (value.length <= MAX_INDEXED_VALUE) into.add(token(key, value))
  } else if (typeof value === 'number' && Number.isInteger(value))
    // Whole numbers only (status codes, token counts, steps): a float such as a latency or a
    // cost is never asked for exactly, and each distinct one would be a token.
    into.add(token(key, String(value)))
  else if (typeof value === 'boolean') into.add(token(key, String(value)))
  else if (Array.isArray(value))
    for (const item of value.slice(0, 20))
      if (typeof item === 'string' && item.length <= MAX_INDEXED_VALUE) into.add(token(key, item))
}
