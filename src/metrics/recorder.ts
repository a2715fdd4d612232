import { DECISION_HOOK, type DecisionHook } from '../engine/events.js'
import { describeValue, RateLimitConfigError } from '../errors.js'
import type { ConcurrencyEvent } from '../leases.js'
import type { RateLimiter } from '../limiter.js'
import type { StoreErrorEvent, StoreStateEvent } from '../types.js'
import { decisionListener, type RuleCounts } from './decision-listener.js'

/**
 * How a decision is counted: `allowed`, `limited` (a budget is spent, or the cost exceeds the
 * limit), `degraded` (the store failed or the breaker was open: the `onStoreError` policy
 * answered), `shadow` (a shadow rule would have refused; the request was admitted) or `cached`
 * (refused from the blocked-caller cache without a store call: a flood being absorbed).
 */
export type DecisionOutcome = 'allowed' | 'limited' | 'degraded' | 'shadow' | 'cached'

/** Every outcome, in the order of {@link RuleCounts}. */
export const OUTCOMES: readonly DecisionOutcome[] = ['allowed', 'limited', 'degraded', 'shadow', 'cached']

/** Store error codes kept as label values; anything else is counted as `'other'`. */
export const STORE_ERROR_CODES = ['STORE_TIMEOUT', 'STORE_UNAVAILABLE', 'other'] as const

/** Upper bounds (seconds) of the store latency histogram: the default deadline is 200 ms. */
export const DEFAULT_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1]

/** Store latency, bucketed locally: non-cumulative counts per bucket, then the overflow past the last bound. */
export interface LatencyCounts {
  readonly buckets: Float64Array
  sumSeconds: number
  count: number
}

/** Options shared by the Prometheus and OpenTelemetry adapters. */
export interface RecorderOptions {
  /**
   * Most distinct rule names used as label values; later names are counted under `'other'`.
   * Bounds the number of series when rule names are generated (e.g. GraphQL `bucket` names).
   * @default 200
   */
  maxRuleLabels?: number
  /** Upper bounds of the store latency histogram, in seconds, ascending. @default DEFAULT_LATENCY_BUCKETS */
  buckets?: readonly number[]
}

function validateBuckets(buckets: readonly number[]): readonly number[] {
  const ok =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((b, i) => Number.isFinite(b) && b > 0 && (i === 0 || b > buckets[i - 1]!))
  if (!ok) {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      'Expected `buckets` to be a non-empty ascending list of positive numbers of seconds, e.g. [0.001, 0.01, 0.1]',
    )
  }
  return buckets
}

/**
 * Subscribes through the limiter's positional decision hook (no payload object per decision), or
 * through `on('decision')` for a limiter that has none (another implementation of the interface).
 */
function subscribe(limiter: RateLimiter, hook: DecisionHook): () => void {
  const direct = (limiter as { [DECISION_HOOK]?: (hook: DecisionHook) => () => void })[DECISION_HOOK]
  if (typeof direct === 'function') return direct.call(limiter, hook)
  return limiter.on('decision', (e) => hook(e.decision, e.storeMs, e.operation, e.error))
}

/**
 * Aggregates the limiter's events in plain numbers, so that a decision costs a map look-up and
 * two increments; the Prometheus and OpenTelemetry adapters read these totals when scraped.
 * Calling prom-client or an OTel SDK on every decision (label hashing, allocations) would cost a
 * large share of an in-memory `consume`.
 *
 * Identities are never recorded: only rule names (bounded by `maxRuleLabels`), outcomes and codes.
 */
export class MetricsRecorder {
  /** Rule label → decisions per outcome (consume only: a peek records nothing). */
  readonly decisions = new Map<string, RuleCounts>()
  /** Store latency of every call that reached the store (consume and peek). */
  readonly latency: LatencyCounts
  /** Store errors per code (see {@link STORE_ERROR_CODES}); every code starts at 0 so alerts see a series. */
  readonly storeErrors = new Map<string, number>(STORE_ERROR_CODES.map((code) => [code, 0]))
  /** Times the circuit breaker opened. */
  outages = 0
  readonly bucketsSeconds: readonly number[]
  readonly limiter: RateLimiter
  readonly #boundsMs: Float64Array
  readonly #unsubscribe: Array<() => void>
  readonly #maxLabels: number
  /** Concurrency-limit acquisitions per limit name (label as for rules) and outcome (`OUTCOMES`). */
  readonly concurrency = new Map<string, RuleCounts>()
  /** Leases this process holds now (taken minus released or lost). */
  leasesHeld = 0

