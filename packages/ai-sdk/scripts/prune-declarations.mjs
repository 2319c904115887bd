// Keeps in dist/ only the declarations the package's types entry (index.d.ts) reaches. The others
// describe internal modules in terms of @ai-sdk/provider@4's V4 types, which this package uses
// only to build (a devDependency): an app on ai@5 or ai@6 has v2 or v3 of it, and no app should
// need it at all. The JavaScript and its source maps are all kept.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'

const dist = new URL('../dist/', import.meta.url).pathname
const reached = new Set()
// The entries: the package's main types and its `./prices` subpath (the CLI prices other SDKs' spans).
const queue = [join(dist, 'index.d.ts'), join(dist, 'prices.d.ts')]
while (queue.length > 0) {
  const file = queue.pop()
  if (reached.has(file)) continue
  reached.add(file)
  const text = readFileSync(file, 'utf8')
  for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
    const target = join(dirname(file), specifier.replace(/\.js$/, '.d.ts'))
    if (!existsSync(target)) throw new Error(`${relative(dist, file)} imports missing ${specifier}`)
    queue.push(target)
  }
}
const pruned = []
for (const name of readdirSync(dist, { recursive: true })) {
  const file = join(dist, name)
  if (!/\.d\.ts(\.map)?$/.test(name) || reached.has(file.replace(/\.map$/, ''))) continue
  rmSync(file)
  pruned.push(name)
}
for (const file of reached)
  if (readFileSync(file, 'utf8').includes('@ai-sdk/provider'))
    throw new Error(`${relative(dist, file)} names @ai-sdk/provider: the public types must not`)
console.log(`declarations: ${reached.size} kept, ${pruned.length / 2} internal pruned`)
