import { describeValue, RateLimitConfigError } from '../errors.js'
import type { RateLimitStore, StoreCall, StoreResult, StoreRule, StoreRuleResult } from '../types.js'
import { type CounterState, type EntryState, type LogState, slidingLog, slidingWindow } from './memory-algorithms.js'

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Most keys (identity × rule) kept; past it the least recently used key is dropped. This bounds
   * memory when an attacker sprays unique identities.
   * @default 100_000
   */
  maxKeys?: number
  /**
   * The clock, in milliseconds. Inject one in tests instead of sleeping.
   * @default Date.now
   */
  clock?: () => number
  /**
   * How often expired keys are swept, in milliseconds (an `unref`'d timer; `0` disables it —
   * expired keys are also dropped whenever they are touched).
   * @default 60_000
   */
  sweepIntervalMs?: number
}

/**
 * Keeps usage in this process: for one server, development and tests, and as the limiter's
 * local fallback when Redis is down. Every call is synchronous, so multi-rule checks are atomic.
 *
 * @example
 * const limiter = createRateLimiter({ store: new MemoryStore({ maxKeys: 50_000 }) })
 */
export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory'
  readonly #entries = new Map<string, EntryState>()
  readonly #maxKeys: number
  readonly #clock: () => number
  #sweeper: NodeJS.Timeout | undefined

  constructor(options: MemoryStoreOptions = {}) {
    const { maxKeys = 100_000, clock = Date.now, sweepIntervalMs = 60_000 } = options
    if (!Number.isInteger(maxKeys) || maxKeys < 1) {
      throw new RateLimitConfigError('INVALID_OPTION', `Expected \`maxKeys\` to be a positive integer, got ${describeValue(maxKeys)}`)
    }
    if (typeof clock !== 'function') {
      throw new RateLimitConfigError('INVALID_OPTION', 'Expected `clock` to be a function returning milliseconds')
    }
    if (!Number.isInteger(sweepIntervalMs) || sweepIntervalMs < 0) {
      throw new RateLimitConfigError('INVALID_OPTION', `Expected \`sweepIntervalMs\` to be an integer ≥ 0, got ${describeValue(sweepIntervalMs)}`)
    }
    this.#maxKeys = maxKeys
    this.#clock = clock
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

  reset(keys: readonly string[]): void {
    for (const key of keys) this.#entries.delete(key)
  }

  /** Drops every expired key now. */
  sweep(): void {
    const now = this.#clock()
    for (const [key, entry] of this.#entries) if (entry.expiresAt <= now) this.#entries.delete(key)
  }

  close(): void {
    if (this.#sweeper) clearInterval(this.#sweeper)
    this.#sweeper = undefined
  }

  #evaluate(rules: readonly StoreRule[], cost: number, record: boolean): StoreResult {
    const now = this.#clock()
    const results: StoreRuleResult[] = []
    const pending: Array<() => EntryState> = []
    let allowed = true
    for (const rule of rules) {
      let state = this.#entries.get(rule.key)
      if (state && state.expiresAt <= now) state = undefined
      const outcome =
        rule.algorithm === 'sliding-log'
          ? slidingLog(state?.kind === 'log' ? (state as LogState) : undefined, now, rule.limit, rule.windowMs, cost)
          : slidingWindow(state?.kind === 'counter' ? (state as CounterState) : undefined, now, rule.limit, rule.windowMs, cost)
      results.push(outcome.result)
      allowed &&= outcome.admit
      pending.push(outcome.apply)
    }
    if (allowed && record) {
      for (let i = 0; i < rules.length; i++) this.#store(rules[i]!.key, pending[i]!())
    }
    return { allowed, rules: results }
  }

  #store(key: string, state: EntryState): void {
    // Re-inserting moves the key to the end of the Map's order: the front is least recently used.
    this.#entries.delete(key)
    this.#entries.set(key, state)
    if (this.#entries.size > this.#maxKeys) {
      const oldest = this.#entries.keys().next().value
      if (oldest !== undefined) this.#entries.delete(oldest)
    }
  }
}
