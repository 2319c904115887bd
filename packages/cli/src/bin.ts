#!/usr/bin/env node
// node:sqlite prints an ExperimentalWarning on load; the CLI hides that one warning only.
const emitWarning = process.emitWarning.bind(process)
process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
  const text = typeof warning === 'string' ? warning : warning?.message
  const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string })?.type
  const name = typeof warning === 'string' ? type : warning?.name
  if (
    (name === 'ExperimentalWarning' || type === 'ExperimentalWarning') &&
    /SQLite/i.test(text ?? '')
  )
    return
  return (emitWarning as (...args: unknown[]) => void)(warning, ...rest)
}) as typeof process.emitWarning

const { runCli } = await import('./commands/cli.js')
process.exitCode = await runCli(process.argv.slice(2))
