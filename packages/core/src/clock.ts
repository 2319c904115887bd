const origin = performance.timeOrigin

/** The longest delay a timer takes (2³¹ − 1 ms, about 24.8 days): runtimes fire a longer one at once. */
export const MAX_TIMER_MS = 2_147_483_647

/** Epoch milliseconds with sub-millisecond precision, monotonic within a process. */
export function now(): number {
  return origin + performance.now()
}
