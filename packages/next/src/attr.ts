// The OpenTelemetry HTTP names this adapter writes, one constant each, read as `import * as ATTR`
// so `ATTR.httpRoute` reads as core's table does: a bundler keeps each as a short variable, where
// core's `ATTR` object ships whole (attr.test.ts checks them against core's `ATTR`).
export const httpRoute = 'http.route'
export const httpResponseStatusCode = 'http.response.status_code'
export const urlPath = 'url.path'
export const errorType = 'error.type'
