/**
 * Loads a module the first time it is needed, once: the code behind it stays out of the chunk an
 * app loads at start-up (bundlers split at `import()`). A failed load is tried again next time.
 */
export function lazy<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined
  return () =>
    (pending ??= load().catch((error) => {
      pending = undefined
      throw error
    }))
}
