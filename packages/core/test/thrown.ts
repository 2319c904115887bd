import { expect } from 'vitest'
import { TokentrailError } from '../src/index.js'

/** The message of the TokentrailError `fn` throws; fails the test when it throws none or another. */
export function thrown(fn: () => unknown): string {
  try {
    fn()
  } catch (error) {
    expect(TokentrailError.isInstance(error)).toBe(true)
    return (error as Error).message
  }
  throw new Error('expected a throw')
}
