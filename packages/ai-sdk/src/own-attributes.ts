import type { OwnAttributes } from './convert.js'

// A span's own attributes are written into one object key by key: the request's as the span opens,
// the rest as it ends (see LlmCall's and AiCall's `opening`). An object literal has room inside it
// for its own keys only: every key added past them went to a property array beside it, grown three
// slots at a time and copied each time (an LLM span's 20-odd keys: ~0.45 KB of garbage and ~40 ns
// per span). An object a constructor function makes starts with room inside it for as many keys as
// the engine counts assigned to `this` in the function's body (V8 counts them in a branch never
// taken, too), trimmed after the first few objects to the most they used: the keys then go inside
// the object as an object literal's do. The prototype stays Object.prototype: core adopts only
// plain objects as a span's attribute object (see setTrustedAttributes).
function LlmAttributes(this: Record<string, number>): void {
  if (LlmAttributes === undefined) {
    this.a0 = this.a1 = this.a2 = this.a3 = this.a4 = this.a5 = this.a6 = this.a7 = 0
    this.b0 = this.b1 = this.b2 = this.b3 = this.b4 = this.b5 = this.b6 = this.b7 = 0
    this.c0 = this.c1 = this.c2 = this.c3 = this.c4 = this.c5 = this.c6 = this.c7 = 0
    this.d0 = this.d1 = this.d2 = this.d3 = this.d4 = this.d5 = this.d6 = this.d7 = 0
  }
}
LlmAttributes.prototype = Object.prototype

function CallAttributes(this: Record<string, number>): void {
  if (CallAttributes === undefined) {
    this.a0 = this.a1 = this.a2 = this.a3 = this.a4 = this.a5 = this.a6 = this.a7 = 0
    this.b0 = this.b1 = this.b2 = this.b3 = this.b4 = this.b5 = this.b6 = this.b7 = 0
  }
}
CallAttributes.prototype = Object.prototype

type Make = new () => OwnAttributes

/** An empty object for an LLM span's own attributes (see above). */
export const llmAttributes = (): OwnAttributes => new (LlmAttributes as unknown as Make)()

/** An empty object for a call span's own attributes (see above). */
export const callAttributes = (): OwnAttributes => new (CallAttributes as unknown as Make)()
