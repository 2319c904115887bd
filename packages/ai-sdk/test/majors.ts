// Each AI SDK major with its own major of `@ai-sdk/openai`, for the tests that go over HTTP to
// tools/mock-openai; `source` says where the call span comes from on that major.
import { createOpenAI as createOpenAI4 } from '@ai-sdk/openai'
import { createOpenAI as createOpenAI2 } from '@ai-sdk/openai-v2'
import { createOpenAI as createOpenAI3 } from '@ai-sdk/openai-v3'
import * as ai7 from 'ai'
import * as ai5 from 'ai-v5'
import * as ai6 from 'ai-v6'

export const majors = [
  { major: 'ai@5', ai: ai5 as any, createOpenAI: createOpenAI2 as any, source: 'inferred' },
  { major: 'ai@6', ai: ai6 as any, createOpenAI: createOpenAI3 as any, source: 'inferred' },
  { major: 'ai@7', ai: ai7 as any, createOpenAI: createOpenAI4 as any, source: 'ai-sdk-telemetry' },
] as const
