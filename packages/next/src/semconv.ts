/** Attributes only the Next adapter records; HTTP convention names are in attr.ts. */
export const NEXT_ATTR = {
  /** How the flush was kept alive: `waitUntil`, `after` or `background`. */
  flushVia: 'tokentrail.flush.via',
  /** The body was not read within `streamTimeoutMs`; the span ended as cancelled. */
  streamTimeout: 'tokentrail.stream_timeout',
  /** The handler had not returned `streamTimeoutMs` after its client left; the span ended as cancelled. */
  handlerTimeout: 'tokentrail.handler_timeout',
  actionName: 'tokentrail.action.name',
  /** The action ended by `redirect()` (`redirect`), `notFound()` (`not_found`), `forbidden()` or `unauthorized()`. */
  actionControlFlow: 'tokentrail.action.control_flow',
} as const
