const origin = performance.timeOrigin

/** Epoch milliseconds with sub-millisecond precision, monotonic within a process. */
export function now(): number {
  return origin + performance.now()
}
