// @ts-check
// The users page: who used the app, how much, and how often it failed for them.
import { api, cost, dateTime, h, number, preview } from './dom.js'

/** @typedef {{ userId: string, traces: number, sessions: number, errors: number, totalTokens: number, costUsd: number, firstSeen: number, lastSeen: number }} User */

/** @param {HTMLElement} app */
export async function renderUsers(app) {
  /** @type {{ users: User[] }} */
  const { users } = await api('/api/users?limit=500')
  app.replaceChildren(
    h(
      'div',
      { class: 'trace-head' },
      h('h1', null, 'Users'),
      h('span', { class: 'muted' }, 'by user.id, most recently active first'),
    ),
    users.length
      ? h(
          'table',
          { id: 'user-list', class: 'nav-list' },
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              [
                'User',
                'Traces',
                'Sessions',
                'Errors',
                'Tokens',
                'Cost',
                'First seen',
                'Last seen',
                '',
              ].map((c, i) => h('th', { class: i >= 1 && i <= 5 ? 'num' : undefined }, c)),
            ),
          ),
          h(
            'tbody',
            null,
            users.map((u) => {
              const traces = `#/?user=${encodeURIComponent(u.userId)}`
              return h(
                'tr',
                {
                  class: 'trace-row user-row',
                  'data-href': traces,
                  onclick: (/** @type {MouseEvent} */ event) => {
                    if (!(/** @type {HTMLElement} */ (event.target).closest('a')))
                      location.hash = traces
                  },
                },
                h('td', null, h('a', { href: traces }, preview(u.userId, 60))),
                h('td', { class: 'num' }, number(u.traces)),
                h('td', { class: 'num' }, number(u.sessions)),
                h('td', { class: `num${u.errors ? ' error-text' : ''}` }, number(u.errors)),
                h('td', { class: 'num' }, u.totalTokens ? number(u.totalTokens) : '–'),
                h('td', { class: 'num' }, cost(u.costUsd)),
                h('td', { class: 'mono' }, dateTime(u.firstSeen)),
                h('td', { class: 'mono' }, dateTime(u.lastSeen)),
                h(
                  'td',
                  null,
                  u.sessions
                    ? h(
                        'a',
                        { href: `#/sessions?user=${encodeURIComponent(u.userId)}` },
                        'sessions',
                      )
                    : null,
                ),
              )
            }),
          ),
        )
      : h(
          'div',
          { class: 'empty', id: 'users-empty' },
          'No users yet. Record ',
          h('code', null, 'user.id'),
          ' on a span (withTraceMetadata({ userId }) in @tokentrail/ai-sdk) to see them here.',
        ),
  )
}
