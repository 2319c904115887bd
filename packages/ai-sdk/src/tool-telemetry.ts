import {
  ATTR,
  getTracer,
  now,
  type Span,
  safeJson,
  TokentrailError,
  type Tracer,
} from '@tokentrail/core'
import type { Telemetry } from 'ai'

/** Options of `toolTelemetry`. */
export interface ToolTelemetryOptions {
  /** The tracer spans go to. @default getTracer(), looked up on each tool call */
  tracer?: Tracer
  /** Record tool arguments. @default the tracer's `recordInputs` */
  recordInputs?: boolean
  /** Record tool results. @default the tracer's `recordOutputs` */
  recordOutputs?: boolean
}

interface OpenTool {
  span: Span
  recordOutputs: boolean
  endTime?: number
  timer?: ReturnType<typeof setTimeout>
}

// If the AI SDK never reports the end of a tool (it always should), the span still closes.
const END_FALLBACK_MS = 5000

/**
 * An AI SDK telemetry integration that records each tool execution as an `execute_tool {name}`
 * span: call id, arguments, result, duration and error. The tool runs inside its span, so model
 * calls made by the tool nest under it. Register it once, or pass it per call.
 *
 * @example
 * import { registerTelemetry } from 'ai'
 * registerTelemetry(toolTelemetry())
 * // or: streamText({ model, tools, telemetry: { integrations: [toolTelemetry()] } })
 */
export function toolTelemetry(options: ToolTelemetryOptions = {}): Telemetry {
  if (options === null || typeof options !== 'object')
    throw new TokentrailError('toolTelemetry(options) takes an options object')
  if (options.tracer !== undefined && typeof options.tracer?.startSpan !== 'function')
    throw new TokentrailError(
      'tracer must be a Tracer from createTracer() (it has no startSpan method)',
    )
  const open = new Map<string, OpenTool>()

  function close(toolCallId: string, apply?: (tool: OpenTool) => void): void {
    const tool = open.get(toolCallId)
    if (!tool) return
    open.delete(toolCallId)
    if (tool.timer) clearTimeout(tool.timer)
    try {
      apply?.(tool)
    } catch {}
    tool.span.end(tool.endTime === undefined ? undefined : { endTime: tool.endTime })
  }

  return {
    async executeTool({ toolCallId, toolCall, execute }) {
      let tracer: Tracer
      let span: Span
      let recordOutputs: boolean
      try {
        tracer = options.tracer ?? getTracer()
        if (!tracer.enabled) return await execute()
        const name = toolCall?.toolName ?? 'unknown'
        const attributes: Record<string, unknown> = {
          [ATTR.operationName]: 'execute_tool',
          [ATTR.toolName]: name,
          [ATTR.toolCallId]: toolCallId,
          [ATTR.toolType]: toolCall?.dynamic ? 'extension' : 'function',
        }
        if ((options.recordInputs ?? tracer.recordInputs) && toolCall)
          attributes[ATTR.toolCallArguments] = safeJson(toolCall.input ?? null)
        span = tracer.startSpan(`execute_tool ${name}`, { kind: 'tool', attributes })
        recordOutputs = options.recordOutputs ?? tracer.recordOutputs
      } catch {
        return await execute()
      }
      let result: Awaited<ReturnType<typeof execute>>
      try {
        result = await tracer.runInSpan(span, execute)
      } catch (error) {
        span.recordError(error)
        span.setAttribute(ATTR.errorType, (error as Error)?.name ?? typeof error)
        span.end({ status: 'error' })
        throw error
      }
      // The result arrives in onToolExecutionEnd, right after this returns.
      const tool: OpenTool = { span, recordOutputs, endTime: now() }
      tool.timer = setTimeout(() => close(toolCallId), END_FALLBACK_MS)
      ;(tool.timer as { unref?: () => void }).unref?.()
      open.set(toolCallId, tool)
      return result
    },

    onToolExecutionEnd(event) {
      const output = event.toolOutput
      close(event.toolCall.toolCallId, (tool) => {
        if (output?.type === 'tool-result' && tool.recordOutputs)
          tool.span.setAttribute(ATTR.toolCallResult, safeJson(output.output ?? null))
      })
    },
  }
}
