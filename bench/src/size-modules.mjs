// What sits in the start-up chunks of Tokentrail's size rows, module by module: esbuild split
// (minified bytes, from its metafile) and Rolldown split (bytes as rendered before minifying).
// The size rows in results/latest.md give the totals, min+gzip; this says where they come from.
//
//   node src/size-modules.mjs            all three rows
//   node src/size-modules.mjs core       one row: core, tokentrail (the ai-sdk path), next
import { bundleSize, ENTRIES, entrySize } from './size.mjs'

const ROWS = {
  core: ['createTracer + otlpExporter', () => entrySize('core')],
  tokentrail: ['ai-sdk path (src/contenders/tokentrail.mjs)', () => bundleSize('tokentrail')],
  next: [ENTRIES.next.title, () => entrySize('next')],
}
const kb = (bytes) => (bytes / 1024).toFixed(1)

for (const id of process.argv.length > 2 ? process.argv.slice(2) : Object.keys(ROWS)) {
  if (!ROWS[id]) throw new Error(`unknown row "${id}": ${Object.keys(ROWS).join(', ')}`)
  const [title, measure] = ROWS[id]
  const size = await measure()
  const rolldown = new Map(size.rolldown.modules.map((m) => [m.module, m.bytes]))
  console.log(
    `\n## ${title}: esbuild start-up ${kb(size.gzip)} KB min+gzip (${kb(size.minified)} minified) + ${kb(size.later.gzip)} later, one file ${kb(size.oneFile.gzip)}; Rolldown ${kb(size.rolldown.gzip)} KB + ${kb(size.rolldown.later.gzip)} later\n`,
  )
  console.log('| module | esbuild, minified bytes | Rolldown, rendered bytes |')
  console.log('|---|---:|---:|')
  for (const { module, bytes } of size.modules)
    console.log(`| ${module} | ${bytes} | ${rolldown.get(module) ?? '—'} |`)
  for (const [module, bytes] of rolldown)
    if (!size.modules.some((m) => m.module === module)) console.log(`| ${module} | — | ${bytes} |`)
}
