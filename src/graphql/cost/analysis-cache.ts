/**
 * The bounded store of analysis results: least recently used first out, bounded by entries and by
 * bytes (its own accounting: keys, names and a fixed overhead per entry), so what it retains never
 * depends on what clients send.
 */
import { describeValue, RateLimitConfigError } from '../../errors.js'

/** What the analysis cache holds now, and its bounds. */
export interface AnalysisCacheStats {
  readonly entries: number
  /** Bytes accounted: UTF-16 keys and strings, plus a fixed overhead per entry. */
  readonly bytes: number
  readonly maxEntries: number
  readonly maxBytes: number
}

/** Bounds of the analysis cache. */
export interface AnalysisCacheOptions {
  /**
   * Analysis results kept (one per operation and values of its cost-relevant variables); `0`
   * turns the cache off.
   * @default 1000
   */
  analysisCacheEntries?: number
  /**
   * Bytes the cached results may take, by the cache's own accounting.
   * @default 1048576 (1 MiB)
   */
  analysisCacheBytes?: number
}

/** Map slot, entry object and its numbers: an upper bound of V8's per-entry cost beside the strings. */
export const ENTRY_OVERHEAD_BYTES = 160

interface Slot<V> {
  readonly value: V
  readonly bytes: number
}

function bound(name: string, value: unknown, fallback: number): number {
  const v = value ?? fallback
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `Expected \`${name}\` to be an integer ≥ 0, got ${describeValue(value)}`,
    )
  }
  return v
}

/** A least-recently-used map bounded by entries and by accounted bytes. */
export class AnalysisCache<V> {
  readonly #slots = new Map<string, Slot<V>>()
  readonly maxEntries: number
  readonly maxBytes: number
  #bytes = 0

  /** @throws RateLimitConfigError (`INVALID_OPTION`) naming the bad bound. */
  constructor(options: AnalysisCacheOptions = {}) {
    this.maxEntries = bound('analysisCacheEntries', options.analysisCacheEntries, 1000)
    this.maxBytes = bound('analysisCacheBytes', options.analysisCacheBytes, 1024 * 1024)
  }

  get(key: string): V | undefined {
    const slot = this.#slots.get(key)
    if (!slot) return undefined
    // Most recently used goes last: Map iteration order is the eviction order.
    this.#slots.delete(key)
    this.#slots.set(key, slot)
    return slot.value
  }

  /** Stores `value`, accounted as its key plus `extraChars` characters plus the fixed overhead. */
  set(key: string, value: V, extraChars = 0): void {
    const bytes = ENTRY_OVERHEAD_BYTES + 2 * (key.length + extraChars)
    if (this.maxEntries === 0 || bytes > this.maxBytes) return
    const previous = this.#slots.get(key)
    if (previous) {
      this.#slots.delete(key)
      this.#bytes -= previous.bytes
    }
    this.#slots.set(key, { value, bytes })
    this.#bytes += bytes
    for (const [oldest, slot] of this.#slots) {
      if (this.#slots.size <= this.maxEntries && this.#bytes <= this.maxBytes) break
      this.#slots.delete(oldest)
      this.#bytes -= slot.bytes
    }
  }

  stats(): AnalysisCacheStats {
    return {
      entries: this.#slots.size,
      bytes: this.#bytes,
      maxEntries: this.maxEntries,
      maxBytes: this.maxBytes,
    }
  }
}
