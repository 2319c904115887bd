import type { lazy } from '../lazy.js'
import type { SpanData } from '../types.js'
import type { ResolvedRedaction } from './options.js'
import type { Redactor } from './redactor.js'

/**
 * Redaction with the redactor (matchers, hashing) loaded by `import()`, started when the tracer is
 * made, so it is not parsed at start-up. Spans that reach the export boundary before the load lands are held, then resumed in
 * order (as many as `bound`; more are dropped as a full queue's are); if it cannot load, they are
 * dropped (a span that could not be redacted never leaves unredacted) and the next span tries again.
 */
export class LazyRedactor {
  /** The redactor, once loaded. */
  loaded: Redactor | undefined
  // Spans waiting for the redactor (counted in the tracer's stats().queued and at exit).
  held: SpanData[] = []
  private loading: Promise<void> | undefined
  private readonly load: () => Promise<Redactor>

  constructor(
    config: ResolvedRedaction,
    private readonly resume: (span: SpanData) => void,
    // `error` the bound when `full`.
    private readonly lost: (spans: number, error: unknown, full?: true) => void,
    // From the tracer (tracer-features.ts), not imported: see `FeatureHelpers`.
    lazyLoad: typeof lazy,
    // The most spans held while the redactor loads.
    private readonly bound: number,
  ) {
    this.load = lazyLoad(() => import('./redactor.js').then((m) => new m.Redactor(config)))
    this.load().then(
      (redactor) => {
        this.loaded ??= redactor
      },
      () => {},
    )
  }

  /** Replacements per rule so far; undefined until the redactor has loaded (the tracer says zeros). */
  get counts(): Record<string, number> | undefined {
    return this.loaded?.counts
  }

  /** Holds a span until the redactor has loaded, then hands it to `resume`; past `bound`, lost. */
  hold(span: SpanData): void {
    if (this.held.length < this.bound) this.held.push(span)
    else this.lost(1, this.bound, true)
    void this.ready()
  }

  /** Resolves once nothing is held; undefined when nothing is. Never rejects. */
  ready(): Promise<void> | undefined {
    if (this.held.length === 0) return undefined
    this.loading ??= this.load().then(
      (redactor) => {
        this.loaded = redactor
        this.flushHeld((span) => this.resume(span))
      },
      (error) => {
        this.loading = undefined
        const spans = this.held.length
        this.held = []
        this.lost(spans, error)
      },
    )
    return this.loading
  }

  private flushHeld(each: (span: SpanData) => void) {
    const held = this.held
    this.held = []
    for (const span of held) each(span)
  }
}
