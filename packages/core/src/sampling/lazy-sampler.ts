import type { FeatureHelpers } from '../recording-tracer.js'
import type { SpanData } from '../types.js'
import type { ResolvedSampling } from './options.js'
import type { SamplingStats, TraceSampler } from './trace-sampler.js'

/**
 * What the sampler shares with start-up code, handed to it rather than imported by it: esbuild
 * splits a module that start-up and lazy code both import into a chunk of its own, fetched and
 * compressed apart from the entry (see bundle-split.node.test.ts).
 */
export type SamplerShared = Omit<FeatureHelpers, 'lazy'>

type Held =
  | { start: [traceId: string, spanId: string, localRoot: boolean, upstream?: 'kept' | 'dropped'] }
  | { end: SpanData }

// Span starts and ends held while the sampler loads (a local chunk: milliseconds). Past this,
// ended spans are passed on as kept rather than held without bound.
const MAX_HELD = 10_000

/**
 * Trace-complete sampling with the sampler loaded by `import()`, started when the tracer is made:
 * a tracer without `sampling` never ships it, and one with it does not parse it at start-up.
 * Until the load lands, span starts and ends are held in order and replayed into the sampler, so
 * the sampler sees every span; if it cannot load, the held spans and later ones are exported as
 * kept (nothing recorded is lost).
 */
export class LazySampler {
  private sampler: TraceSampler | undefined
  private held: Held[] = []
  private failed = false
  private loading: Promise<void> | undefined
  private readonly load: () => Promise<TraceSampler>

  constructor(
    rules: ResolvedSampling,
    rate: number,
    private readonly release: (span: SpanData) => void,
    private readonly onError: (where: string, error: unknown) => void,
    private readonly helpers: FeatureHelpers,
    warn?: (message: string) => void,
  ) {
    this.load = helpers.lazy(() =>
      import('./trace-sampler.js').then(
        (m) => new m.TraceSampler(rules, rate, release, onError, helpers, warn),
      ),
    )
    void this.ready()
  }

  onStart(
    traceId: string,
    spanId: string,
    localRoot: boolean,
    upstream?: 'kept' | 'dropped',
  ): void {
    if (this.sampler) this.sampler.onStart(traceId, spanId, localRoot, upstream)
    else if (!this.failed && this.held.length < MAX_HELD) {
      this.held.push({ start: [traceId, spanId, localRoot, upstream] })
      void this.ready()
    }
  }

  onEnd(span: SpanData): void {
    if (this.sampler) this.sampler.onEnd(span)
    else if (this.failed || this.held.length >= MAX_HELD) this.release(span)
    else {
      this.held.push({ end: span })
      void this.ready()
    }
  }

  /**
   * Resolves once nothing is held: loaded and replayed, or failed and released; undefined when
   * that is already so (a flush then goes on in the same tick). Never rejects.
   */
  ready(): Promise<void> | undefined {
    if (this.sampler || this.failed) return undefined
    this.loading ??= this.load().then(
      (sampler) => {
        this.sampler = sampler
        this.replay((item) =>
          'start' in item ? sampler.onStart(...item.start) : sampler.onEnd(item.end),
        )
      },
      (error) => {
        this.failed = true
        this.onError('sampling load', error)
        this.replay((item) => {
          if ('end' in item) this.release(item.end)
        })
      },
    )
    return this.loading
  }

  private replay(each: (item: Held) => void) {
    const held = this.held
    this.held = []
    for (const item of held) {
      try {
        each(item)
      } catch (error) {
        this.onError('sampling', error)
      }
    }
  }

  stats(): SamplingStats {
    return (
      this.sampler?.stats() ??
      this.helpers.noSampling(this.held.filter((item) => 'end' in item).length)
    )
  }

  /** At a shutdown that could not wait for the load: forgets what is held; the spans among it. */
  drop(): number {
    const spans = this.held.filter((item) => 'end' in item).length
    this.held = []
    return spans
  }

  /** Decides every open trace with what is known (at shutdown). */
  decideAll(): void {
    this.sampler?.decideAll()
  }
}
