// A local OpenAI-compatible HTTP server for tests, examples and benchmarks. Deterministic: the
// same request always gets the same reply, the same chunks and the same usage.
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'

const JSON_HEADERS = { 'content-type': 'application/json' }
const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
}

/** @param {string} text */
export function countWords(text) {
  const words = text.match(/\S+/g)
  return words ? words.length : 0
}

/** Splits a reply into chunks of one word each, keeping the whitespace after it. */
export function splitIntoChunks(text) {
  if (text === '') return []
  const chunks = text.match(/\s*\S+\s*/g)
  return chunks ?? [text]
}

function partText(part) {
  if (typeof part === 'string') return part
  if (!part || typeof part !== 'object') return ''
  if (typeof part.text === 'string') return part.text
  if (typeof part.output === 'string') return part.output
  if (typeof part.arguments === 'string') return part.arguments
  return ''
}

function contentText(content) {
  if (typeof content === 'string') return content
  if (Array.isArray(content)) return content.map(partText).join(' ')
  return ''
}

/**
 * Normalises a chat-completions or Responses API request into one shape:
 * `{ api, model, stream, includeUsage, instructions, messages: [{ role, text, toolName? }], tools: [{ name, parameters }] }`.
 */
export function normalizeRequest(api, body) {
  const messages = []
  const tools = []
  let instructions = ''
  if (api === 'chat') {
    for (const m of Array.isArray(body.messages) ? body.messages : []) {
      if (m.role === 'system' || m.role === 'developer') instructions += contentText(m.content)
      else if (m.role === 'tool')
        messages.push({ role: 'tool', text: contentText(m.content), callId: m.tool_call_id })
      else {
        let text = contentText(m.content)
        for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : [])
          text += ` ${call.function?.arguments ?? ''}`
        messages.push({ role: m.role, text })
      }
    }
    for (const t of Array.isArray(body.tools) ? body.tools : [])
      if (t?.type === 'function' && t.function?.name)
        tools.push({ name: t.function.name, parameters: t.function.parameters })
  } else {
    if (typeof body.instructions === 'string') instructions += body.instructions
    const input = typeof body.input === 'string' ? [{ role: 'user', content: body.input }] : []
    for (const item of Array.isArray(body.input) ? body.input : input) {
      if (item.type === 'function_call_output')
        messages.push({ role: 'tool', text: contentText(item.output), callId: item.call_id })
      else if (item.type === 'function_call')
        messages.push({ role: 'assistant', text: item.arguments ?? '', callId: item.call_id })
      else if (item.role === 'system' || item.role === 'developer')
        instructions += contentText(item.content)
      else if (item.role) messages.push({ role: item.role, text: contentText(item.content) })
    }
    for (const t of Array.isArray(body.tools) ? body.tools : [])
      if (t?.type === 'function' && t.name) tools.push({ name: t.name, parameters: t.parameters })
  }
  const includeUsage =
    api === 'responses' ? true : body.stream_options?.include_usage === true || !body.stream
  return {
    api,
    model: typeof body.model === 'string' ? body.model : 'mock-model',
    stream: body.stream === true,
    includeUsage,
    instructions,
    messages,
    tools,
  }
}

/** The reply the mock gives when no `reply` option is set: derived from the last user message. */
export function defaultReply(request) {
  const last = request.messages.at(-1)
  if (last?.role === 'tool') return `The tool returned ${last.text.trim()}.`
  const user = [...request.messages].reverse().find((m) => m.role === 'user')
  const text = (user?.text ?? '').replace(/\s+/g, ' ').trim()
  return text === '' ? 'Hello from the mock model.' : `You said: ${text}`
}

function exampleValue(schema, key, words) {
  if (!schema || typeof schema !== 'object') return words[0] ?? key
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0]
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type
  switch (type) {
    case 'number':
    case 'integer':
      return 42
    case 'boolean':
      return true
    case 'array':
      return [exampleValue(schema.items, key, words)]
    case 'object':
      return exampleArguments(schema, words)
    default:
      return words.at(-1) ?? key
  }
}

/** Deterministic arguments for a tool's JSON schema: strings take the prompt's last word, numbers 42. */
export function exampleArguments(schema, words = []) {
  const out = {}
  const properties = schema?.properties ?? {}
  for (const key of Object.keys(properties)) out[key] = exampleValue(properties[key], key, words)
  return out
}

