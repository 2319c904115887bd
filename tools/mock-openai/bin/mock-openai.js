#!/usr/bin/env node
// mock-openai [--port 0] [--host 127.0.0.1] [--first-chunk-delay MS] [--chunk-delay MS] [--reply TEXT]
import { parseArgs } from 'node:util'
import { startMockOpenAI } from '../src/index.js'

const usage =
  'usage: mock-openai [--port 0] [--host 127.0.0.1] [--first-chunk-delay MS] [--chunk-delay MS] [--reply TEXT] [--no-usage]'

function number(value, flag) {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0) {
    console.error(`mock-openai: ${flag} must be a number ≥ 0, got "${value}"\n${usage}`)
    process.exit(2)
  }
  return n
}

let values
try {
  ;({ values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'first-chunk-delay': { type: 'string' },
      'chunk-delay': { type: 'string' },
      reply: { type: 'string' },
      'no-usage': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }))
} catch (error) {
  console.error(`mock-openai: ${error.message}\n${usage}`)
  process.exit(2)
}
if (values.help) {
  console.log(usage)
  process.exit(0)
}

const server = await startMockOpenAI({
  port: number(values.port, '--port'),
  host: values.host,
  firstChunkDelayMs: number(values['first-chunk-delay'], '--first-chunk-delay') ?? 0,
  chunkDelayMs: number(values['chunk-delay'], '--chunk-delay') ?? 0,
  reply: values.reply,
  usage: !values['no-usage'],
})
console.log(server.url)

const stop = () => server.close().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
