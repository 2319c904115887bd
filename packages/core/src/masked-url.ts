/**
 * A URL for messages: a password in it (`https://user:token@host`, sent as basic auth) and query
 * values (`?api_key=…`) masked, as warnings end up in the platform's logs. What is sent is unchanged.
 */
export function maskedUrl(url: string): string {
  return url.replace(/(\/\/[^/@:]*:)[^/@]*@/, '$1***@').replace(/([?&][^=&#]*=)[^&#]*/g, '$1***')
}
