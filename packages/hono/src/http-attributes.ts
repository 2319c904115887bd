/** OpenTelemetry HTTP server semantic convention names used on the root span. */
export const HTTP = {
  requestMethod: 'http.request.method',
  route: 'http.route',
  responseStatusCode: 'http.response.status_code',
  responseBodySize: 'http.response.body.size',
  urlPath: 'url.path',
  urlScheme: 'url.scheme',
  userAgent: 'user_agent.original',
  errorType: 'error.type',
} as const
