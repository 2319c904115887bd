// What @posthog/ai's `withTracing` (the wrapper the issue names) does with an AI SDK 7 model.
import { withTracing } from '@posthog/ai'
import { PostHog } from 'posthog-node'
import { createModel } from './model.mjs'

/** Returns the error withTracing throws for a V4 model, or undefined when it accepts one. */
export async function tryWithTracing(url) {
  const client = new PostHog('phc_bench', { host: url, flushAt: 1_000_000 })
  try {
    withTracing(createModel(), client, {})
    return undefined
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  } finally {
    await client.shutdown(1000)
  }
}
