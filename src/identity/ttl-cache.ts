import { monotonicNow } from '../clock.js'
import { OldestFirst } from '../oldest-first.js'

/**
 * A bounded cache with a time to live: at most `maxEntries` entries (least recently used dropped
 * first), each valid for `ttlMs` after it was stored. A `Map` keeps insertion order, which makes
 * re-inserting on read an LRU.
 */
export class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expires: number }>()
  readonly #oldest = new OldestFirst(this.#entries)
  readonly #ttlMs: number
  readonly #maxEntries: number
  readonly #clock: () => number

  constructor(ttlMs: number, maxEntries: number, clock: () => number = monotonicNow) {
    this.#ttlMs = ttlMs
    this.#maxEntries = maxEntries
    this.#clock = clock
  }

  /** The live value under `key`, or `undefined` (an expired entry is dropped). */
  get(key: string): V | undefined {
    const entry = this.#entries.get(key)
    if (!entry) return undefined
    this.#entries.delete(key)
    if (entry.expires <= this.#clock()) return undefined
    this.#entries.set(key, entry)
    return entry.value
  }

  /** Stores `value` for `ttlMs`, dropping the least recently used entry when full. */
  set(key: string, value: V): void {
    this.#entries.delete(key)
    if (this.#entries.size >= this.#maxEntries) this.#oldest.evict()
    this.#entries.set(key, { value, expires: this.#clock() + this.#ttlMs })
  }

  /** Forgets one entry (e.g. after revoking a key in this process). */
  delete(key: string): void {
    this.#entries.delete(key)
  }

  /** Number of entries held (expired ones included until read). */
  get size(): number {
    return this.#entries.size
  }
}
