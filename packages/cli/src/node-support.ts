/** The Node versions whose built-in `node:sqlite` works without a flag. */
export const DATABASE_NODE = '22.13'

/** Why this Node cannot open the embedded database, or undefined when it can. */
export function databaseProblem(
  command: string,
  version: string = process.versions.node,
): string | undefined {
  const [major = 0, minor = 0] = version.split('.').map(Number)
  if (major > 22 || (major === 22 && minor >= 13)) return undefined
  return (
    `tokentrail ${command} needs Node ≥ ${DATABASE_NODE} for its embedded database; you have ${version}. ` +
    'The client commands (list, last, error, trace, tail, stats, import, doctor) work on this Node.'
  )
}
