/** Why one export attempt failed, in a form a warning can explain. */
export class ExportError extends Error {
  /** The HTTP status, when the receiver answered. */
  readonly status: number | undefined
  /** The `Location` of a redirect answer. */
  readonly location: string | undefined
  /** `timeout` when the attempt was cut by `exportTimeoutMs`; `html` for a web page answered. */
  readonly code: string | undefined

  constructor(
    message: string,
    options: { status?: number; location?: string; code?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ExportError'
    this.status = options.status
    this.location = options.location ?? undefined
    this.code = options.code
  }
}
