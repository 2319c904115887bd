// Valid OTLP bodies from the OpenTelemetry SDK's own serializers, as seeds for mutation.
import { context, SpanKind, trace } from '@opentelemetry/api'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'

function otelSpans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'fuzz-seed' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  const tracer = provider.getTracer('fuzz', '1.0.0')
  const root = tracer.startSpan('POST /api/chat', { kind: SpanKind.SERVER })
  const parent = trace.setSpan(context.active(), root)
  const llm = tracer.startSpan(
    'chat gpt-4o',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o',
        'gen_ai.usage.input_tokens': 10,
        'gen_ai.request.temperature': 0.5,
        'gen_ai.response.finish_reasons': ['stop'],
      },
    },
    parent,
  )
  llm.addEvent('first-token', { index: 1 })
  llm.end()
  root.end()
  return exporter.getFinishedSpans()
}

export function seedBodies() {
  const spans = otelSpans()
  return {
    protobuf: ProtobufTraceSerializer.serializeRequest(spans)!,
    json: new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!),
  }
}
