// Where the start-up min+gzip bytes go, module by module: for each module of the start-up chunks
// (esbuild split, as `size-modules.mjs`), the gzip bytes the chunk loses without that module's
// minified code (found through the source map). Minified bytes overstate code that compresses
// well and understate data that does not. The shares add up to less than the total, as gzip
// shares repeats across modules; the total is size.mjs's within a few bytes (chunk names differ).
//
//   node src/size-gzip-modules.mjs [core|tokentrail|next]
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import { COMMON, ENTRIES, startupChunks } from './size.mjs'

const CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
// Source index of each generated character, per line, from the map's VLQ segments.
function ownersOf(code, map) {
  const lines = code.split('\n')
  const owners = lines.map((line) => new Int32Array(line.length).fill(-1))
  let source = 0
  map.mappings.split(';').forEach((group, lineNo) => {
    let column = 0
    const starts = []
    for (const segment of group.split(',')) {
      if (!segment) continue
      const values = []
      let value = 0
      let shift = 0
      for (const char of segment) {
        const digit = CHARS.indexOf(char)
        value += (digit & 31) << shift
        if (digit & 32) shift += 5
        else {
          values.push(value & 1 ? -(value >>> 1) : value >>> 1)
          value = 0
          shift = 0
        }
      }
      column += values[0]
      if (values.length > 1) source += values[1]
      starts.push([column, values.length > 1 ? source : -1])
    }
    const row = owners[lineNo]
    if (!row) return
    starts.forEach(([from, owner], i) => {
      row.fill(owner, from, starts[i + 1]?.[0] ?? row.length)
    })
  })
  return { lines, owners }
}

const gz = (text) => gzipSync(text, { level: 9 }).length
const CONTENDER = fileURLToPath(new URL('./contenders/tokentrail.mjs', import.meta.url))
const input = (id) =>
  id === 'tokentrail'
    ? { entryPoints: [CONTENDER] }
    : {
        stdin: {
          contents: ENTRIES[id].code,
          resolveDir: fileURLToPath(new URL('.', import.meta.url)),
          loader: 'js',
        },
      }

for (const id of process.argv.length > 2 ? process.argv.slice(2) : ['core', 'tokentrail', 'next']) {
  const result = await build({
    ...input(id),
    ...COMMON,
    splitting: true,
    outdir: '/gzip-share-out',
    metafile: true,
    sourcemap: 'external',
  })
  const outputs = result.metafile.outputs
  const startup = startupChunks(outputs)
  const files = new Map(result.outputFiles.map((f) => [f.path, f.text]))
  const share = new Map()
  let total = 0
  for (const name of startup) {
    const code = files.get(resolve(name))
    const map = JSON.parse(files.get(`${resolve(name)}.map`))
    const { lines, owners } = ownersOf(code, map)
    const full = gz(code)
    total += full
    map.sources.forEach((source, index) => {
      const without = lines
        .map((line, l) => [...line].filter((_, c) => owners[l][c] !== index).join(''))
        .join('\n')
      const module = source.replace(/^.*\/(packages|node_modules)\//, '')
      share.set(module, (share.get(module) ?? 0) + full - gz(without))
    })
  }
  const shares = [...share.values()].reduce((sum, bytes) => sum + bytes, 0)
  console.log(
    `\n## ${id}: ${total} B min+gzip at start-up (module shares add up to ${shares})\n\n| module | gzip bytes it adds |\n|---|---:|`,
  )
  for (const [module, bytes] of [...share].sort((a, b) => b[1] - a[1]))
    if (bytes > 0) console.log(`| ${module} | ${bytes} |`)
}
