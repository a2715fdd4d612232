/**
 * A cache keyed by a pair of objects that holds nothing its keys would not: plans, overrides and
 * rule lists are the application's own objects, so what is derived from them lives as long as they
 * do and no longer.
 */
export class WeakPairCache<A extends object, B extends object, V extends object> {
  readonly #byFirst = new WeakMap<A, WeakMap<B, V>>()

  /** The value for `(a, b)`, computed once. */
  get(a: A, b: B, compute: () => V): V {
    let bySecond = this.#byFirst.get(a)
    if (!bySecond) {
      bySecond = new WeakMap()
      this.#byFirst.set(a, bySecond)
    }
    const hit = bySecond.get(b)
    if (hit !== undefined) return hit
    const value = compute()
    bySecond.set(b, value)
    return value
  }
}
