// Its own module so that the public declarations (index.d.ts) reach no internal module's types.
/** Attributes of the call span: the roll-up of its steps, under names no backend sums with LLM spans. */
export const CALL_ATTR = {
  operation: 'tokentrail.call.operation',
  source: 'tokentrail.call.source',
  functionId: 'tokentrail.call.function_id',
  steps: 'tokentrail.call.steps',
  inputTokens: 'tokentrail.call.input_tokens',
  outputTokens: 'tokentrail.call.output_tokens',
  cacheReadTokens: 'tokentrail.call.cache_read_tokens',
  cacheWriteTokens: 'tokentrail.call.cache_write_tokens',
  reasoningTokens: 'tokentrail.call.reasoning_tokens',
  costUsd: 'tokentrail.call.cost_usd',
  finishReason: 'tokentrail.call.finish_reason',
  ttftMs: 'tokentrail.call.ttft_ms',
  retries: 'tokentrail.call.retries',
  toolCalls: 'tokentrail.call.tool_calls',
  toolErrors: 'tokentrail.call.tool_errors',
  attempt: 'tokentrail.attempt',
  /** Kept for older traces: ai@7 does not say `maxRetries` in the step events the call span now comes from. */
  maxAttempts: 'tokentrail.attempt.max',
  toolTiming: 'tokentrail.tool.timing',
  inputSkippedMessages: 'tokentrail.input.skipped_messages',
} as const
