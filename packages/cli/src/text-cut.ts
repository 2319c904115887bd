/**
 * `text` cut to at most `max` characters, ending in `…` when cut. Never between the two halves of
 * an emoji or other astral character: a lone half shows as � and is not valid UTF-8.
 */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text
  const end = /[\uD800-\uDBFF]/.test(text[max - 2] ?? '') ? max - 2 : max - 1
  return `${text.slice(0, end)}…`
}
