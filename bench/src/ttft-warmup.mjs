// How the time to first chunk a contender adds falls while the engine warms up: untraced and
// traced streamText calls from the first one on, alternating in order each pair as the bench's ttft
// task does while it measures (its warm-up runs them untraced first), with the added time (median
// traced − median untraced) printed per block. The ttft task measures after its warm-up (run.mjs
// SIZE.ttft.warmup); this shows whether the warm-up is long enough.
//   node src/ttft-warmup.mjs [contender] [short|long] [pairs] [block]
// Defaults: tokentrail, short, 8,000 pairs, blocks of 500 (pairs a multiple of block). `none` gives
// the noise floor (untraced against untraced). The sink runs in a child process.
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { firstChunkPair, median, prompts, side } from './model.mjs'
import { startSinkProcess } from './sink.mjs'

const [id = 'tokentrail', prompt = 'short', pairsArg = '8000', blockArg = '500'] =
  process.argv.slice(2)
const pairs = Number(pairsArg)
const block = Number(blockArg)
if (!Object.hasOwn(prompts, prompt))
  throw new Error(`prompt must be one of ${Object.keys(prompts)}`)
if (!(Number.isInteger(block) && block > 0 && Number.isInteger(pairs) && pairs % block === 0))
  throw new Error('pairs and block must be whole counts, pairs a multiple of block')

const sink = await startSinkProcess()
const c = await (await import(`./contenders/${id}.mjs`)).setup({ url: sink.url })
const sides = { baseline: side(c.baseline, { prompt }), traced: side(c, { prompt }) }

console.log(
  `${id}, ${prompt} prompt, Node ${process.versions.node}: µs added to the first chunk, per block of ${block} pairs`,
)
let us = { baseline: [], traced: [] }
for (let i = 0; i < pairs; i++) {
  await firstChunkPair(sides, i, us)
  if (i % 50 === 49) await yieldToLoop()
  if ((i + 1) % block === 0) {
    const added = median(us.traced) - median(us.baseline)
    console.log(
      `  pairs ${(i + 2 - block).toLocaleString('en')}–${(i + 1).toLocaleString('en')}: ${added >= 0 ? '+' : ''}${added.toFixed(1)}`,
    )
    us = { baseline: [], traced: [] }
  }
}
await c.flush?.()
await sink.close()
process.exit(0)
