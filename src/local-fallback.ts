/**
 * The in-process limiter of the `'local'` failure policy, kept honest across an outage.
 *
 * Answering alone, a local store starting empty lets one key through up to twice its limit in a
 * window: the store had admitted part of the window before the outage and the local store does
 * not know it; once the store is back, it does not know what the local store admitted meanwhile.
 * (Reproduced against a real Redis: 17 of 10 across a hang, 24 of 10 across a kill and restart.)
 * Two measures close both gaps:
 *
 * - **Seeds.** The usage the store last reported for each key (up to {@link MAX_SEEDS} keys) is
 *   remembered with the time it is all gone (its reset). The first local answer for a key starts
 *   from it (see `MemoryStore[SEED_USAGE]`), so the outage's admissions add up to the limit with
 *   the store's, not on top of them.
 * - **Carry-over.** For one window after the last local admission, a key the local store holds
 *   usage for is checked against both stores, and admitted (and recorded) only if both admit.
 *
 * Calls the store applies after their deadline (Redis cannot take a command back) were answered
 * here as well: they count in both stores, so they can only make the limiter stricter.
 */
import { monotonicNow } from './clock.js'
import { isPromise, withDeadline } from './deadline.js'
import { MemoryStore, SEED_USAGE } from './stores/memory-store.js'
import type { RateLimitStore, StoreResult, StoreRule, StoreRuleResult } from './types.js'

/** Keys whose last reported usage is remembered; past it the oldest is forgotten. */
export const MAX_SEEDS = 10_000

/** The store's last report for a key: `used` units, all gone at `until` (monotonic ms). */
interface Seed {
  used: number
  until: number
}

/** A store that can take over usage reported by another (the `MemoryStore`). */
type SeedableStore = RateLimitStore & {
  [SEED_USAGE]?: (rule: StoreRule, used: number, expiresInMs: number) => void
}

export class LocalFallback {
  #store: SeedableStore | undefined
  readonly #timeoutMs: number
  readonly #seeds = new Map<string, Seed>()
  /** Until when (monotonic ms) usage recorded here during an outage may still be in a window; 0: none. */
  #carryUntil = 0

  constructor(store: RateLimitStore | undefined, timeoutMs: number) {
    this.#store = store
    this.#timeoutMs = timeoutMs
  }

  /** True while usage admitted here during an outage may still count in some window. */
  get carrying(): boolean {
    if (this.#carryUntil === 0) return false
    if (monotonicNow() < this.#carryUntil) return true
    this.#carryUntil = 0
    return false
  }

  /**
   * Remembers the usage the store reported for the rules at `at` (all when undefined), as of `now`
   * (monotonic ms: a batch reads the clock once for all its answers).
   */
  remember(
    rules: readonly StoreRule[],
    result: StoreResult,
    at: readonly number[] | undefined,
    now: number,
  ): void {
    const seeds = this.#seeds
    const count = at === undefined ? rules.length : at.length
    for (let j = 0; j < count; j++) {
      const i = at === undefined ? j : at[j]!
      const key = rules[i]!.key
      const { used, resetMs } = result.rules[i]!
      const seed = seeds.get(key)
      if (seed !== undefined) {
        seed.used = used
        seed.until = now + resetMs
      } else if (used > 0) {
        if (seeds.size >= MAX_SEEDS) seeds.delete(seeds.keys().next().value!)
        seeds.set(key, { used, until: now + resetMs })
      }
    }
  }

  /**
   * Answers for the failing store: the local store alone, starting each key from its seed. A
   * recorded admission keeps the local usage in force for a window after the store is back.
   */
  answer(record: boolean, rules: readonly StoreRule[], cost: number): StoreResult | Promise<StoreResult> {
    const store = this.#local()
    this.#seed(store, rules)
    const pending = record ? store.consume(rules, cost) : store.peek(rules, cost)
    if (!isPromise(pending)) return this.#carry(record, rules, pending)
    return withDeadline(pending, this.#timeoutMs, store.kind).then((result) =>
      this.#carry(record, rules, result),
    )
  }

  /**
   * While {@link carrying}: the local answer for rules the local store holds usage for (recorded
   * when it admits and `record`), to be combined with the store's; undefined when it holds none
   * (the store answers alone). Only a synchronous local store that can give units back (the
   * `MemoryStore`) takes part: checking a remote one on every request would double the latency.
   */
  alongside(record: boolean, rules: readonly StoreRule[], cost: number): StoreResult | undefined {
    const store = this.#store
    if (store === undefined || !this.holds(rules, cost)) return undefined
    this.#seed(store, rules)
    return (record ? store.consume(rules, cost) : store.peek(rules, cost)) as StoreResult
  }

  /**
   * True when the local store holds usage under any of the rules' keys and takes part in the
   * carry-over: it answers synchronously and can give units back (the `MemoryStore`).
   */
  holds(rules: readonly StoreRule[], cost: number): boolean {
    const store = this.#store
    if (store?.refund === undefined) return false
    const held = store.peek(rules, cost)
    if (isPromise(held)) return false
    // An admissible peek reports usage with its own cost; a refused one, without.
    const own = held.allowed ? cost : 0
    return held.rules.some((r) => r.used - own > 0)
  }

  /** Takes back a unit recorded by {@link alongside} for a request the store refused or failed. */
  giveBack(rules: readonly StoreRule[], cost: number): void {
    const pending = this.#store?.refund?.(rules, cost)
    // A store that refunds asynchronously and fails keeps the unit: stricter, never an unhandled rejection.
    if (isPromise(pending)) pending.catch(() => {})
  }

  /** Forgets local usage and seeds too, so a reset is not undone by the next outage. */
  async reset(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#seeds.delete(key)
    await this.#store?.reset(keys)
  }

  async close(): Promise<void> {
    await this.#store?.close?.()
  }

  /** Created on first use: a healthy store never pays for the fallback's memory. */
  #local(): SeedableStore {
    this.#store ??= new MemoryStore()
    return this.#store
  }

  /** Hands the local store the live seeds of the rules (it ignores keys it holds usage for). */
  #seed(store: SeedableStore, rules: readonly StoreRule[]): void {
    const seed = store[SEED_USAGE]
    if (seed === undefined || this.#seeds.size === 0) return
    const now = monotonicNow()
    for (const rule of rules) {
      const known = this.#seeds.get(rule.key)
      if (known !== undefined && known.until > now) seed.call(store, rule, known.used, known.until - now)
    }
  }

  #carry(record: boolean, rules: readonly StoreRule[], result: StoreResult): StoreResult {
    if (record && result.allowed) {
      let windowMs = 0
      for (const rule of rules) windowMs = Math.max(windowMs, rule.windowMs)
      this.#carryUntil = Math.max(this.#carryUntil, monotonicNow() + windowMs)
    }
    return result
  }
}

/**
 * The store's result with the local one folded in, rule by rule, the more restrictive number
 * winning (`at` maps the local rules to the store's; all rules when undefined).
 */
export function combineResults(
  store: StoreResult,
  local: StoreResult,
  at: readonly number[] | undefined,
): StoreResult {
  const rules: StoreRuleResult[] = [...store.rules]
  local.rules.forEach((l, j) => {
    const i = at === undefined ? j : at[j]!
    const s = rules[i]!
    rules[i] = {
      used: Math.max(s.used, l.used),
      retryAfterMs: Math.max(s.retryAfterMs, l.retryAfterMs),
      resetMs: Math.max(s.resetMs, l.resetMs),
    }
  })
  return { allowed: store.allowed && local.allowed, rules }
}
