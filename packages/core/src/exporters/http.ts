import { TokentrailError } from '../errors.js'
import { lazy } from '../lazy.js'
import { checkOptionKeys, checkOptionsObject } from '../options.js'
import type { SpanExporter } from '../types.js'
import {
  checkHeaderList,
  checkHeaders,
  mergeHeaders,
  OTLP_ALIASES,
  setHeader,
  validateUrl,
} from './otlp-wire.js'

export interface HttpExporterOptions {
  /** The ingest URL that receives `POST { spans: SpanData[] }` as JSON. */
  url: string
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string | undefined
  /** Extra request headers. */
  headers?: Record<string, string> | undefined
}

/**
 * POSTs batches of spans as plain JSON (`{ spans: SpanData[] }`) to any ingest URL, for teams with
 * their own trace API. Retries like the OTLP exporter.
 *
 * @example
 * httpExporter({ url: 'https://traces.example.com/ingest', apiKey: process.env.TRACES_KEY })
 */
export function httpExporter(options: HttpExporterOptions): SpanExporter {
  checkOptionsObject(options, 'httpExporter', '{ url, apiKey }')
  checkOptionKeys(options, ['url', 'apiKey', 'headers'], 'httpExporter', {
    ...OTLP_ALIASES,
    token: 'apiKey',
    key: 'apiKey',
  })
  const { url, apiKey, headers } = options ?? ({} as HttpExporterOptions)
  if (typeof url !== 'string')
    throw new TokentrailError('httpExporter({ url }) is required: the ingest URL to POST spans to')
  const target = validateUrl(url, 'httpExporter({ url })')
  // Names compare regardless of case: fetch would join `Content-Type` and ours into one value.
  const requestHeaders = mergeHeaders(checkHeaders(headers, 'httpExporter({ headers })'))
  setHeader(requestHeaders, 'content-type', 'application/json')
  if (apiKey !== undefined) {
    if (`${apiKey}`.trim() === '')
      throw new TokentrailError('httpExporter({ apiKey }) is empty (is its variable set?)')
    setHeader(requestHeaders, 'authorization', `Bearer ${apiKey}`)
  }
  checkHeaderList(requestHeaders, 'httpExporter')
  // The transport loads at the first export, not at start-up.
  const transport = lazy(() => import('./post.js'))
  return {
    name: 'http',
    url: target,
    headerNames: Object.keys(requestHeaders),
    async export(spans, signal) {
      const { post } = await transport()
      return post(target, JSON.stringify({ spans }), requestHeaders, signal)
    },
  }
}
