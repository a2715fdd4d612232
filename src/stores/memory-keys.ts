/**
 * The memory store's keys: key → state, at most `maxKeys` of them, the least recently used
 * dropped first (approximately: see {@link MemoryKeys.touch}).
 */
import { OldestFirst } from '../oldest-first.js'
import type { EntryState } from './memory-algorithms.js'

export class MemoryKeys {
  /** Key → state. Read and delete freely; add and refresh through {@link touch}. */
  readonly entries = new Map<string, EntryState>()
  readonly #maxKeys: number
  /** New keys added so far: the clock of the approximate LRU. */
  #arrivals = 0
  readonly #oldest = new OldestFirst(this.entries)

  constructor(maxKeys: number) {
    this.#maxKeys = maxKeys
  }

  /**
   * Keeps `key` → `state` and marks the key recently used. The Map's insertion order is the LRU
   * order (the front is evicted). Moving a key costs a delete and a set, so a key is moved only
   * once half the capacity of new keys has arrived since its last move: a key used since then is
   * still in the newer half and cannot be evicted, and a hot key costs no Map writes.
   */
  touch(key: string, state: EntryState): void {
    const entries = this.entries
    if (state.seen >= 0 && this.#arrivals - state.seen < this.#maxKeys >> 1) return
    const isNew = !entries.delete(key)
    entries.set(key, state)
    if (isNew) {
      this.#arrivals++
      if (entries.size > this.#maxKeys) this.#oldest.evict()
    }
    state.seen = this.#arrivals
  }
}
