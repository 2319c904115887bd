'use client'

import { useChat } from '@ai-sdk/react'
import { DefaultChatTransport, getToolName, isToolUIPart } from 'ai'
import { type FormEvent, useState } from 'react'

export default function ChatPage() {
  const [traceIds, setTraceIds] = useState<string[]>([])
  const [transport] = useState(
    () =>
      new DefaultChatTransport({
        api: '/api/chat',
        // The route sends its trace id back, so a reply can be matched with its trace.
        fetch: async (input, init) => {
          const response = await fetch(input, init)
          const traceId = response.headers.get('x-trace-id')
          if (traceId) setTraceIds((ids) => [...ids, traceId])
          return response
        },
      }),
  )
  const { messages, sendMessage, status, stop } = useChat({ transport })
  const [input, setInput] = useState('')
  const busy = status === 'submitted' || status === 'streaming'

  function submit(event: FormEvent) {
    event.preventDefault()
    if (!input.trim() || busy) return
    void sendMessage({ text: input })
    setInput('')
  }

  let assistantTurn = 0
  return (
    <main style={{ maxWidth: 680, margin: '40px auto', padding: '0 16px' }}>
      <h1 style={{ fontSize: 22 }}>Tokentrail chat</h1>
      <p style={{ color: '#666', fontSize: 14 }}>
        Every request is a trace: the route span, one span per model call, one per tool call. Ask
        about the weather to call the tool.
      </p>
      <ul style={{ listStyle: 'none', padding: 0 }} data-testid="messages">
        {messages.map((message) => {
          const traceId = message.role === 'assistant' ? traceIds[assistantTurn++] : undefined
          return (
            <li key={message.id} style={{ margin: '12px 0' }}>
              <strong>{message.role === 'user' ? 'You' : 'Assistant'}</strong>
              {message.parts.map((part, i) => {
                const key = `${message.id}:${i}`
                if (part.type === 'text') return <p key={key}>{part.text}</p>
                if (isToolUIPart(part))
                  return (
                    <pre key={key} style={{ background: '#eee', padding: 8, fontSize: 12 }}>
                      {getToolName(part)}{' '}
                      {JSON.stringify(part.state === 'output-available' ? part.output : part.input)}
                    </pre>
                  )
                return null
              })}
              {traceId && (
                <small style={{ color: '#999' }}>
                  trace <code>{traceId}</code>
                </small>
              )}
            </li>
          )
        })}
      </ul>
      <form onSubmit={submit} style={{ display: 'flex', gap: 8 }}>
        <input
          value={input}
          onChange={(event) => setInput(event.target.value)}
          placeholder="Say something, or ask about the weather in Paris"
          style={{ flex: 1, padding: 8 }}
          aria-label="Message"
        />
        {busy ? (
          <button type="button" onClick={() => stop()}>
            Stop
          </button>
        ) : (
          <button type="submit">Send</button>
        )}
      </form>
    </main>
  )
}
