/**
 * The limiter's public interface and the options of its calls (`createRateLimiter` in
 * `limiter.ts` implements it).
 */
import type { Identify } from './identity/types.js'
import type { RateLimitDecision, RateLimiterEvents, RateLimitRule, RateLimitStore } from './types.js'

/** Options of one `consume` or `peek` call. */
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
  /** The decision `consume` would make now, recording nothing. */
  peek(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision>
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
