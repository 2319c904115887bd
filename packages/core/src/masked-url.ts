/**
 * A URL for messages: a password in it (`https://user:token@host`, sent as basic auth) and query
 * values (`?api_key=…`) masked, as warnings end up in the platform's logs. What is sent is unchanged.
 */
export function maskedUrl(url: string): string {
  // The user's part stays (an instance id, often); the scheme may be missing (`user:key@host`, a
  // URL that is wrong, quoted in the error that says so).
  return url
    .replace(/^((?:[a-z][a-z0-9+.-]*:)?(?:\/\/)?[^/@:?#]*:)[^/@?#]*@/i, '$1***@')
    .replace(/([?&][^=&#]*=)[^&#]*/g, '$1***')
}
