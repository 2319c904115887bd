// Captured text in the Markdown of a report (its debug hints and its lines), shown as written.
import { oneLine } from '../commands/format.js'

/**
 * Captured text as an inline code span, shown exactly as written: a prompt's `<context>` tags, a
 * `*` or a backtick in a name would otherwise be read as Markdown (GitHub drops unknown tags).
 */
export function code(text: unknown, max: number): string {
  const flat = oneLine(text, max)
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length))
  const tick = '`'.repeat(longest + 1)
  // A span that starts or ends with a backtick needs a space inside its fence (one is stripped).
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : ''
  return `${tick}${pad}${flat}${pad}${tick}`
}

/** Captured text in running Markdown (an error message): its markup characters escaped. */
export function plain(text: unknown, max: number): string {
  return oneLine(text, max)
    .replace(/[\\`*<>[\]]/g, '\\$&')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
}
