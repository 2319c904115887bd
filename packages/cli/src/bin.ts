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

// A reader that stops early (`tokentrail tail | head`, `tokentrail list | grep -m1 …`) closes the
// pipe: the next write fails with EPIPE, an unhandled 'error' event that printed a stack trace.
// Stop quietly, as `cat` does; `tokentrail dev` keeps collecting whoever reads its banner.
const command = process.argv[2]
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  if (command !== 'dev') process.exit(0)
})

const { runCli } = await import('./commands/cli.js')
process.exitCode = await runCli(process.argv.slice(2))
