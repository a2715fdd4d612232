import { monotonicNow } from '../clock.js'
import { describeValue, invalidConfig } from '../errors.js'
import type { LeaseRequest, LeaseResult } from '../leases.js'
import {
  CHECK_TRANSIENT,
  SEED_USAGE,
  type SeedableStore,
  type StoreCall,
  type StoreResult,
  type StoreRule,
  type StoreRuleResult,
} from '../types.js'
import {
  checkRule,
  type EntryState,
  recordRule,
  refundRule,
  seedRule,
  stateFor,
} from './memory-algorithms.js'
import { MemoryKeys } from './memory-keys.js'
import { MemoryLeases } from './memory-leases.js'
import type { RuleCheck } from './memory-log.js'
import type { MemoryStoreOptions } from './memory-store-options.js'

export type { MemoryStoreOptions } from './memory-store-options.js'

/** The answer of {@link MemoryStore}'s `CHECK_TRANSIENT`, reused by the next one. */
const transient = { allowed: true, rules: [] as Array<{ -readonly [K in keyof StoreRuleResult]: number }> }

/** Scratch of one synchronous check (`#check` fills it, `#evaluate` reads it): checks allocate nothing. */
const checks: RuleCheck[] = []
const states: Array<EntryState | undefined> = []

/**
 * Keeps usage in this process: for one server, development and tests, and as the limiter's
 * local fallback when Redis is down. Every call is synchronous, so multi-rule checks are atomic.
 *
 * @example
 * const limiter = createRateLimiter({ store: new MemoryStore({ maxKeys: 50_000 }) })
 */
export class MemoryStore implements SeedableStore {
  readonly kind = 'memory'
  readonly #keys: MemoryKeys
  readonly #entries: Map<string, EntryState>
  readonly #clock: () => number
  /** The latest time read, and how far an injected clock has stepped back in total (see {@link #now}). */
  #last = Number.NEGATIVE_INFINITY
  #stepBack = 0
  #sweeper: NodeJS.Timeout | undefined
  readonly #leases: MemoryLeases

