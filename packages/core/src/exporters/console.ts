import { readEnv } from '../env.js'
import { TokentrailError } from '../errors.js'
import { lazy } from '../lazy.js'
import { checkOptionKeys, checkOptionsObject } from '../options.js'
import type { SpanExporter } from '../types.js'

export interface ConsoleExporterOptions {
  /**
   * A readable tree per trace instead of one JSON line per span.
   * @default true when NODE_ENV is "development"
   */
  pretty?: boolean | undefined
  /** Where lines go. @default console.log */
  write?: ((line: string) => void) | undefined
}

/** Prints spans: one JSON line per span, or a readable tree per trace in development. */
export function consoleExporter(options: ConsoleExporterOptions = {}): SpanExporter {
  checkOptionsObject(options, 'consoleExporter', '{ pretty: true }')
  checkOptionKeys(options, ['pretty', 'write'], 'consoleExporter')
  const { pretty = readEnv('NODE_ENV') === 'development', write = (line) => console.log(line) } =
    options
  if (typeof pretty !== 'boolean' || typeof write !== 'function')
    throw new TokentrailError(
      'consoleExporter: pretty must be true or false, write a function (line) => void',
    )
  // The tree builder and the formatting load at the first export, not at start-up.
  const printer = lazy(() => import('./console-print.js'))
  return {
    name: 'console',
    async export(spans) {
      ;(await printer()).printSpans(spans, pretty, write)
      return { code: 'success' }
    },
  }
}
