// The default credential scrub (`redactSecretsInText`) over 20 KB strings: µs per string, CPU.
// Run after a build: `node bench/secret-scan.mjs`. Not a test: it prints figures.
import { readFileSync } from 'node:fs'

// `node bench/secret-scan.mjs [path/to/dist/internal.js]`: another build (main's) for a before/after.
const { redactSecretsInText } = await import(
  process.argv[2]
    ? new URL(process.argv[2], `file://${process.cwd()}/`).href
    : '../dist/internal.js'
)

const fill = (unit) => {
  let text = ''
  while (text.length < 20 * 1024) text += unit
  return text.slice(0, 20 * 1024)
}
const texts = {
  'prose, no hint': fill(
    'The customer asked about the refund for order 5531 placed last week, and whether the replacement ships before Friday. ',
  ),
  // Named values are looked for from each `:` and `=`: prose with many of them.
  'prose, a : or = per 27 chars': fill(
    'Note: the quarterly report shows growth; revenue = cost + margin. Next steps: review the figures, then decide. Ratio 3:2 holds for x = 4. ',
  ),
  'chat history JSON': fill(
    '{"role":"user","content":[{"type":"text","text":"What is the weather in Paris today? Please answer briefly."}]},{"role":"assistant","content":[{"type":"text","text":"It is sunny, 21 degrees."}]},',
  ),
  'env lines': fill('NODE_ENV=production\nPORT=3000\nLOG_LEVEL=info\nREGION=eu-west-1\n'),
  'prompt JSON (escaped prose)': JSON.stringify([
    {
      role: 'user',
      parts: [
        { type: 'text', content: fill('She said "fine".\nThen: the ticket was closed at 10:42. ') },
      ],
    },
  ]),
  'code with URLs and k- words': fill(
    "const res = await fetch('https://api.example.com/v1/items?page=2', { method: 'GET' }) // check-in task-list\n",
  ),
  'markdown with links': fill(
    'See [the docs](https://docs.example.com/guide#setup) and http://localhost:3000/. ',
  ),
  'markdown answer, bullets': fill(
    '- **Step 1**: open the well-known settings page (2024-05-01 build).\n- Then pick a follow-up task_id from the list.\n',
  ),
  'TypeScript source': fill(readFileSync(new URL('../src/span.ts', import.meta.url), 'utf8')),
  'tool result JSON': JSON.stringify({
    items: Array.from({ length: 200 }, (_, i) => ({
      id: i,
      title: 'An article about the weather in Paris',
      url: `https://news.example.com/a/${i}`,
    })),
  }).slice(0, 20 * 1024),
}
const ROUNDS = 9
const N = 2000
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
let sink = 0
for (const [name, text] of Object.entries(texts)) {
  // Two strings in turn, so no `indexOf` of a loop-invariant text can be hoisted out of the loop.
  const pair = [text, `${text.slice(0, -1)}.`]
  for (let i = 0; i < N; i++) sink += redactSecretsInText(pair[i & 1]).length // warm-up
  const samples = []
  for (let round = 0; round < ROUNDS; round++) {
    const start = process.cpuUsage()
    for (let i = 0; i < N; i++) sink += redactSecretsInText(pair[i & 1]).length
    const used = process.cpuUsage(start)
    samples.push((used.user + used.system) / N)
  }
  const sorted = [...samples].sort((a, b) => a - b)
  console.log(
    `${name.padEnd(30)} ${(text.length / 1024).toFixed(1)} KB ${String(text.split(/[:=]/).length - 1).padStart(5)} :/=  ${median(samples).toFixed(2)} µs CPU (${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)})`,
  )
}
if (sink === 0) console.log('')
