// The attribute names that code loaded by `import()` reads (metrics, the trace sampler's decision,
// the backend mappers), one constant each, with the same names and values as in `ATTR`
// (semconv-names.test.ts checks). Not imported by semconv.ts: esbuild bundles at start-up every module
// the main entry reaches that any code uses, so lazy code reading `ATTR` shipped the whole table
// at start-up, and `ATTR` built from these constants put them in a chunk of their own beside it
// (+0.4 KB min+gzip on the adapters' rows, where `ATTR` is used at start-up anyway). Lazy modules
// import them as a namespace (`import * as ATTR`), so `ATTR.costUsd` reads the same.
export const inputMessages = 'gen_ai.input.messages'
export const outputMessages = 'gen_ai.output.messages'
export const operationName = 'gen_ai.operation.name'
export const providerName = 'gen_ai.provider.name'
export const requestModel = 'gen_ai.request.model'
export const responseModel = 'gen_ai.response.model'
export const responseTimeToFirstChunk = 'gen_ai.response.time_to_first_chunk'
export const usageInputTokens = 'gen_ai.usage.input_tokens'
export const usageOutputTokens = 'gen_ai.usage.output_tokens'
export const usageCacheReadInputTokens = 'gen_ai.usage.cache_read.input_tokens'
export const usageCacheCreationInputTokens = 'gen_ai.usage.cache_creation.input_tokens'
export const usageReasoningOutputTokens = 'gen_ai.usage.reasoning.output_tokens'
export const toolName = 'gen_ai.tool.name'
export const toolDefinitions = 'gen_ai.tool.definitions'
export const errorType = 'error.type'
export const costUsd = 'tokentrail.cost.usd'
export const costInputUsd = 'tokentrail.cost.input_usd'
export const costOutputUsd = 'tokentrail.cost.output_usd'
export const ttftMs = 'tokentrail.ttft_ms'
export const timeToLastChunkMs = 'tokentrail.time_to_last_chunk_ms'
export const chunkCount = 'tokentrail.chunk_count'
export const tags = 'tokentrail.tags'
export const cancelledBy = 'tokentrail.cancelled_by'
