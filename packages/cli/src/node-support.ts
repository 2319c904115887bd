import type * as Sqlite from 'node:sqlite'
import { TokentrailError } from '@tokentrail/core'

/** The Node versions whose built-in `node:sqlite` works without a flag. */
export const DATABASE_NODE = '22.13'

/** True when `version` (`major.minor.patch`) is `least` or later; `least` may leave out parts. */
export function nodeAtLeast(least: string, version: string = process.versions.node): boolean {
  const have = version.split('.').map(Number)
  const want = least.split('.').map(Number)
  for (let i = 0; i < want.length; i++) {
    const part = have[i] ?? 0
    if (part !== want[i]) return part > want[i]!
  }
  return true
}

/** Why this Node cannot open the embedded database, or undefined when it can. */
export function databaseProblem(
  command: string,
  version: string = process.versions.node,
): string | undefined {
  if (nodeAtLeast(DATABASE_NODE, version)) return undefined
  return (
    `tokentrail ${command} needs Node ≥ ${DATABASE_NODE} for its embedded database; you have ${version}. ` +
    'The client commands (list, last, error, trace, tail, stats, import, doctor) work on this Node.'
  )
}

/**
 * `node:sqlite`, looked up when a database is opened rather than imported by the modules that use
 * it: the package's entry (`startCollector`, `runCli`, the decoders) then loads on every Node its
 * engines admit, and opening a store on a Node without the module says which Node it needs instead
 * of failing the import with "No such built-in module: node:sqlite".
 */
export function sqlite(): typeof Sqlite {
  const found = process.getBuiltinModule?.('node:sqlite') as typeof Sqlite | undefined
  if (found?.DatabaseSync) return found
  throw new TokentrailError(
    `the trace store needs Node ≥ ${DATABASE_NODE} for its embedded database (node:sqlite); you have ${process.versions.node}`,
  )
}
