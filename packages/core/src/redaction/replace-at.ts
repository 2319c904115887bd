import type { Segment } from './path-rule.js'

// Only the redactor, loaded on first use, replaces values.

/**
 * Replaces, inside `value`, whatever the segments reach; returns how many values were replaced.
 * Objects and arrays are changed in place (they are a fresh parse, never the app's own).
 */
export function replaceAt(
  value: unknown,
  segments: readonly Segment[],
  replace: (found: unknown) => unknown,
): number {
  if (value === null || typeof value !== 'object') return 0
  const [head, ...tail] = segments
  if (!head) return 0
  const container = value as Record<string | number, unknown>
  const keys: (string | number)[] =
    'any' in head
      ? Array.isArray(value)
        ? value.map((_, i) => i)
        : Object.keys(value)
      : 'index' in head
        ? [head.index]
        : [head.key]
  let count = 0
  for (const key of keys) {
    if (!Object.hasOwn(container, key)) continue
    if (tail.length === 0) {
      container[key] = replace(container[key])
      count++
    } else count += replaceAt(container[key], tail, replace)
  }
  return count
}