// Which tool to call, if any: `[tool:NAME]` picks one, `[tool]` or the word "tool" picks the first.
function pickTool(request, options) {
  const forced = resolve(options.toolCall, request, undefined)
  if (typeof forced === 'string') return request.tools.find((t) => t.name === forced)
  const last = request.messages.at(-1)
  if (last?.role !== 'user' || request.tools.length === 0) return undefined
  const named = /\[tool:([\w.-]+)\]/.exec(last.text)
  if (named) return request.tools.find((t) => t.name === named[1]) ?? request.tools[0]
  if (/\[tool\]|\btools?\b/i.test(last.text)) return request.tools[0]
  return undefined
}

function lastUserText(request) {
  const last = request.messages.at(-1)
  return last?.role === 'user' ? last.text : ''
}

function resolve(option, request, fallback) {
  if (typeof option === 'function') return option(request) ?? fallback
  return option ?? fallback
}

const delay = (ms, signal) =>
  new Promise((resolveDelay) => {
    if (!(ms > 0) || signal.aborted) return resolveDelay()
    const timer = setTimeout(resolveDelay, ms)
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer)
        resolveDelay()
      },
      { once: true },
    )
  })

/** Builds what the mock will answer to one request: text chunks or a tool call, and usage. */
function plan(request, options) {
  const tool = pickTool(request, options)
  const words = lastUserText(request)
    .replace(/\[[^\]]*\]/g, ' ')
    .match(/[\w-]+/g)
  let toolCall
  let chunks
  if (tool) {
    const args = resolve(
      options.toolArguments,
      { ...request, tool },
      exampleArguments(tool.parameters, words ?? []),
    )
    const argumentsJson = typeof args === 'string' ? args : JSON.stringify(args)
    const id = resolve(options.toolCallId, { ...request, tool }, `call_${shortId()}`)
    toolCall = { id, name: tool.name, arguments: argumentsJson }
    // Stream the arguments in a few pieces, as OpenAI does.
    chunks = argumentsJson.match(/.{1,8}/gs) ?? [argumentsJson]
  } else {
    chunks = splitIntoChunks(String(resolve(options.reply, request, defaultReply(request))))
  }
  const promptText = [request.instructions, ...request.messages.map((m) => m.text)].join(' ')
  const inputTokens = countWords(promptText)
  const cached = Math.min(resolve(options.cachedInputTokens, request, 0), inputTokens)
  const written = Math.min(resolve(options.cacheWriteTokens, request, 0), inputTokens - cached)
  const outputTokens = chunks.length
  const usage = {
    inputTokens,
    cachedInputTokens: cached,
    cacheWriteTokens: written,
    outputTokens,
    reasoningTokens: 0,
    totalTokens: inputTokens + outputTokens,
  }
  return {
    toolCall,
    // Chat's finish_reason for a tool call: some OpenAI-compatible servers say 'stop' there.
    toolFinishReason: String(resolve(options.toolCallFinishReason, request, 'tool_calls')),
    chunks,
    text: toolCall ? '' : chunks.join(''),
    usage: resolve(options.usage, request, true) === false ? undefined : usage,
    model: String(resolve(options.responseModel, request, request.model)),
  }
}

function shortId() {
  return randomUUID().replaceAll('-', '').slice(0, 24)
}

function chatUsage(usage) {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: {
      cached_tokens: usage.cachedInputTokens,
      audio_tokens: 0,
      ...(usage.cacheWriteTokens > 0 && { cache_write_tokens: usage.cacheWriteTokens }),
    },
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens, audio_tokens: 0 },
  }
}

function responsesUsage(usage) {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: {
      cached_tokens: usage.cachedInputTokens,
      ...(usage.cacheWriteTokens > 0 && { cache_write_tokens: usage.cacheWriteTokens }),
    },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
    total_tokens: usage.totalTokens,
  }
}

function chatEvents(p, id, created) {
  const base = { id, object: 'chat.completion.chunk', created, model: p.model }
  const chunk = (delta, finishReason = null) => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  })
  const events = []
  events.push({ head: true, data: chunk({ role: 'assistant', content: '' }) })
  if (p.toolCall) {
    events.push({
      head: true,
      data: chunk({
        tool_calls: [
          {
            index: 0,
            id: p.toolCall.id,
            type: 'function',
            function: { name: p.toolCall.name, arguments: '' },
          },
        ],
      }),
    })
    for (const piece of p.chunks)
      events.push({
        delta: true,
        data: chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }),
      })
    events.push({ data: chunk({}, p.toolFinishReason) })
  } else {
    for (const piece of p.chunks) events.push({ delta: true, data: chunk({ content: piece }) })
    events.push({ data: chunk({}, 'stop') })
  }
  return events
}

