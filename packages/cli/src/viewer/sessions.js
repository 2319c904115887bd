// @ts-check
// The sessions list and one session as a chat: each turn's input, tool calls and answer, with
// its latency, tokens and cost and a link to its trace.
import {
  api,
  cost,
  dateTime,
  duration,
  h,
  hashParams,
  number,
  preview,
  statusBadge,
} from './dom.js'

/** @typedef {{ sessionId: string, userId?: string, turns: number, errors: number, totalTokens: number, costUsd: number, startTime: number, endTime: number, firstInput?: string }} Session */
/** @typedef {{ spanId: string, tool: string, status: string, durationMs: number, arguments?: string, result?: string, error?: string }} ToolCall */
/** @typedef {{ trace: any, llmCalls: number, toolCalls: ToolCall[] }} Turn */

/** @param {HTMLElement} app */
export async function renderSessions(app) {
  const params = hashParams()
  const user = params.get('user') ?? ''
  const query = new URLSearchParams({ limit: '200' })
  if (user) query.set('user', user)
  /** @type {{ sessions: Session[] }} */
  const { sessions } = await api(`/api/sessions?${query}`)
  app.replaceChildren(
    h(
      'div',
      { class: 'trace-head' },
      h('h1', null, 'Sessions'),
      user
        ? h(
            'span',
            { class: 'muted', id: 'sessions-user' },
            'of user ',
            h('b', null, user),
            ' · ',
            h('a', { href: '#/sessions' }, 'all sessions'),
          )
        : h('span', { class: 'muted' }, 'conversations by session.id / gen_ai.conversation.id'),
    ),
    sessions.length
      ? h(
          'table',
          { id: 'session-list', class: 'nav-list' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                'Last active',
                'Session',
                'User',
                'First message',
                'Turns',
                'Errors',
                'Tokens',
                'Cost',
              ].map((c, i) => h('th', { class: i >= 4 ? 'num' : undefined }, c)),
            ),
          ),
          h(
            'tbody',
            null,
            sessions.map((s) =>
              h(
                'tr',
                {
                  class: 'trace-row session-row',
                  'data-href': `#/session/${encodeURIComponent(s.sessionId)}`,
                  onclick: () => {
                    location.hash = `#/session/${encodeURIComponent(s.sessionId)}`
                  },
                },
                h('td', { class: 'mono' }, dateTime(s.endTime)),
                h(
                  'td',
                  { class: 'mono' },
                  h(
                    'a',
                    { href: `#/session/${encodeURIComponent(s.sessionId)}` },
                    preview(s.sessionId, 40),
                  ),
                ),
                h('td', null, s.userId ? preview(s.userId, 30) : '–'),
                h('td', { class: 'preview' }, preview(s.firstInput, 90)),
                h('td', { class: 'num' }, String(s.turns)),
                h('td', { class: `num${s.errors ? ' error-text' : ''}` }, String(s.errors)),
                h('td', { class: 'num' }, s.totalTokens ? number(s.totalTokens) : '–'),
                h('td', { class: 'num' }, cost(s.costUsd)),
              ),
            ),
          ),
        )
      : h(
          'div',
          { class: 'empty', id: 'sessions-empty' },
          user ? `No sessions for user ${user}.` : 'No sessions yet. Record ',
          user ? null : h('code', null, 'session.id'),
          user
            ? null
            : ' on a span (withTraceMetadata({ sessionId }) in @tokentrail/ai-sdk) to group turns.',
        ),
  )
}

/** @param {ToolCall} call */
function toolCall(call) {
  return h(
    'details',
    { class: `tool-call ${call.status}` },
    h(
      'summary',
      null,
      h('span', { class: 'kind tool' }, 'tool'),
      call.tool,
      h('span', { class: 'muted' }, ` ${duration(call.durationMs)}`),
      call.error ? h('span', { class: 'error-text' }, ` ✗ ${preview(call.error, 80)}`) : null,
    ),
    call.arguments
      ? [h('div', { class: 'role' }, 'arguments'), h('pre', null, call.arguments)]
      : null,
    call.result ? [h('div', { class: 'role' }, 'result'), h('pre', null, call.result)] : null,
    call.error ? [h('div', { class: 'role' }, 'error'), h('pre', null, call.error)] : null,
  )
}

/** @param {Turn} turn @param {number} index */
function turnView(turn, index) {
  const t = turn.trace
  return h(
    'section',
    { class: 'turn', 'data-trace-id': t.traceId },
    h(
      'div',
      { class: 'turn-meta' },
      h('b', null, `Turn ${index + 1}`),
      h('span', { class: 'mono' }, dateTime(t.startTime)),
      statusBadge(t.status),
      h('span', null, duration(t.durationMs)),
      t.ttftMs !== undefined ? h('span', null, `TTFT ${duration(t.ttftMs)}`) : null,
      // A turn that failed or was cut before any usage knows no tokens: not "0 → 0", as the list
      // and `tokentrail trace` leave them out.
      t.totalTokens
        ? h('span', null, `${number(t.inputTokens)} → ${number(t.outputTokens)} tokens`)
        : null,
      h('span', null, cost(t.costUsd)),
      t.model ? h('span', { class: 'muted' }, t.model) : null,
      turn.llmCalls > 1 ? h('span', { class: 'muted' }, `${turn.llmCalls} LLM calls`) : null,
      h('a', { href: `#/trace/${t.traceId}`, class: 'turn-link' }, 'trace →'),
    ),
    t.input
      ? h(
          'div',
          { class: 'bubble user' },
          h('div', { class: 'role' }, 'user'),
          h('pre', null, t.input),
        )
      : null,
    turn.toolCalls.length ? h('div', { class: 'tools' }, turn.toolCalls.map(toolCall)) : null,
    t.output
      ? h(
          'div',
          { class: 'bubble assistant' },
          h('div', { class: 'role' }, 'assistant'),
          h('pre', null, t.output),
        )
      : null,
    t.status === 'error' && t.errorMessage
      ? h('div', { class: 'error-box' }, h('div', { class: 'title' }, t.errorMessage))
      : null,
    !t.input && !t.output && t.status !== 'error'
      ? h(
          'p',
          { class: 'muted' },
          'No prompt or output recorded (recordInputs / recordOutputs off).',
        )
      : null,
  )
}

/** @param {HTMLElement} app @param {string} id */
export async function renderSession(app, id) {
  /** @type {{ session: Session, turns: Turn[] }} */
  const detail = await api(`/api/sessions/${encodeURIComponent(id)}`)
  const s = detail.session
  app.replaceChildren(
    h(
      'div',
      { class: 'trace-head' },
      h('a', { href: '#/sessions' }, '← sessions'),
      h('h1', { id: 'session-title' }, `Session ${preview(s.sessionId, 60)}`),
      h(
        'div',
        { class: 'facts' },
        s.userId
          ? h(
              'span',
              null,
              'user ',
              h(
                'a',
                { href: `#/sessions?user=${encodeURIComponent(s.userId)}` },
                h('b', null, s.userId),
              ),
            )
          : null,
        h('span', null, 'turns ', h('b', null, String(s.turns))),
        h('span', null, 'from ', h('b', null, dateTime(s.startTime))),
        h('span', null, 'over ', h('b', null, duration(s.endTime - s.startTime))),
        h('span', null, 'tokens ', h('b', null, number(s.totalTokens))),
        h('span', null, 'cost ', h('b', null, cost(s.costUsd))),
        s.errors ? h('span', { class: 'error-text' }, `${s.errors} failed`) : null,
      ),
    ),
    h('div', { class: 'chat', id: 'chat' }, detail.turns.map(turnView)),
  )
}
