import type { OwnAttributes } from './convert.js'

// A span's own attributes are written into one object key by key: the request's as the span opens,
// the rest as it ends (see LlmCall's and AiCall's `opening`). An object literal has room inside it
// for its own keys only: every key added past them went to a property array beside it, grown three
// slots at a time and copied each time (an LLM span's 20-odd keys: ~0.45 KB of garbage and ~40 ns
// per span). An object a constructor function makes starts with room inside it for as many keys as
// the engine counts assigned to `this` in the function's body (V8 counts them in a branch never
// taken, too), trimmed after the first few objects to the most they used: the keys then go inside
// the object as an object literal's do. The prototype stays Object.prototype: core adopts only
// plain objects as a span's attribute object (see setTrustedAttributes). V8 gives room for 8 keys
// more than it counts: 32 for an LLM span (20 to 30 keys), 16 for a call span (10 to 15).
function LlmAttributes(this: Record<string, number>): void {
  if (LlmAttributes === undefined) {
    this.a =
      this.b =
      this.c =
      this.d =
      this.e =
      this.f =
      this.g =
      this.h =
      this.i =
      this.j =
      this.k =
      this.l =
      this.m =
      this.n =
      this.o =
      this.p =
      this.q =
      this.r =
      this.s =
      this.t =
      this.u =
      this.v =
      this.w =
      this.x =
        0
  }
}
LlmAttributes.prototype = Object.prototype

function CallAttributes(this: Record<string, number>): void {
  if (CallAttributes === undefined)
    this.a = this.b = this.c = this.d = this.e = this.f = this.g = this.h = 0
}
CallAttributes.prototype = Object.prototype

type Make = new () => OwnAttributes

/** An empty object for an LLM span's own attributes (see above). */
export const llmAttributes = (): OwnAttributes => new (LlmAttributes as unknown as Make)()

/** An empty object for a call span's own attributes (see above). */
export const callAttributes = (): OwnAttributes => new (CallAttributes as unknown as Make)()