function responsesOutputItem(p, messageId, status) {
  if (p.toolCall)
    return {
      type: 'function_call',
      id: messageId,
      call_id: p.toolCall.id,
      name: p.toolCall.name,
      arguments: status === 'completed' ? p.toolCall.arguments : '',
      status,
    }
  return {
    type: 'message',
    id: messageId,
    role: 'assistant',
    status,
    content: status === 'completed' ? [{ type: 'output_text', text: p.text, annotations: [] }] : [],
  }
}

function responsesObject(p, id, created, status, usage) {
  const messageId = `${p.toolCall ? 'fc' : 'msg'}_${id.slice(5)}`
  return {
    id,
    object: 'response',
    created_at: created,
    status,
    model: p.model,
    output: status === 'completed' ? [responsesOutputItem(p, messageId, 'completed')] : [],
    incomplete_details: null,
    error: null,
    usage: usage ?? null,
  }
}

function responsesEvents(p, id, created) {
  const messageId = `${p.toolCall ? 'fc' : 'msg'}_${id.slice(5)}`
  const events = []
  events.push({
    head: true,
    data: { type: 'response.created', response: responsesObject(p, id, created, 'in_progress') },
  })
  events.push({
    head: true,
    data: {
      type: 'response.output_item.added',
      output_index: 0,
      item: responsesOutputItem(p, messageId, 'in_progress'),
    },
  })
  const deltaType = p.toolCall
    ? 'response.function_call_arguments.delta'
    : 'response.output_text.delta'
  for (const piece of p.chunks)
    events.push({
      delta: true,
      data: {
        type: deltaType,
        item_id: messageId,
        output_index: 0,
        content_index: 0,
        delta: piece,
      },
    })
  if (p.toolCall)
    events.push({
      data: {
        type: 'response.function_call_arguments.done',
        item_id: messageId,
        output_index: 0,
        arguments: p.toolCall.arguments,
      },
    })
  events.push({
    data: {
      type: 'response.output_item.done',
      output_index: 0,
      item: responsesOutputItem(p, messageId, 'completed'),
    },
  })
  events.push({
    data: {
      type: 'response.completed',
      response: responsesObject(
        p,
        id,
        created,
        'completed',
        p.usage ? responsesUsage(p.usage) : undefined,
      ),
    },
  })
  for (const [i, event] of events.entries()) event.data.sequence_number = i
  return events
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body)
  res.writeHead(status, { ...JSON_HEADERS, 'content-length': Buffer.byteLength(text) })
  res.end(text)
}

function errorBody(message, type = 'server_error', code = 'mock_failure') {
  return { error: { message, type, param: null, code } }
}

/**
 * Starts a local OpenAI-compatible server on 127.0.0.1. See README.md for the options.
 *
 * @example
 * const server = await startMockOpenAI({ firstChunkDelayMs: 50 })
 * const openai = createOpenAI({ baseURL: server.url, apiKey: 'test' })
 * // …
 * await server.close()
 */
