import { ATTR } from './semconv.js'

/**
 * The HTTP server convention attributes of an incoming request (method, path, scheme, host, user
 * agent), as the framework adapters record them on their root span. Never throws.
 */
export function httpRequestAttributes(request: Request, path?: string): Record<string, string> {
  const attributes: Record<string, string> = { [ATTR.httpRequestMethod]: request.method }
  try {
    const url = new URL(request.url)
    attributes[ATTR.urlPath] = path ?? url.pathname
    attributes[ATTR.urlScheme] = url.protocol.replace(/:$/, '')
    if (url.hostname) attributes[ATTR.serverAddress] = url.hostname
  } catch {
    if (path) attributes[ATTR.urlPath] = path
  }
  const userAgent = request.headers.get('user-agent')
  if (userAgent) attributes[ATTR.userAgentOriginal] = userAgent
  return attributes
}
