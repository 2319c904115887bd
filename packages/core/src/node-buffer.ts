// Node's `Buffer` class where the runtime is Node itself, found at run time through
// `process.getBuiltinModule` (as the transport finds `node:http`): never a static `node:` import,
// so core bundles for any runtime. Bun, Deno and workerd answer getBuiltinModule('node:buffer')
// too, some with a Buffer written in JavaScript that is slower than the Web API it would replace:
// only Node takes this path. The OTLP writers use it for UTF-8, the ai-sdk adapter for its escape
// pre-check; each checks for the methods it calls.

// undefined until first asked; null where the runtime is not Node.
let found: any

/** Node's `Buffer` class on Node (≥ 20.16, with `process.getBuiltinModule`), else `null`. */
export function nodeBufferClass(): any {
  if (found !== undefined) return found
  found = null
  try {
    const scope = globalThis as any
    const process = scope.process
    if (
      typeof process?.getBuiltinModule === 'function' &&
      process.release?.name === 'node' &&
      scope.Bun === undefined &&
      scope.Deno === undefined &&
      (scope.navigator?.userAgent ?? 'Node.js').startsWith('Node.js')
    )
      found = process.getBuiltinModule('node:buffer')?.Buffer ?? null
  } catch {}
  return found
}
