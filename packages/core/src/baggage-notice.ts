// The words for what injectBaggage left out: loaded by `import()` the first time it leaves
// anything out, so an app that never does so does not load them. Imports nothing: a module that
// start-up and lazy code both import becomes a chunk of its own (see processor.ts).

/** What one `injectBaggage` call left out. */
export interface BaggageLeftOut {
  /** Entries whose key is no header token or whose value is no string, finite number, boolean or bigint. */
  invalid: string[]
  /** Members (given or already in the carrier) past 180 members or 8,192 bytes. */
  over: number
}

const shown = (key: string) => JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)

/** The notices (key, message) for what one call left out. */
export function baggageLeftOutLines({ invalid, over }: BaggageLeftOut): [string, string][] {
  const lines: [string, string][] = []
  if (invalid.length > 0)
    lines.push([
      'baggage invalid',
      `injectBaggage: left out ${invalid.slice(0, 5).map(shown).join(', ')}${invalid.length > 5 ? ` and ${invalid.length - 5} more` : ''}: a key must be an HTTP token (letters, digits, !#$%&'*+-.^_\`|~) and a value a string, finite number, boolean or bigint. (Said once.)`,
    ])
  if (over > 0)
    lines.push([
      'baggage over',
      `injectBaggage: left out ${over} baggage ${over === 1 ? 'member' : 'members'} past what receivers keep (180 members, 8,192 bytes): the entries given come first, then the members already in the carrier. Send fewer or shorter entries. (Said once.)`,
    ])
  return lines
}
