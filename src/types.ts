/**
 * Public types of the engine: rules, decisions, the store port and events. The engine
 * (`src/engine/`) knows only the store port, {@link RateLimitStore}: `createRateLimiter` hands it
 * its defaults (a `MemoryStore`, the default `identify`). Adapters know only the limiter.
 */
import type { ConcurrencyEvent, LeaseStore } from './leases.js'

export type {
  Algorithm,
  CalendarPeriod,
  Duration,
  RateLimitRule,
  ResolvedRule,
  StoreAlgorithm,
  StoreErrorPolicy,
} from './rule-types.js'

import type { CalendarPeriod, ResolvedRule, StoreAlgorithm, StoreErrorPolicy } from './rule-types.js'

/** Why a decision is not a plain admission. */
export type DecisionReason =
  /** A rule's budget is spent. */
  | 'limited'
  /** The cost alone is larger than a rule's limit: this request can never be admitted. */
  | 'cost-exceeds-limit'
  /** The store failed or timed out; the answer follows the `onStoreError` policy (see `policy`). */
  | 'store-unavailable'
  /** The circuit breaker is open: the store was not asked; the answer follows the policy. */
  | 'circuit-open'
  /** Refused without the store by usage the `'local'` policy admitted during an outage, still in the window. */
  | 'outage-usage'
  /** A shadow rule would have refused; the request was admitted. */
  | 'shadow'
  /** Refused by the blocked-caller cache (option `blockCache`) without a store call; `rules` lists the blocked rules only. */
  | 'cached'

/** The outcome for one rule of a decision. */
export interface RuleDecision {
  readonly rule: ResolvedRule
  /** Whether this rule alone would admit the request. */
  readonly allowed: boolean
  readonly limit: number
  /** Whole units still available after this request (0 when refused and nothing is left). */
  readonly remaining: number
  /** Milliseconds until this rule's whole budget is back. */
  readonly resetMs: number
  /** Milliseconds until this rule would admit the same request; 0 when it admits. */
  readonly retryAfterMs: number
}

/**
 * The answer to `consume` or `peek`.
 *
 * `limit`, `remaining`, `resetMs` describe the binding rule: the refusing rule with the longest
 * wait, or when admitted, the rule with the fewest units left.
 */
export interface RateLimitDecision {
  readonly allowed: boolean
  readonly limit: number
  readonly remaining: number
  /** Milliseconds until the binding rule's whole budget is back. */
  readonly resetMs: number
  /**
   * 0 when allowed; otherwise milliseconds until this same request would be admitted
   * (`Infinity` when its cost exceeds a limit).
   */
  readonly retryAfterMs: number
  /** The binding rule. */
  readonly rule: ResolvedRule
  /** Every rule's outcome, in the order given (for headers); only the blocked ones when `reason` is `'cached'`. */
  readonly rules: readonly RuleDecision[]
  /** Absent on a normal admission; see {@link DecisionReason}. */
  readonly reason?: DecisionReason
  /** Set when the store was not used as configured: which failure policy answered. */
  readonly policy?: StoreErrorPolicy
  readonly identity: string
  readonly cost: number
}

/** One rule as the store sees it. */
export interface StoreRule {
  /** The full store key (prefix, hash-tagged identity, rule id). */
  readonly key: string
  readonly algorithm: StoreAlgorithm
  readonly limit: number
  /** The window; for a calendar quota its nominal length (the period comes from `calendar`). */
  readonly windowMs: number
  /** Token bucket: the capacity (the most units a full bucket holds). Absent otherwise. */
  readonly burst?: number
  /** Calendar quota: its period, which the store asks for the bounds around its own clock. */
  readonly calendar?: CalendarPeriod
}

/** One independent check inside {@link RateLimitStore.consumeMany}. */
export interface StoreCall {
  readonly rules: readonly StoreRule[]
  readonly cost: number
}

/** What the store reports for one rule. */
export interface StoreRuleResult {
  /**
   * Units used in the window after this call (before it when the call was refused, for every rule).
   * Fractional for the counter; a store may round it up (only `limit − used` rounded down is shown).
   */
  readonly used: number
  /** Milliseconds until this rule would admit `cost`; 0 when it does. */
  readonly retryAfterMs: number
  /** Milliseconds until the whole budget is back. */
  readonly resetMs: number
}

/** What the store reports for one call. */
export interface StoreResult {
  /** True when every rule admitted and the cost was recorded under every key. */
  readonly allowed: boolean
  readonly rules: readonly StoreRuleResult[]
}

/**
 * The store port. A store must evaluate all rules of one call atomically: either every rule
 * admits and `cost` is recorded under every key, or nothing is recorded.
 *
 * Implement it to keep state somewhere other than memory or Redis; run the shared contract suite
 * (`storeContract` from `resolver-rate-limit/testing`) against your store. Concurrency limits
 * need the optional lease methods ({@link LeaseStore}).
 */
