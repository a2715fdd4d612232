/**
 * The limiter's public interface and the options of its calls (`createRateLimiter` builds the
 * `Engine` that implements it).
 */
import type { Identify } from '../identity/types.js'
import type { ConcurrencyDecision, ConcurrencyLimit } from '../leases.js'
import type { RateLimitDecision, RateLimiterEvents, RateLimitRule, RateLimitStore } from '../types.js'
import type { RateLimitUsage } from './usage.js'

/** Options of one `consume`, `peek` or `refund` call. */
export interface ConsumeOptions {
  /** Units this request uses: a positive integer. @default 1 */
  cost?: number
}

/** One request of {@link RateLimiter.consumeMany}. */
export interface ConsumeRequest {
  identity: string
  rules: Rules
  cost?: number
}

/** Rules accepted by the limiter: one rule or a list checked atomically. */
export type Rules = RateLimitRule | readonly RateLimitRule[]

/** The engine shared by the GraphQL directive and the tRPC middleware. */
export interface RateLimiter {
  /** Checks every rule and records `cost` under all of them only if all admit. Never rejects because a limit was hit. */
  consume(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision>
  /**
   * Several independent `consume` calls (e.g. every limited field of one GraphQL operation) in as
   * few store round trips as the store allows: `RedisStore` packs the checks of one tick into
   * script calls of up to 32 checks (per hash tag on a Cluster), sent together. Each request stays
   * atomic on its own; decisions come back in order.
   */
  consumeMany(requests: readonly ConsumeRequest[]): Promise<RateLimitDecision[]>
  /**
   * The decision `consume` would make now for a request of `cost` (default 1), recording nothing:
   * would it be admitted, and what would be left *after* it. With nothing used under a rule of
   * limit 5, `peek` answers `remaining: 4`. For the state as it stands, use {@link usage}.
   */
  peek(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision>
  /**
   * The state of this identity's budgets as it stands, recording nothing: per rule `used`,
   * `remaining` (units a request could use now) and when the whole budget is back (`resetMs`,
   * `resetsAt`). With nothing used under a rule of limit 5: `used: 0, remaining: 5`. One store
   * call on every store; no failure policy (like `reset` and `refund`): rejects with a
   * `StoreError` when the store fails, times out or is down. Emits no `decision` event.
   *
   * @example
   * const { used, remaining, resetsAt } = await limiter.usage('user:42', daily)
   * console.log(`${used} used, ${remaining} left, full again at ${new Date(resetsAt).toISOString()}`)
   */
  usage(identity: string, rules: Rules): Promise<RateLimitUsage>
  /**
   * Takes one of `max` slots of this identity and name, across every process sharing the store,
   * or is refused (`allowed` false, nothing held). An admitted caller holds a lease until it calls
   * `release()` (idempotent) or its `signal` aborts; the lease renews itself meanwhile, and expires
   * `leaseMs` after its holder died. Never rejects because the limit was hit; store failures are
   * answered by `onStoreError` (`reason`, `policy`). One store call (one Redis script) each way.
   *
   * @example
   * const slot = await limiter.acquire('user:42', { name: 'Mutation.export', max: 2 })
   * if (!slot.allowed) throw new Error('Too many exports running')
   * try { await runExport() } finally { await slot.release() }
   */
  acquire(identity: string, limit: ConcurrencyLimit): Promise<ConcurrencyDecision>
  /** Forgets the usage recorded for this identity under these rules. */
  reset(identity: string, rules: Rules): Promise<void>
  /**
   * Gives back up to `cost` units recorded for this identity under every rule, atomically — e.g.
   * a charge estimated too high. Never below zero usage, never another identity's units. A
   * sliding log gives back its newest entries (a partly refunded entry keeps the rest of its
   * cost); a counter gives back only from its current window. Resolves with the state after the
   * refund (`allowed` true, `remaining` units available now). Rejects with a `StoreError` when
   * the store fails (no failure policy: a refund is not on a request's critical path), and with
   * `INVALID_OPTION` when the store has no `refund`.
   *
   * @example
   * const charged = await limiter.consume('user:42', budget, { cost: 62 })
   * if (charged.allowed && charged.reason === undefined) await limiter.refund('user:42', budget, { cost: 42 })
   */
  refund(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision>
  /** The store keys this identity uses for these rules (for operators and tests). */
  keys(identity: string, rules: Rules): string[]
  /** Subscribes to an event; returns the unsubscribe function. Listeners must not throw. */
  on<E extends keyof RateLimiterEvents>(
    event: E,
    listener: (payload: RateLimiterEvents[E]) => void,
  ): () => void
  /** Turns a request context into the caller; adapters use it unless given their own. */
  readonly identify: Identify
  /** `'down'` while the circuit breaker is open. */
  readonly storeState: 'up' | 'down'
  readonly store: RateLimitStore
  /** Releases timers. Never disconnects a Redis client you passed in. */
  close(): Promise<void>
}
