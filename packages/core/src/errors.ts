const MARKER = Symbol.for('tokentrail.error')

/** The one error class Tokentrail throws, only for bad configuration at start-up. */
export class TokentrailError extends Error {
  readonly [MARKER] = true

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokentrailError'
  }

  /** True for a TokentrailError, even one from another copy of this package. */
  static isInstance(error: unknown): error is TokentrailError {
    return typeof error === 'object' && error !== null && (error as any)[MARKER] === true
  }
}
