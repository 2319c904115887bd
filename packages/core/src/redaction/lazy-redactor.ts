import type { lazy } from '../lazy.js'
import type { SpanData } from '../types.js'
import type { ResolvedRedaction } from './options.js'
import type { Redactor } from './redactor.js'

/**
 * Redaction with the redactor (matchers, hashing) loaded by `import()`, started when the tracer is
 * made, so it is not parsed at start-up. Spans that reach the export boundary before the load lands are held, then resumed in
 * order; if it cannot load, they are dropped (a span that could not be redacted never leaves
 * unredacted) and the next span tries again.
 */
export class LazyRedactor {
  /** The redactor, once loaded. */
  loaded: Redactor | undefined
  private held: SpanData[] = []
  private loading: Promise<void> | undefined
  private readonly load: () => Promise<Redactor>

  constructor(
    config: ResolvedRedaction,
    private readonly resume: (span: SpanData) => void,
    private readonly lost: (spans: number, error: unknown) => void,
    // From the tracer (tracer-features.ts), not imported: see `FeatureHelpers`.
    lazyLoad: typeof lazy,
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

  /** Holds a span until the redactor has loaded, then hands it to `resume`. */
  hold(span: SpanData): void {
    this.held.push(span)
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
