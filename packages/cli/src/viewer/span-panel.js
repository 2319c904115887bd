// @ts-check
// The span panel of the trace page: facts, LLM call, tokens, prompt and output, tool arguments
// and result, one stack per error, attributes, events, resource.
import { api, breakableKey, cost, duration, h, number, showError, ttftOf } from './dom.js'
import { selectSpan } from './trace.js'

/** @typedef {import('./dom.js').Trace} Trace */
/** @typedef {import('./dom.js').Span} Span */
/** @typedef {import('./dom.js').WaterfallRow} WaterfallRow */

/** Shows a span; if its data defeats the layout, its raw JSON instead of a broken page. @param {HTMLElement} panel @param {Span} span @param {Trace} trace @param {{ spans: Span[] }} detail */
export function renderSpan(panel, span, trace, detail) {
  panel.dataset.spanId = span.spanId
  show(panel, span, trace, detail)
  // The trace answer cuts long prompts and outputs of big spans: the span shown is fetched whole.
  if (/** @type {any} */ (span).truncated !== true) return
  panel.prepend(h('p', { class: 'muted', id: 'span-loading' }, 'loading the whole span…'))
  api(`/api/traces/${encodeURIComponent(trace.traceId)}/spans/${encodeURIComponent(span.spanId)}`)
    .then((/** @type {Span} */ full) => {
      const at = detail.spans.indexOf(span)
      if (at >= 0) detail.spans[at] = full
      if (panel.dataset.spanId === span.spanId) show(panel, full, trace, detail)
    })
    .catch(showError)
}

/** @param {HTMLElement} panel @param {Span} span @param {Trace} trace @param {{ spans: Span[] }} detail */
function show(panel, span, trace, detail) {
  try {
    renderSpanDetail(panel, span, trace, detail)
  } catch (error) {
    panel.replaceChildren(
      h('h2', { id: 'span-title' }, String(span?.name)),
      h('p', { class: 'muted' }, `shown raw: ${String(/** @type {Error} */ (error)?.message)}`),
      h('pre', null, JSON.stringify(span, null, 2)),
    )
  }
}

/** @param {unknown} value */
function pretty(value) {
  if (typeof value !== 'string') return JSON.stringify(value, null, 2)
  try {
    const parsed = JSON.parse(value)
    return typeof parsed === 'object' && parsed !== null ? JSON.stringify(parsed, null, 2) : value
  } catch {
    return value
  }
}

/** @param {Array<[string, any]>} entries */
function facts(entries) {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null && v !== '')
  if (shown.length === 0) return null
  return h(
    'dl',
    { class: 'grid' },
    shown.map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))]),
  )
}

/**
 * The text, reasoning and tool calls of an LLM span's `gen_ai.output.messages` (SDKs before
 * 2026-12 also sent them as `tokentrail.output.text`, `.reasoning.text` and `tokentrail.tool_calls`).
 * @param {Record<string, unknown>} a
 */
function outputOf(a) {
  /** @type {any[]} */
  let parts = []
  try {
    const parsed = JSON.parse(String(a['gen_ai.output.messages'] ?? '[]'))
    if (Array.isArray(parsed))
      parts = parsed.flatMap((message) => (Array.isArray(message?.parts) ? message.parts : []))
  } catch {}
  /** @param {string} type */
  const join = (type) => {
    const texts = parts
      .filter((part) => part?.type === type)
      .map((part) => String(part.content ?? ''))
    return texts.length > 0 ? texts.join('') : undefined
  }
  const calls = parts
    .filter((part) => part?.type === 'tool_call')
    .map((part) => ({ id: part.id, name: part.name, arguments: part.arguments }))
  return {
    text: a['tokentrail.output.text'] ?? join('text'),
    reasoning: a['tokentrail.reasoning.text'] ?? join('reasoning'),
    toolCalls: a['tokentrail.tool_calls'] ?? (calls.length > 0 ? JSON.stringify(calls) : undefined),
  }
}

