/**
 * Where a response's errors nulled its data. graphql-js answers a field error with `null` at the
 * nearest nullable position of the error's path: everything under that position may have run
 * (sibling fields, list items, their own lists) and none of it shows in `data`. The actual cost
 * counts each field holding such a null at its estimate, so a refund never gives back work that ran.
 */
import type { WorkMeter } from './work-meter.js'

/** The part of a GraphQL error the actual cost reads: its response path. */
export interface ResponseError {
  readonly path?: ReadonlyArray<string | number> | undefined
}

/**
 * The fields whose value, or an item anywhere in whose list value, an error nulled: each as the
 * response object that holds it and its response key.
 */
export class ErrorNulls {
  readonly #keys = new WeakMap<object, Set<string>>()

  /** Whether an error nulled the value at `key` of `object`, or an item inside that value. */
  has(object: object, key: string): boolean {
    return this.#keys.get(object)?.has(key) === true
  }

  #add(object: object, key: string): void {
    let keys = this.#keys.get(object)
    if (!keys) {
      keys = new Set()
      this.#keys.set(object, keys)
    }
    keys.add(key)
  }

  /**
   * Follows each error's path from `data` to the `null` it left. `undefined` when an error cannot
   * be placed (no path, or a path that meets no `null`): what it stopped is unknown, so nothing of
   * the response can be trusted to show the work that ran. One unit of work per path segment.
   */
  static locate(
    data: object,
    errors: readonly ResponseError[] | null | undefined,
    meter: WorkMeter,
  ): ErrorNulls | undefined {
    const nulls = new ErrorNulls()
    for (const error of errors ?? []) {
      const path = error?.path
      if (!Array.isArray(path) || !nulls.#place(data, path, meter)) return undefined
    }
    return nulls
  }

  /** Records the field whose value holds the error's `null`; false when the path meets none. */
  #place(data: object, path: ReadonlyArray<string | number>, meter: WorkMeter): boolean {
    let current: unknown = data
    let owner: object | undefined
    let ownerKey: string | undefined
    for (const segment of path) {
      meter.spend()
      if (current === null || typeof current !== 'object') return false
      let next: unknown
      if (Array.isArray(current)) {
        next = typeof segment === 'number' ? current[segment] : undefined
      } else {
        if (typeof segment !== 'string' || !Object.hasOwn(current, segment)) return false
        owner = current
        ownerKey = segment
        next = (current as Record<string, unknown>)[segment]
      }
      // An item of a list is nulled inside the field that returned the list: that field is charged.
      if (next === null) {
        if (!owner || ownerKey === undefined) return false
        this.#add(owner, ownerKey)
        return true
      }
      current = next
    }
    return false
  }
}
