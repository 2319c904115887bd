/** Reads an environment variable without importing `node:process`; undefined on runtimes without one. */
export function readEnv(name: string): string | undefined {
  try {
    const value = (globalThis as any).process?.env?.[name]
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
  } catch {
    return undefined
  }
}
