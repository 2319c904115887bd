// Profiles one contender's task with node --cpu-prof and prints where the time went.
//   node src/profile.mjs tokentrail overhead '{"calls":20000}'
// Writes the .cpuprofile to results/profiles/ (open it in Chrome DevTools for the full picture).
import { spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startSink } from './sink.mjs'

const [contender = 'tokentrail', task = 'overhead', options = '{"calls":20000}'] =
  process.argv.slice(2)
const benchDir = fileURLToPath(new URL('..', import.meta.url))
const dir = `${benchDir}/results/profiles/${contender}-${task}`
rmSync(dir, { recursive: true, force: true })
mkdirSync(dir, { recursive: true })

const sink = await startSink()
// The sink lives in this process, so the child must run asynchronously (spawnSync would block it).
await new Promise((resolve) => {
  const child = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      '--expose-gc',
      'src/worker.mjs',
      contender,
      task,
      options,
    ],
    { cwd: benchDir, env: { ...process.env, SINK_URL: sink.url }, stdio: 'inherit' },
  )
  child.on('close', resolve)
})
await sink.close()

const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'))
const profile = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8'))
const byId = new Map(profile.nodes.map((node) => [node.id, node]))
const self = new Map()
const intervals = profile.timeDeltas
for (let i = 0; i < profile.samples.length; i++) {
  const node = byId.get(profile.samples[i])
  self.set(node, (self.get(node) ?? 0) + (intervals[i] ?? 0))
}
const total = [...self.values()].reduce((a, b) => a + b, 0)
const where = (url) => {
  if (!url) return '(native)'
  const pnpm = url.match(/node_modules\/\.pnpm\/[^/]+\/node_modules\/((?:@[^/]+\/)?[^/]+)/)
  if (pnpm) return pnpm[1]
  const tokentrail = url.match(/packages\/([^/]+)\/dist/)
  if (tokentrail) return `@tokentrail/${tokentrail[1]}`
  if (url.startsWith('node:')) return 'node'
  if (url.includes('/bench/src/')) return 'bench'
  return url
}
const byFunction = new Map()
const byPackage = new Map()
for (const [node, time] of self) {
  const { functionName, url, lineNumber } = node.callFrame
  const pkg = where(url)
  const key = `${functionName || '(anonymous)'} ${pkg}${url ? `:${lineNumber + 1}` : ''}`
  byFunction.set(key, (byFunction.get(key) ?? 0) + time)
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + time)
}
const top = (map, n) =>
  [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, time]) => `${((100 * time) / total).toFixed(1).padStart(5)} %  ${key}`)
console.log(`\nself time by package (${contender} ${task}, ${(total / 1e6).toFixed(2)} s sampled)`)
console.log(top(byPackage, 12).join('\n'))
console.log('\nself time by function')
console.log(top(byFunction, 30).join('\n'))

// Inclusive time of Tokentrail's own functions (self + everything they call), outermost frames only.
const inclusive = new Map()
const walk = (node, inside) => {
  let time = self.get(node) ?? 0
  const pkg = where(node.callFrame.url)
  const ours = pkg.startsWith('@tokentrail/')
  for (const childId of node.children ?? []) time += walk(byId.get(childId), inside || ours)
  if (ours && !inside) {
    const key = `${node.callFrame.functionName || '(anonymous)'} ${pkg}:${node.callFrame.lineNumber + 1}`
    inclusive.set(key, (inclusive.get(key) ?? 0) + time)
  }
  return time
}
walk(profile.nodes[0], false)
console.log('\nTokentrail entry points, inclusive time (outermost Tokentrail frames)')
console.log(top(inclusive, 15).join('\n'))
console.log(`\nprofile: ${dir}/${file}`)
