// What a user types to filter, in another case than the app wrote it: names (status, model,
// service) match in any case, through the built CLI against the built `tokentrail dev`, with
// traces from core's real otlpExporter; ids and values (user, attributes) stay exact.
import { execFile, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { ATTR, createTracer, otlpExporter } from '@tokentrail/core'
import { describe, expect, it } from 'vitest'
import { onCleanup, startBuiltDev as startDev } from './helpers.js'

const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

async function list(url: string, ...args: string[]): Promise<string[]> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [bin, 'list', ...args, '--json', '--url', url],
    { env: { ...process.env, NO_COLOR: '1' } },
  )
  return (JSON.parse(stdout) as { traces: { rootName: string }[] }).traces.map((t) => t.rootName)
}

/** One trace from service `Chat-API`: a root and an LLM call to `GPT-4o-Mini` (the second call's model `Claude-Haiku`). */
async function send(url: string, name: string, fail = false) {
  const tracer = createTracer({
    serviceName: 'Chat-API',
    exporters: [otlpExporter({ url: `${url}/v1/traces` })],
  })
  await tracer
    .withSpan(name, { kind: 'http', attributes: { 'user.id': 'User-Bob' } }, async () => {
      for (const model of ['GPT-4o-Mini', 'Claude-Haiku'])
        await tracer.withSpan(
          `chat ${model}`,
          { kind: 'llm', attributes: { [ATTR.operationName]: 'chat', [ATTR.requestModel]: model } },
          async () => {},
        )
      if (fail) throw new Error('upstream failed')
    })
    .catch(() => {})
  await tracer.flush()
}

describe('filters in another case', () => {
  it('--status, --model and --service match in any case; --user and --attr exactly', async () => {
    const url = await startDev()
    await send(url, 'POST /chat ok')
    await send(url, 'POST /chat failed', true)

    for (const model of ['gpt-4o-mini', 'GPT-4O-MINI', 'claude-haiku'])
      expect((await list(url, '--model', model)).sort()).toEqual([
        'POST /chat failed',
        'POST /chat ok',
      ])
    expect(await list(url, '--service', 'chat-api', '--status', 'error')).toEqual([
      'POST /chat failed',
    ])
    expect(await list(url, '--model', 'gpt-4o')).toEqual([])
    // Ids and values are matched as sent, as Langfuse, Jaeger and Tempo match them.
    expect(await list(url, '--user', 'user-bob')).toEqual([])
    expect((await list(url, '--user', 'User-Bob')).length).toBe(2)
    expect(await list(url, '--status', 'ERROR')).toEqual(['POST /chat failed'])
    expect(await list(url, '--status', 'Ok')).toEqual(['POST /chat ok'])
  })

  it('tokentrail tail --service and --status follow in any case', async () => {
    const url = await startDev()
    const child = spawn(
      process.execPath,
      [bin, 'tail', '--service', 'chat-api', '--status', 'Error', '--url', url],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } },
    )
    const exited = new Promise((resolve) => child.on('exit', resolve))
    onCleanup(async () => {
      if (child.exitCode === null) child.kill('SIGINT')
      await exited
    })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    // Connected once its stream is open: the collector counts it as a live client.
    await expect
      .poll(async () => (await (await fetch(`${url}/api/stats`)).json()).collector.liveClients, {
        timeout: 10_000,
      })
      .toBe(1)
    await send(url, 'POST /chat ok')
    await send(url, 'POST /chat failed', true)
    await expect.poll(() => out, { timeout: 10_000 }).toContain('POST /chat failed')
    expect(out).not.toContain('POST /chat ok')
  })
})
