// The types the public declarations give, written here rather than imported from
// `@ai-sdk/provider`: an app on ai@5 has @ai-sdk/provider@2 installed, one on ai@6 has v3, one on
// ai@7 has v4, and no single version of that package declares the V2, V3 and V4 specifications at
// once (v2 has no V3/V4 types, v4 declares Node >= 22). So the declarations are structural: each
// says only what every major's own types agree with, and the one type that must be the installed
// SDK's own (the telemetry integration) is read from the installed `ai`, which is our peer.
import type * as AI from 'ai'

/** A language or embedding model as every AI SDK major shapes it (V2, V3 or V4 specification). */
export interface ModelLike {
  readonly provider: string
  readonly modelId: string
}

/**
 * The middleware `tracingMiddleware()` returns: one object that `wrapLanguageModel` of ai@7
 * (`LanguageModelV4Middleware`), ai@6 (`V3`) and ai@5 (`V2`) each accept, whichever is installed.
 * Each wrapper hands back what the model's own call gave (a stream's parts pass through untouched).
 */
export interface TracingMiddleware {
  /**
   * `'v4'` at run time. Typed `any` because ai@6 requires `'v3'` here, ai@7 any string and ai@5
   * nothing: no literal type satisfies the three (their intersection is `never`).
   */
  readonly specificationVersion: any
  wrapGenerate<RESULT>(options: {
    doGenerate: () => PromiseLike<RESULT>
    params: object
    model: ModelLike
  }): Promise<RESULT>
  wrapStream<RESULT extends { stream: ReadableStream<any> }>(options: {
    doStream: () => PromiseLike<RESULT>
    params: object
    model: ModelLike
  }): Promise<RESULT>
}

/**
 * The middleware `embeddingTracingMiddleware()` returns: `wrapEmbeddingModel` of ai@7
 * (`EmbeddingModelV4Middleware`) and ai@6 (`V3`) accept it.
 */
export interface EmbeddingTracingMiddleware {
  /** `'v4'` at run time; typed `any` as `TracingMiddleware['specificationVersion']` is. */
  readonly specificationVersion: any
  wrapEmbed<RESULT>(options: {
    doEmbed: () => PromiseLike<RESULT>
    params: object
    model: ModelLike
  }): Promise<RESULT>
}

/** A language model of any AI SDK major: what `traceModel` takes (and gives back, typed as given). */
export interface LanguageModelLike extends ModelLike {
  readonly specificationVersion: 'v2' | 'v3' | 'v4'
  doGenerate(options: never): PromiseLike<unknown>
  doStream(options: never): PromiseLike<unknown>
}

/** The handlers of a telemetry integration, where the installed `ai` declares none (ai@5). */
export interface TelemetryHandlers {
  [handler: string]: ((event: any) => PromiseLike<void> | void) | undefined
}

type Installed = typeof AI

/**
 * What `tokentrailTelemetry()` returns: the installed AI SDK's own integration type — ai@7's
 * `Telemetry` (what `registerTelemetry` and `telemetry: { integrations }` take), ai@6's
 * `TelemetryIntegration` (`registerTelemetryIntegration`, `experimental_telemetry: { integrations }`)
 * — so that an app's additions (`Object.assign(tokentrailTelemetry(), { onStart })`) are checked
 * against the SDK's handler types. ai@5 has no integrations: there it is `TelemetryHandlers`.
 */
export type TokentrailTelemetry = Installed extends {
  registerTelemetry: (...integrations: infer LIST extends readonly unknown[]) => unknown
}
  ? LIST[number]
  : Installed extends { registerTelemetryIntegration: (integration: infer ONE) => unknown }
    ? ONE
    : TelemetryHandlers
