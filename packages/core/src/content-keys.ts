// The attribute names that hold prompt or generated text, for the tracer's `recordInputs` /
// `recordOutputs` filter. Apart from `ATTR` (which uses these constants), so an app that only
// makes a tracer does not ship the whole table of names at start-up.
export const INPUT_MESSAGES = 'gen_ai.input.messages'
export const SYSTEM_INSTRUCTIONS = 'gen_ai.system_instructions'
export const TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments'
export const OUTPUT_MESSAGES = 'gen_ai.output.messages'
export const TOOL_CALL_RESULT = 'gen_ai.tool.call.result'
export const OUTPUT_TEXT = 'tokentrail.output.text'
export const REASONING_TEXT = 'tokentrail.reasoning.text'
export const TOOL_CALLS = 'tokentrail.tool_calls'

/** Attributes that hold prompt text; dropped when `recordInputs` is off. */
export const INPUT_CONTENT_KEYS: ReadonlySet<string> = new Set([
  INPUT_MESSAGES,
  SYSTEM_INSTRUCTIONS,
  TOOL_CALL_ARGUMENTS,
])

/** Attributes that hold generated text; dropped when `recordOutputs` is off. */
export const OUTPUT_CONTENT_KEYS: ReadonlySet<string> = new Set([
  OUTPUT_MESSAGES,
  OUTPUT_TEXT,
  REASONING_TEXT,
  TOOL_CALL_RESULT,
  TOOL_CALLS,
])