export async function startMockOpenAI(options = {}) {
  const {
    port = 0,
    host = '127.0.0.1',
    firstChunkDelayMs = 0,
    chunkDelayMs = 0,
    onRequest,
  } = options
  for (const [name, value] of Object.entries({ port, firstChunkDelayMs, chunkDelayMs }))
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
      throw new TypeError(`startMockOpenAI: ${name} must be a number ≥ 0, got ${String(value)}`)
  const requests = []
  const calls = []
  const open = new Set()

  const server = createServer(async (req, res) => {
    const controller = new AbortController()
    open.add(controller)
    // The client went away before the reply was complete.
    res.on('close', () => {
      open.delete(controller)
      if (!res.writableFinished) controller.abort()
    })
    try {
      await handle(req, res, controller.signal)
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, errorBody(`mock-openai crashed: ${error}`))
      else res.destroy()
    }
  })

  async function handle(req, res, signal) {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '')
    const api = path.endsWith('/chat/completions')
      ? 'chat'
      : path.endsWith('/responses')
        ? 'responses'
        : undefined
    if (req.method !== 'POST' || !api) {
      sendJson(
        res,
        404,
        errorBody(
          `mock-openai: no route ${req.method} ${req.url}`,
          'invalid_request_error',
          'not_found',
        ),
      )
      return
    }
    const raw = []
    for await (const piece of req) raw.push(piece)
    let body
    try {
      body = JSON.parse(Buffer.concat(raw).toString('utf8'))
    } catch {
      sendJson(
        res,
        400,
        errorBody('mock-openai: body is not JSON', 'invalid_request_error', 'bad_json'),
      )
      return
    }
    requests.push(body)
    const request = normalizeRequest(api, body)
    const call = { api, path, body, stream: request.stream, aborted: false, status: 200 }
    calls.push(call)
    signal.addEventListener('abort', () => (call.aborted = true), { once: true })
    onRequest?.(call)

    const failure = /\[fail(?::(\d{3}))?\]/.exec(lastUserText(request))
    const chosen = resolve(options.status, request, undefined)
    if (failure || (typeof chosen === 'number' && chosen !== 200)) {
      call.status =
        typeof chosen === 'number' && chosen !== 200
          ? chosen
          : failure[1]
            ? Number(failure[1])
            : 500
      if (call.status === 429) res.setHeader('retry-after-ms', '10')
      await delay(firstChunkDelayMs, signal)
      sendJson(
        res,
        call.status,
        call.status === 429
          ? errorBody('Rate limit reached (mock).', 'requests', 'rate_limit_exceeded')
          : errorBody('The mock server failed as asked by [fail].'),
      )
      return
    }

    const p = plan(request, options)
    call.text = p.text
    call.toolCall = p.toolCall
    call.usage = p.usage
    call.model = p.model
    const id = api === 'chat' ? `chatcmpl-${shortId()}` : `resp_${shortId()}`
    call.responseId = id
    const created = Math.floor(Date.now() / 1000)
    const failMidStream =
      resolve(options.failStream, request, false) === true ||
      /\[fail-stream\]/.test(lastUserText(request))

    if (!request.stream) {
      await delay(firstChunkDelayMs + chunkDelayMs * Math.max(0, p.chunks.length - 1), signal)
      if (signal.aborted) return
      if (api === 'chat') {
        const message = p.toolCall
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [
                {
                  id: p.toolCall.id,
                  type: 'function',
                  function: { name: p.toolCall.name, arguments: p.toolCall.arguments },
                },
              ],
            }
          : { role: 'assistant', content: p.text, refusal: null }
        sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model: p.model,
          choices: [
            {
              index: 0,
              message,
              logprobs: null,
              finish_reason: p.toolCall ? p.toolFinishReason : 'stop',
            },
          ],
          ...(p.usage ? { usage: chatUsage(p.usage) } : {}),
        })
      } else {
        sendJson(
          res,
          200,
          responsesObject(
            p,
            id,
            created,
            'completed',
            p.usage ? responsesUsage(p.usage) : undefined,
          ),
        )
      }
      return
    }

    res.writeHead(200, SSE_HEADERS)
    res.flushHeaders()
    const events = api === 'chat' ? chatEvents(p, id, created) : responsesEvents(p, id, created)
    if (api === 'chat' && p.usage && request.includeUsage)
      events.push({
        data: {
          id,
          object: 'chat.completion.chunk',
          created,
          model: p.model,
          choices: [],
          usage: chatUsage(p.usage),
        },
      })
    let deltas = 0
    const half = Math.ceil(p.chunks.length / 2)
    for (const event of events) {
      if (signal.aborted) return
      if (event.delta) {
        await delay(deltas === 0 ? firstChunkDelayMs : chunkDelayMs, signal)
        if (signal.aborted) return
        if (failMidStream && deltas === half) {
          call.status = 'stream-error'
          const error =
            api === 'chat'
              ? errorBody('The mock stream failed as asked by [fail-stream].')
              : {
                  type: 'error',
                  sequence_number: deltas + 2,
                  code: 'mock_failure',
                  message: 'The mock stream failed as asked by [fail-stream].',
                  param: null,
                }
          res.write(`data: ${JSON.stringify(error)}\n\n`)
          res.end()
          return
        }
        deltas++
      }
      const prefix = api === 'responses' ? `event: ${event.data.type}\n` : ''
      res.write(`${prefix}data: ${JSON.stringify(event.data)}\n\n`)
    }
    if (api === 'chat') res.write('data: [DONE]\n\n')
    res.end()
  }

  await new Promise((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  const address = server.address()
  const origin = `http://${host}:${address.port}`
  return {
    url: `${origin}/v1`,
    origin,
    port: address.port,
    requests,
    calls,
    reset() {
      requests.length = 0
      calls.length = 0
    },
    close() {
      for (const controller of open) controller.abort()
      server.closeAllConnections?.()
      return new Promise((resolveClose) => server.close(() => resolveClose()))
    },
  }
}
