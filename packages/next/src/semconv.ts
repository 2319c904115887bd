/** OpenTelemetry HTTP server semantic convention names used by the route span. */
export const HTTP = {
  requestMethod: 'http.request.method',
  route: 'http.route',
  responseStatusCode: 'http.response.status_code',
  urlPath: 'url.path',
  urlScheme: 'url.scheme',
  serverAddress: 'server.address',
  userAgent: 'user_agent.original',
  errorType: 'error.type',
  // Tokentrail additions.
  flushVia: 'tokentrail.flush.via',
  streamTimeout: 'tokentrail.stream_timeout',
  actionName: 'tokentrail.action.name',
} as const
