const origin = performance.timeOrigin

/** The longest delay a timer takes (2³¹ − 1 ms, about 24.8 days): runtimes fire a longer one at once. */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * Whether a value is epoch milliseconds OTLP can carry: its nanoseconds an unsigned 64-bit number,
 * so from 0 to 1e16 ms. Another (NaN, negative, huge) would make a batch body no receiver parses.
 */
export function isEpochMs(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value < 1e16
}

/** Epoch milliseconds with sub-millisecond precision, monotonic within a process. */
export function now(): number {
  return origin + performance.now()
}
