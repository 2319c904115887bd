// `ExportError` as the main entry exports it: the same class, through a value of this module
// rather than `export { ExportError } from`. Only the export-time code (loaded by `import()`) uses
// the class; esbuild puts every module the main entry reaches directly, and some code uses, in the
// start-up chunks, but it does not follow the imports of a module nothing uses (this one, unless
// the app imports `ExportError`). bundle-split.node.test.ts checks.
import { ExportError as ExportErrorClass } from './export-error.js'

/** Why one export attempt failed, in a form a warning can explain. */
export const ExportError = ExportErrorClass
export type ExportError = ExportErrorClass
