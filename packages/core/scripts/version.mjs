// Writes src/version.ts from package.json, so the version a tracer reports (the instrumentation
// scope, `telemetry.sdk.version`, the exporters' User-Agent) is the one published: run by `build`,
// after `changeset version` bumps package.json.
import { readFileSync, writeFileSync } from 'node:fs'

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const file = new URL('../src/version.ts', import.meta.url)
const text = `// Written by scripts/version.mjs from package.json at build time.\nexport const VERSION = '${version}'\n`
let current = ''
try {
  current = readFileSync(file, 'utf8')
} catch {}
if (current !== text) writeFileSync(file, text)