/** Renders GenAI messages (`{ role, parts }[]` JSON) or falls back to the raw text. @param {unknown} value */
function messages(value) {
  if (typeof value !== 'string') return null
  let parsed
  try {
    parsed = JSON.parse(value)
  } catch {
    return h('pre', { class: 'msg' }, value)
  }
  if (!Array.isArray(parsed)) return h('pre', { class: 'msg' }, pretty(value))
  return parsed.map((message) => {
    const parts = Array.isArray(message?.parts) ? message.parts : [message?.content ?? message]
    return h(
      'div',
      { class: 'msg' },
      h('div', { class: 'role' }, String(message?.role ?? 'message')),
      parts.map((/** @type {any} */ part) => {
        if (typeof part === 'string') return h('pre', null, part)
        if (part?.type === 'text') return h('pre', null, String(part.content ?? ''))
        if (part?.type === 'tool_call')
          return h('pre', null, `→ ${part.name}(${pretty(part.arguments ?? '')})`)
        if (part?.type === 'tool_call_response')
          return h('pre', null, `← ${pretty(part.response ?? part.result ?? '')}`)
        return h('pre', null, pretty(part))
      }),
    )
  })
}

/**
 * The span an error was first recorded on, when `span` only rethrew it: a descendant failing with
 * the same stack.
 * @param {Span} span @param {{ spans: Span[] }} detail
 */
function rethrownFrom(span, detail) {
  const stack = span.error?.stack
  if (!stack) return undefined
  const byId = new Map(detail.spans.map((s) => [s.spanId, s]))
  /** @type {Span | undefined} */
  let found
  for (const other of detail.spans) {
    if (other === span || other.error?.stack !== stack) continue
    for (let p = byId.get(other.parentSpanId ?? ''); p; p = byId.get(p.parentSpanId ?? ''))
      if (p === span) found = other
  }
  return found
}

/** A stack without its first line when that line repeats the title. @param {string} stack @param {string} title */
function stackBody(stack, title) {
  const lines = stack.split('\n')
  return lines[0]?.trim() === title.trim() ? lines.slice(1).join('\n') : stack
}

/** An attribute value for people: numbers formatted, long text in a block. @param {any} value */
function attributeValue(value) {
  if (typeof value === 'number') return h('span', { title: String(value) }, number(value))
  if (typeof value === 'string' && value.length > 120) return h('pre', null, value)
  if (Array.isArray(value)) return JSON.stringify(value)
  return String(value)
}

/**
 * What the sender left out at its span limit (OTLP droppedAttributesCount / droppedEventsCount),
 * or null when nothing was. @param {unknown} count @param {string} what @param {string} of
 * @param {string} [id]
 */
function droppedNote(count, what, of, id) {
  if (typeof count !== 'number' || !(count > 0)) return null
  return h(
    'p',
    { class: 'muted dropped', ...(id ? { id } : {}) },
    `${number(count)} ${what}${count === 1 ? '' : 's'} dropped (limit): the ${of} reached its SDK's limit`,
  )
}