  /**
   * Called with each timed store round trip in seconds, in addition to the local buckets: the
   * OpenTelemetry binding records it in its histogram (OTel has no asynchronous histogram).
   */
  onRoundTrip: ((seconds: number) => void) | undefined

  constructor(limiter: RateLimiter, options: RecorderOptions = {}) {
    if (!limiter || typeof limiter.on !== 'function') {
      throw new RateLimitConfigError(
        'INVALID_OPTION',
        'Expected `limiter` to be a limiter from createRateLimiter()',
      )
    }
    const { maxRuleLabels = 200, buckets = DEFAULT_LATENCY_BUCKETS } = options
    if (!Number.isInteger(maxRuleLabels) || maxRuleLabels < 1 || maxRuleLabels > 10_000) {
      throw new RateLimitConfigError(
        'INVALID_OPTION',
        `Expected \`maxRuleLabels\` to be an integer from 1 to 10000, got ${describeValue(maxRuleLabels)}`,
      )
    }
    this.limiter = limiter
    this.bucketsSeconds = validateBuckets(buckets)
    this.#boundsMs = Float64Array.from(this.bucketsSeconds, (s) => s * 1000)
    this.latency = { buckets: new Float64Array(this.bucketsSeconds.length + 1), sumSeconds: 0, count: 0 }
    this.#unsubscribe = [
      subscribe(
        limiter,
        decisionListener({ decisions: this.decisions, maxRuleLabels, observe: (ms) => this.#observe(ms) }),
      ),
      limiter.on('store-error', this.#onStoreError),
      limiter.on('store-state', this.#onStoreState),
      limiter.on('concurrency', this.#onConcurrency),
    ]
    this.#maxLabels = maxRuleLabels
  }

  /** Keys held by the limiter's store when it reports a `size` (the memory store), else undefined. */
  get storeSize(): number | undefined {
    const size = (this.limiter.store as { size?: unknown }).size
    return typeof size === 'number' ? size : undefined
  }

  /** 1 while the circuit breaker is open (the store is considered down), else 0. */
  get circuitOpen(): number {
    return this.limiter.storeState === 'down' ? 1 : 0
  }

  /** Stops listening; the totals stay readable. */
  stop(): void {
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe()
  }

  readonly #onStoreError = (event: StoreErrorEvent): void => {
    const code = (event.error as { code?: unknown }).code
    const label = code === 'STORE_TIMEOUT' || code === 'STORE_UNAVAILABLE' ? code : 'other'
    this.storeErrors.set(label, (this.storeErrors.get(label) ?? 0) + 1)
  }

  readonly #onConcurrency = (event: ConcurrencyEvent): void => {
    const { decision } = event
    if (event.operation !== 'acquire') {
      this.leasesHeld = Math.max(0, this.leasesHeld - 1)
      return
    }
    const { reason, policy } = decision
    if (decision.allowed && reason !== 'shadow' && policy !== 'open') this.leasesHeld += 1
    let label = decision.name.length > 200 ? `${decision.name.slice(0, 200)}…` : decision.name
    if (!this.concurrency.has(label) && this.concurrency.size >= this.#maxLabels) label = 'other'
    let counts = this.concurrency.get(label)
    if (!counts) {
      counts = new Float64Array(OUTCOMES.length)
      this.concurrency.set(label, counts)
    }
    const outcome = policy !== undefined ? 2 : reason === 'shadow' ? 3 : decision.allowed ? 0 : 1
    counts[outcome]! += 1
  }

  readonly #onStoreState = (event: StoreStateEvent): void => {
    if (event.state === 'down') this.outages += 1
  }

  #observe(storeMs: number): void {
    const target = this.latency
    const bounds = this.#boundsMs
    let i = 0
    while (i < bounds.length && storeMs > bounds[i]!) i++
    target.buckets[i]! += 1
    target.sumSeconds += storeMs / 1000
    target.count += 1
    this.onRoundTrip?.(storeMs / 1000)
  }
}
