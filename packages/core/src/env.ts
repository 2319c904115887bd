import { TokentrailError } from './errors.js'

/** Reads an environment variable without importing `node:process`; undefined on runtimes without one. */
export function readEnv(name: string): string | undefined {
  try {
    const value = (globalThis as any).process?.env?.[name]
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
  } catch {
    return undefined
  }
}

/** Cloudflare Workers (workerd), which names itself in `navigator.userAgent`. */
export function onWorkers(): boolean {
  try {
    return (
      (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ===
      'Cloudflare-Workers'
    )
  } catch {
    return false
  }
}

/** Prerendering under `next build` (Next sets NEXT_PHASE in its build processes). */
export function isNextBuild(): boolean {
  return readEnv('NEXT_PHASE') === 'phase-production-build'
}

/** A boolean env variable (true/1/yes/on, false/0/no/off); throws naming it for anything else. */
export function envBoolean(name: string): boolean | undefined {
  const value = readEnv(name)?.toLowerCase()
  if (value === undefined) return undefined
  if (['true', '1', 'yes', 'on'].includes(value)) return true
  if (['false', '0', 'no', 'off'].includes(value)) return false
  throw new TokentrailError(`${name} must be true or false, got "${value}"`)
}