/** @param {HTMLElement} panel @param {Span} span @param {Trace} trace @param {{ spans: Span[] }} detail */
function renderSpanDetail(panel, span, trace, detail) {
  const a = span.attributes ?? {}
  const ms = span.endTime - span.startTime
  const fmt = (/** @type {any} */ v) => (typeof v === 'number' ? number(v) : v)
  /** @type {any[]} */
  const body = [
    h('h2', { id: 'span-title' }, h('span', { class: `kind ${span.kind}` }, span.kind), span.name),
    facts([
      ['status', span.status],
      ['duration', duration(ms)],
      ['starts at', `+${duration(span.startTime - trace.startTime)}`],
      ['span id', span.spanId],
      ['service', span.resource?.serviceName],
      // The library that made the span (OTLP instrumentation scope), as stored since 2026-12.
      [
        'instrumentation scope',
        span.scope
          ? `${span.scope.name}${span.scope.version ? ` ${span.scope.version}` : ''}`
          : undefined,
      ],
    ]),
  ]
  if (span.error) {
    const title = `${span.error.type}: ${span.error.message}`
    const origin = rethrownFrom(span, detail)
    body.push(
      h(
        'div',
        { class: 'error-box', id: 'span-error' },
        h('div', { class: 'title' }, title),
        // One stack per error: a span that only rethrew points at where it started.
        origin
          ? h(
              'p',
              { class: 'muted', id: 'rethrown' },
              'rethrown from ',
              h(
                'a',
                {
                  href: `#/trace/${trace.traceId}`,
                  onclick: (/** @type {Event} */ event) => {
                    event.preventDefault()
                    selectSpan(origin.spanId)
                  },
                },
                origin.name,
              ),
              ' (stack there)',
            )
          : span.error.stack
            ? h('pre', { class: 'stack' }, stackBody(span.error.stack, title))
            : null,
      ),
    )
  }
  if (span.kind === 'llm') {
    const input = a['gen_ai.usage.input_tokens']
    const output = a['gen_ai.usage.output_tokens']
    const ttft = ttftOf(a)
    let perSecond = a['tokentrail.output_tokens_per_second']
    const ttftMs = typeof ttft === 'number' ? ttft : 0
    if (perSecond === undefined && typeof output === 'number' && ms > ttftMs)
      perSecond = output / ((ms - ttftMs) / 1000)
    body.push(
      h('h3', null, 'LLM call'),
      facts([
        ['model', a['gen_ai.request.model']],
        [
          'response model',
          a['gen_ai.response.model'] !== a['gen_ai.request.model']
            ? a['gen_ai.response.model']
            : undefined,
        ],
        ['provider', a['gen_ai.provider.name']],
        [
          'finish reason',
          [].concat(a['gen_ai.response.finish_reasons'] ?? []).join(', ') ||
            a['tokentrail.finish_reason.raw'],
        ],
        ['time to first token', typeof ttft === 'number' ? duration(ttft) : undefined],
        ['tokens / s', typeof perSecond === 'number' ? number(perSecond) : perSecond],
        [
          'cost',
          a['tokentrail.cost.usd'] !== undefined ? cost(a['tokentrail.cost.usd']) : undefined,
        ],
        ['temperature', a['gen_ai.request.temperature']],
        ['max tokens', a['gen_ai.request.max_tokens']],
      ]),
      h('h3', null, 'Tokens'),
      facts([
        ['input', fmt(input)],
        ['cache read', fmt(a['gen_ai.usage.cache_read.input_tokens'])],
        ['cache write', fmt(a['gen_ai.usage.cache_creation.input_tokens'])],
        ['output', fmt(output)],
        ['reasoning', fmt(a['gen_ai.usage.reasoning.output_tokens'])],
        // Older SDKs sent the total; it is input + output.
        [
          'total',
          fmt(
            a['tokentrail.usage.total_tokens'] ??
              (typeof input === 'number' && typeof output === 'number'
                ? input + output
                : undefined),
          ),
        ],
      ]) ?? h('p', { class: 'muted' }, 'no usage reported'),
    )
    if (a['gen_ai.system_instructions'] !== undefined)
      body.push(h('h3', null, 'System'), messages(a['gen_ai.system_instructions']))
    if (a['gen_ai.input.messages'] !== undefined)
      body.push(
        h('h3', null, 'Prompt'),
        h('div', { id: 'prompt' }, messages(a['gen_ai.input.messages'])),
      )
    const out = outputOf(a)
    if (out.reasoning !== undefined)
      body.push(h('h3', null, 'Reasoning'), h('pre', null, String(out.reasoning)))
    if (out.text !== undefined)
      body.push(h('h3', null, 'Output'), h('pre', { id: 'output' }, String(out.text)))
    else if (a['gen_ai.output.messages'] !== undefined)
      body.push(
        h('h3', null, 'Output'),
        h('div', { id: 'output' }, messages(a['gen_ai.output.messages'])),
      )
    if (out.toolCalls !== undefined)
      body.push(h('h3', null, 'Tool calls'), h('pre', null, pretty(out.toolCalls)))
  }
  if (span.kind === 'tool' || a['gen_ai.tool.name'] !== undefined) {
    // The GenAI conventions' names, else the AI SDK's own (`ai.toolCall.*`: ai@5, ai@6).
    const args = a['gen_ai.tool.call.arguments'] ?? a['ai.toolCall.args']
    const result = a['gen_ai.tool.call.result'] ?? a['ai.toolCall.result']
    body.push(
      h('h3', null, 'Tool'),
      facts([
        ['tool', a['gen_ai.tool.name'] ?? a['ai.toolCall.name']],
        ['call id', a['gen_ai.tool.call.id'] ?? a['ai.toolCall.id']],
      ]),
    )
    if (args !== undefined)
      body.push(h('h3', null, 'Arguments'), h('pre', { id: 'tool-arguments' }, pretty(args)))
    if (result !== undefined)
      body.push(h('h3', null, 'Result'), h('pre', { id: 'tool-result' }, pretty(result)))
  }
  const keys = Object.keys(a).sort()
  body.push(
    h('h3', null, `Attributes (${keys.length})`),
    droppedNote(span.droppedAttributesCount, 'attribute', 'span', 'attributes-dropped'),
    h(
      'table',
      { class: 'attrs' },
      h(
        'tbody',
        null,
        keys.map((k) =>
          h(
            'tr',
            null,
            h('td', { class: 'mono key' }, breakableKey(k)),
            h('td', null, attributeValue(a[k])),
          ),
        ),
      ),
    ),
  )
  const events = Array.isArray(span.events) ? span.events : []
  const eventsDropped = droppedNote(span.droppedEventsCount, 'event', 'span', 'events-dropped')
  if (events.length || eventsDropped)
    body.push(
      h('h3', null, `Events (${events.length})`),
      eventsDropped,
      events.map((e) =>
        h(
          'div',
          { class: 'msg' },
          h('div', { class: 'role' }, `+${duration(e.time - span.startTime)} ${e.name}`),
          e.attributes ? h('pre', null, JSON.stringify(e.attributes, null, 2)) : null,
          droppedNote(e.droppedAttributesCount, 'attribute', 'event'),
        ),
      ),
    )
  // Links to other spans (OTLP span links: a batch job's inputs, a message's producer), each a
  // link to its trace when its id is one (the trace page says so when it was not received).
  const links = Array.isArray(span.links) ? span.links : []
  const linksDropped = droppedNote(span.droppedLinksCount, 'link', 'span', 'links-dropped')
  if (links.length || linksDropped)
    body.push(
      h('h3', null, `Links (${links.length})`),
      linksDropped,
      h(
        'ul',
        { id: 'span-links', class: 'links' },
        links.map((link) => {
          const traceId = String(link?.traceId ?? '')
          const spanId = String(link?.spanId ?? '')
          const label = !traceId
            ? 'no span context'
            : `${traceId === span.traceId ? 'this trace' : `trace ${traceId}`} · span ${spanId}`
          return h(
            'li',
            null,
            /^[0-9a-f]{32}$/.test(traceId)
              ? h('a', { class: 'mono', href: `#/trace/${traceId}` }, label)
              : h('span', { class: 'mono' }, label),
            link?.attributes ? h('pre', null, JSON.stringify(link.attributes, null, 2)) : null,
            droppedNote(link?.droppedAttributesCount, 'attribute', 'link'),
          )
        }),
      ),
    )
  const resourceKeys = Object.keys(span.resource?.attributes ?? {})
  if (resourceKeys.length)
    body.push(
      h('h3', null, 'Resource'),
      h('pre', null, JSON.stringify(span.resource.attributes, null, 2)),
    )
  panel.replaceChildren(...body.flat().filter(Boolean))
}