export interface RateLimitStore extends LeaseStore {
  /** Checks every rule and, when all admit, records `cost` under every key. */
  consume(rules: readonly StoreRule[], cost: number): Promise<StoreResult> | StoreResult
  /** Checks every rule for `cost` and records nothing. */
  peek(rules: readonly StoreRule[], cost: number): Promise<StoreResult> | StoreResult
  /**
   * Optional: several independent `consume` calls in one round trip (`RedisStore`: one script call
   * per 32 checks). Each call stays atomic on its own. Without it the limiter issues the calls concurrently.
   */
  consumeMany?(calls: readonly StoreCall[]): Promise<StoreResult[]> | StoreResult[]
  /**
   * Optional: gives back up to `cost` units recorded under every key, atomically (needed by
   * `limiter.refund`). Never below zero usage and never creates a key. A sliding log takes the
   * units off its newest live entries (a partly refunded entry keeps the rest of its cost); a
   * counter subtracts them from the current window's count only. Reports each rule's state after
   * the refund: `used`, `resetMs`, and `retryAfterMs` 0; `allowed` is true.
   */
  refund?(rules: readonly StoreRule[], cost: number): Promise<StoreResult> | StoreResult
  /** Forgets the usage recorded under these keys. */
  reset(keys: readonly string[]): Promise<void> | void
  /** Optional health check for your probes (the circuit breaker probes with a `peek` on its own key). */
  ping?(): Promise<void>
  /** Releases timers. Never disconnects a client the user passed in. */
  close?(): Promise<void> | void
  /** Short name for logs and events, e.g. `'memory'`, `'redis'`. */
  readonly kind: string
}

/**
 * Internal (not exported): how the `'local'` failure policy hands its in-process store the usage the
 * main store last reported for a key, so an outage's admissions add up with the store's (`MemoryStore`).
 */
export const SEED_USAGE: unique symbol = Symbol('resolver-rate-limit.seed-usage')

/** A store that can take over usage another store reported (see {@link SEED_USAGE}). */
export interface SeedableStore extends RateLimitStore {
  /** Takes over `used` units of `rule`'s key, all leaving the window `expiresInMs` from now. */
  [SEED_USAGE]?(rule: StoreRule, used: number, expiresInMs: number): void
}

/**
 * Internal (not exported): a synchronous store's `consume` (`record`) or `peek` whose answer is
 * only valid until the store's next call, and may list more rules than were asked about (only the
 * first `rules.length` are). The engine reads it at once: the memory store then allocates nothing.
 */
export const CHECK_TRANSIENT: unique symbol = Symbol('resolver-rate-limit.check-transient')

/** A store with {@link CHECK_TRANSIENT}. */
export interface TransientCheckStore extends RateLimitStore {
  [CHECK_TRANSIENT]?(rules: readonly StoreRule[], cost: number, record: boolean): StoreResult
}

/** Emitted after every decision (when a listener is registered). */
export interface DecisionEvent {
  readonly decision: RateLimitDecision
  /**
   * Milliseconds the store took to answer asynchronously (a Redis round trip, deadline included
   * on failure). 0 when the store was not asked, or answered synchronously (the MemoryStore):
   * timing a call that takes a microsecond would cost more than the call. A `consumeMany` batch is
   * one store call: its time comes with the batch's first decision, the others carry 0, so the
   * non-zero values count round trips and add up to the time spent waiting for the store.
   */
  readonly storeMs: number
  readonly operation: 'consume' | 'peek'
  /** The store failure behind a degraded decision. */
  readonly error?: Error
}

/** Emitted when a store call fails or times out. */
export interface StoreErrorEvent {
  readonly error: Error
  readonly policy: StoreErrorPolicy
}

/** Emitted when the store's health changes (logged once, never per request). */
export interface StoreStateEvent {
  readonly state: 'down' | 'up'
  /** Consecutive failures that opened the breaker, or how long the store was down. */
  readonly failures: number
  readonly downForMs?: number
  readonly error?: Error
}

/** Event names and their payloads. */
export interface RateLimiterEvents {
  decision: DecisionEvent
  /** Every `acquire`, `release` and lost (expired unrenewed) lease of a concurrency limit. */
  concurrency: ConcurrencyEvent
  'store-error': StoreErrorEvent
  'store-state': StoreStateEvent
}

/** A minimal logger; `console` and pino loggers both fit. */
export interface Logger {
  warn(message: string, ...rest: unknown[]): void
  error(message: string, ...rest: unknown[]): void
  info?(message: string, ...rest: unknown[]): void
}
