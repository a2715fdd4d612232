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
 *   from it (see `SEED_USAGE`, which `MemoryStore` implements), so the outage's admissions add up to the limit with
 *   the store's, not on top of them.
 * - **Carry-over.** For one window after the last local admission, a key the local store holds
 *   usage for is checked against both stores, and admitted (and recorded) only if both admit.
 *
 * Calls the store applies after their deadline (Redis cannot take a command back) were answered
 * here as well: they count in both stores, so they can only make the limiter stricter.
 */
import { monotonicNow } from '../clock.js'
import { OldestFirst } from '../oldest-first.js'
import {
  type RateLimitStore,
  SEED_USAGE,
  type SeedableStore,
  type StoreResult,
  type StoreRule,
  type StoreRuleResult,
} from '../types.js'
import type { RuleSubset } from './rule-subset.js'
import { checkStore, isPromise, type Operation } from './store-call.js'

/** Keys whose last reported usage is remembered; past it the oldest is forgotten. */
export const MAX_SEEDS = 10_000

/** The store's last report for a key: `used` units, all gone at `until` (monotonic ms). */
interface Seed {
  used: number
  until: number
}

export class LocalFallback {
  #store: SeedableStore | undefined
  readonly #newStore: () => RateLimitStore
  readonly #timeoutMs: number
  readonly #seeds = new Map<string, Seed>()
  readonly #oldestSeed = new OldestFirst(this.#seeds)
  /** Until when (monotonic ms) usage recorded here during an outage may still be in a window; 0: none. */
  #carryUntil = 0

  /**
   * @param store The `fallbackStore` option, if given.
   * @param newStore Creates the local store on first use when none was given (a `MemoryStore`).
   */
  constructor(store: RateLimitStore | undefined, newStore: () => RateLimitStore, timeoutMs: number) {
    this.#store = store
    this.#newStore = newStore
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
   * Remembers the usage the store reported for the `local` rules, as of `now` (monotonic ms: a batch
   * reads the clock once for all its answers).
   */
  remember(rules: readonly StoreRule[], result: StoreResult, local: RuleSubset, now: number): void {
    const seeds = this.#seeds
    const keys = local.pick(rules)
    const reported = local.pick(result.rules)
    for (let j = 0; j < keys.length; j++) {
      const key = keys[j]!.key
      const { used, resetMs } = reported[j]!
      const seed = seeds.get(key)
      if (seed !== undefined) {
        seed.used = used
        seed.until = now + resetMs
      } else if (used > 0) {
        if (seeds.size >= MAX_SEEDS) this.#oldestSeed.evict()
        seeds.set(key, { used, until: now + resetMs })
      }
    }
  }

  /**
   * Answers for the failing store: the local store alone, starting each key from its seed. A
   * recorded admission keeps the local usage in force for a window after the store is back.
   */
  answer(
    operation: Operation,
    rules: readonly StoreRule[],
    cost: number,
  ): StoreResult | Promise<StoreResult> {
    const store = this.#local()
    this.#seed(store, rules)
    const answer = checkStore(store, operation, rules, cost, this.#timeoutMs)
    if (!isPromise(answer)) return this.#carry(operation, rules, answer)
    return answer.then((result) => this.#carry(operation, rules, result))
  }

  /**
   * While {@link carrying}: the local answer for rules the local store holds usage for (recorded
   * when it admits and the operation is a consume), to be combined with the store's; undefined when
   * it holds none (the store answers alone). Only a synchronous local store that can give units
   * back (the `MemoryStore`) takes part: checking a remote one on every request would double the
   * latency.
   */
  alongside(operation: Operation, rules: readonly StoreRule[], cost: number): StoreResult | undefined {
    const store = this.#store
    if (store === undefined || !this.holds(rules, cost)) return undefined
    this.#seed(store, rules)
    return checkStore(store, operation, rules, cost, this.#timeoutMs) as StoreResult
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

  /**
   * Takes back the units {@link alongside} recorded for a request the store refused or failed. A
   * store that refunds asynchronously and fails keeps them (stricter); `onError` hears why.
   */
  giveBack(rules: readonly StoreRule[], cost: number, onError: (error: unknown) => void): void {
    const pending = this.#store?.refund?.(rules, cost)
    if (isPromise(pending)) pending.catch(onError)
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
    this.#store ??= this.#newStore()
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

  #carry(operation: Operation, rules: readonly StoreRule[], result: StoreResult): StoreResult {
    if (operation === 'consume' && result.allowed) {
      let windowMs = 0
      for (const rule of rules) windowMs = Math.max(windowMs, rule.windowMs)
      this.#carryUntil = Math.max(this.#carryUntil, monotonicNow() + windowMs)
    }
    return result
  }
}

/**
 * The store's result with the local one (for the `local` rules) folded in, rule by rule, the more
 * restrictive number winning.
 */
export function combineResults(store: StoreResult, local: StoreResult, subset: RuleSubset): StoreResult {
  const rules = subset.merge(store.rules, local.rules, stricter)
  return { allowed: store.allowed && local.allowed, rules }
}

function stricter(s: StoreRuleResult, l: StoreRuleResult): StoreRuleResult {
  return {
    used: Math.max(s.used, l.used),
    retryAfterMs: Math.max(s.retryAfterMs, l.retryAfterMs),
    resetMs: Math.max(s.resetMs, l.resetMs),
  }
}