  constructor(options: MemoryStoreOptions = {}) {
    const { maxKeys = 100_000, clock = monotonicNow, sweepIntervalMs = 60_000 } = options
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      invalidConfig(`Expected \`maxKeys\` to be a positive integer, got ${describeValue(maxKeys)}`)
    }
    if (typeof clock !== 'function') invalidConfig('Expected `clock` to be a function returning milliseconds')
    if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 0) {
      invalidConfig(
        `Expected \`sweepIntervalMs\` to be an integer ≥ 0, got ${describeValue(sweepIntervalMs)}`,
      )
    }
    this.#keys = new MemoryKeys(maxKeys)
    this.#entries = this.#keys.entries
    this.#clock = clock
    this.#leases = new MemoryLeases(() => this.#now(), maxKeys)
    if (sweepIntervalMs > 0) {
      this.#sweeper = setInterval(() => this.sweep(), sweepIntervalMs)
      this.#sweeper.unref()
    }
  }

  /** Number of keys currently held (expired ones included until swept or touched). */
  get size(): number {
    return this.#entries.size
  }

  consume(rules: readonly StoreRule[], cost: number): StoreResult {
    return this.#evaluate(rules, cost, true)
  }

  consumeMany(calls: readonly StoreCall[]): StoreResult[] {
    return calls.map((call) => this.#evaluate(call.rules, call.cost, true))
  }

  peek(rules: readonly StoreRule[], cost: number): StoreResult {
    return this.#evaluate(rules, cost, false)
  }

  /**
   * Internal: `consume` (`record`) or `peek` — checks every rule, then (all admitting and
   * recording) records under every key — answered in an object the next call reuses.
   */
  [CHECK_TRANSIENT](rules: readonly StoreRule[], cost: number, record: boolean): StoreResult {
    // A subclass or a spy (`vi.spyOn(store, 'consume')`) that replaced the port's method is called.
    if (record ? this.consume !== ownConsume : this.peek !== ownPeek) {
      return record ? this.consume(rules, cost) : this.peek(rules, cost)
    }
    return this.#checkTransient(rules, cost, record)
  }

  #checkTransient(rules: readonly StoreRule[], cost: number, record: boolean): StoreResult {
    const now = this.#now()
    const allowed = this.#check(rules, cost, now)
    const results = transient.rules
    while (results.length < rules.length) results.push({ used: 0, retryAfterMs: 0, resetMs: 0 })
    for (let i = 0; i < rules.length; i++) {
      const c = checks[i]!
      const r = results[i]!
      // A refused call records nothing: every rule reports its usage without this request.
      r.used = allowed ? c.usedAfter : c.used
      r.retryAfterMs = allowed ? 0 : c.retryAfterMs
      r.resetMs = allowed ? c.resetAfterMs : c.resetMs
      if (record) this.#record(rules[i]!, states[i], allowed, now, cost)
      states[i] = undefined
    }
    transient.allowed = allowed
    return transient
  }

  /**
   * Gives back up to `cost` units under every key (see `RateLimitStore.refund`): a log from its
   * newest entries, a counter from its current window, a bucket its tokens, a quota from its
   * period's count. Creates no key; drops a log left empty and a bucket left full.
   */
  refund(rules: readonly StoreRule[], cost: number): StoreResult {
    const now = this.#now()
    const results: StoreRuleResult[] = new Array(rules.length)
    const out: RuleCheck = { used: 0, resetMs: 0, retryAfterMs: 0, usedAfter: 0, resetAfterMs: 0 }
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!
      let state = this.#entries.get(rule.key)
      if (state !== undefined && state.expiresAt <= now) state = undefined
      if (refundRule(rule, stateFor(rule, state), now, cost, out)) this.#entries.delete(rule.key)
      results[i] = { used: out.used, retryAfterMs: 0, resetMs: out.resetMs }
    }
    return { allowed: true, rules: results }
  }

  /**
   * Takes over usage another store reported for a key with no live state here (a key with some is
   * left alone): `used` units, all leaving the window `expiresInMs` from now (that store's reset).
   */
  [SEED_USAGE](rule: StoreRule, used: number, expiresInMs: number): void {
    const now = this.#now()
    const state = this.#entries.get(rule.key)
    if ((state !== undefined && state.expiresAt > now) || used <= 0 || expiresInMs <= 0) return
    const seeded = seedRule(rule, now, used, expiresInMs)
    this.#entries.delete(rule.key)
    this.#keys.touch(rule.key, seeded)
  }

  reset(keys: readonly string[]): void {
    for (const key of keys) {
      this.#entries.delete(key)
      this.#leases.reset(key)
    }
  }

  /** Concurrency limits: see `LeaseStore` (leases are kept apart from usage, by key). */
  acquireLease(lease: LeaseRequest): LeaseResult {
    return this.#leases.acquire(lease)
  }

  renewLease(lease: LeaseRequest): boolean {
    return this.#leases.renew(lease)
  }

  releaseLease(key: string, id: string): void {
    this.#leases.release(key, id)
  }

  /** Drops every expired key now. */
  sweep(): void {
    const now = this.#now()
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key)
    this.#leases.sweep()
  }

  close(): void {
    if (this.#sweeper) clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  /**
   * The store's time: the clock's, shifted by every step back it has taken, so it never goes back.
   * A clock set back an hour would otherwise keep each entry recorded before the step in its window
   * for an hour more; absorbed, the step costs nothing. (A step forward cannot be told from time
   * passing: the default monotonic clock never takes one.)
   */
  #now(): number {
    const now = this.#clock() + this.#stepBack
    if (now < this.#last) {
      this.#stepBack += this.#last - now
      return this.#last
    }
    this.#last = now
    return now
  }

  /** {@link CHECK_TRANSIENT}'s answer, copied. */
  #evaluate(rules: readonly StoreRule[], cost: number, record: boolean): StoreResult {
    const answer = this.#checkTransient(rules, cost, record)
    const results: StoreRuleResult[] = new Array(rules.length)
    for (let i = 0; i < rules.length; i++) {
      const { used, retryAfterMs, resetMs } = answer.rules[i]!
      results[i] = { used, retryAfterMs, resetMs }
    }
    return { allowed: answer.allowed, rules: results }
  }

  /** Fills `checks` and `states` for every rule; true when every rule admits. */
  #check(rules: readonly StoreRule[], cost: number, now: number): boolean {
    while (checks.length < rules.length) {
      checks.push({ used: 0, resetMs: 0, retryAfterMs: 0, usedAfter: 0, resetAfterMs: 0 })
    }
    let allowed = true
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!
      let state = this.#entries.get(rule.key)
      if (state !== undefined && state.expiresAt <= now) state = undefined
      state = stateFor(rule, state)
      checkRule(rule, state, now, cost, checks[i]!)
      states[i] = state
      if (checks[i]!.retryAfterMs !== 0) allowed = false
    }
    return allowed
  }

  #record(rule: StoreRule, state: EntryState | undefined, allowed: boolean, now: number, cost: number): void {
    const next = allowed ? recordRule(rule, state, now, cost) : state
    // A refused key is touched too: a caller hammering it must not be evicted as least recently used.
    if (next !== undefined) this.#keys.touch(rule.key, next)
  }
}

const ownConsume = MemoryStore.prototype.consume
const ownPeek = MemoryStore.prototype.peek
