/**
 * One request's path through the engine, top-down:
 *
 *   run: answered early (a cost above a limit), from the blocked-caller cache (block-cache.ts), by
 *   the failure policy (breaker open), or by the
 *   store: one call, under the deadline (store-call.ts), checked against the local fallback's
 *   usage too for a while after an outage (failure-policy.ts)
 *     ├ #settle: store numbers → decision (decision.ts); refused by shadow rules only →
 *     │  #admitShadow (shadow-admit.ts)
 *     └ the store failed → #degraded: the failure policy's answer
 *   then #emitDecision: the `decision` event (events.ts)
 *
 * `batch` is the same path for several consumes of one identity in one store call.
 */
import { monotonicNow } from '../clock.js'
import type { DecisionReason, RateLimitDecision, RuleDecision, StoreResult } from '../types.js'
import type { BlockCache } from './block-cache.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import { callStoreBatch } from './consume-many.js'
import { makeDecision, ruleDecisions } from './decision.js'
import type { LimiterEvents } from './events.js'
import type { FailurePolicy } from './failure-policy.js'
import type { ResolvedLimiterOptions } from './limiter-options.js'
import { afterEnforcedCheck, enforcedRules, onlyShadowRefused, shadowAdmission } from './shadow-admit.js'
import { asError, checkStore, checkStoreAtOnce, isPromise, type Operation } from './store-call.js'
import type { StoreRequest } from './store-request.js'

/** Milliseconds since `started` (a `performance.now()` reading), or 0 when nothing was timed. */
const elapsedSince = (started: number): number => (started ? performance.now() - started : 0)

/** What the flow shares with the engine that built it. */
export interface FlowParts {
  readonly events: LimiterEvents
  readonly policy: FailurePolicy
  readonly breaker: CircuitBreaker | undefined
  readonly cache: BlockCache | undefined
}

export class RequestFlow {
  readonly #o: ResolvedLimiterOptions
  readonly #events: LimiterEvents
  readonly #policy: FailurePolicy
  readonly #breaker: CircuitBreaker | undefined
  readonly #cache: BlockCache | undefined

  constructor(options: ResolvedLimiterOptions, parts: FlowParts) {
    this.#o = options
    this.#events = parts.events
    this.#policy = parts.policy
    this.#breaker = parts.breaker
    this.#cache = parts.cache
  }

  /** A refusal from the blocked-caller cache (emitted), or undefined when the store must answer. */
  cached(operation: Operation, request: StoreRequest): RateLimitDecision | undefined {
    const decision = this.#cache?.answer(request)
    return decision && this.#emitDecision(operation, decision, 0)
  }

  /**
   * One request through the store. Not `async`: a synchronous store (MemoryStore) is answered
   * without a microtask hop per `await`, and a Redis answer settles in one `then`.
   */
  run(operation: Operation, request: StoreRequest): Promise<RateLimitDecision> {
    if (request.early) return this.#answerEarly(operation, request, request.early)
    const cached = this.cached(operation, request)
    if (cached) return Promise.resolve(cached)
    if (this.#breaker?.isOpen) return this.#degraded(operation, request, 'circuit-open', 0)
    // After an outage, a key the local fallback counted usage for must be admitted by both stores.
    const local = this.#policy.carrying ? this.#policy.alongside(operation, request) : undefined
    if (local?.allowed === false) {
      return Promise.resolve(this.#emitDecision(operation, this.#policy.refusedAlongside(request, local), 0))
    }
    // The cache learns a refusal's block from the time read before the call (see block-cache.ts).
    const cache = this.#cache
    const sentAt = cache ? cache.sentAt() : Number.NaN
    let answer: StoreResult | Promise<StoreResult>
    try {
      const check = local ? checkStore : checkStoreAtOnce // #settle reads an answer at once
      answer = check(this.#o.store, operation, request.storeRules, request.cost, this.#o.timeoutMs)
    } catch (error) {
      return this.#storeFailed(operation, request, local, 0, error)
    }
    if (!isPromise(answer)) {
      if (cache) cache.learning = false
      this.#breaker?.success()
      // A synchronous store (MemoryStore) cannot be out of reach: its answers are not remembered.
      const result = local ? this.#policy.combine(operation, request, local, answer) : answer
      return Promise.resolve(this.#settle(operation, request, result, 0))
    }
    // Only a round trip is timed: two clock reads cost more than a synchronous store answer does.
    const started = this.#events.has('decision') ? performance.now() : 0
    return answer.then(
      (result) => {
        this.#breaker?.success()
        if (cache && !local) cache.learn(request, result, sentAt)
        const answered = this.#answered(operation, request, result, local)
        return this.#settle(operation, request, answered, elapsedSince(started))
      },
      (error: unknown) => this.#storeFailed(operation, request, local, started, error),
    )
  }

  /** Known without the store: a cost above a limit is refused — admitted if only shadow limits are exceeded. */
  #answerEarly(
    operation: Operation,
    request: StoreRequest,
    early: RateLimitDecision,
  ): Promise<RateLimitDecision> {
    if (!onlyShadowRefused(early.rules, this.#o.shadow)) {
      return Promise.resolve(this.#emitDecision(operation, early, 0))
    }
    return this.#admitShadow(operation, request, early.rules, 0)
  }

  /**
   * The store's result as the decision sees it: combined with the local fallback's answer when
   * the key was checked there too, else remembered as that key's last known usage (a consume's
   * only: an admissible peek reports usage with a cost that was not recorded).
   */
  #answered(
    operation: Operation,
    request: StoreRequest,
    result: StoreResult,
    local?: StoreResult,
  ): StoreResult {
    if (local) return this.#policy.combine(operation, request, local, result)
    return operation === 'consume' ? this.#policy.remember(request, result) : result
  }

  /** Store answer → decision (a promise only when a shadow rule refused: see {@link #admitShadow}). */
  #settle(
    operation: Operation,
    request: StoreRequest,
    result: StoreResult,
    storeMs: number,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    const perRule = ruleDecisions(request.resolved, result)
    if (!result.allowed && onlyShadowRefused(perRule, this.#o.shadow)) {
      return this.#admitShadow(operation, request, perRule, storeMs)
    }
    const { identity, cost } = request
    const reason = result.allowed ? undefined : 'limited'
    return this.#emitDecision(
      operation,
      makeDecision(identity, cost, perRule, result.allowed, reason),
      storeMs,
    )
  }

  /**
   * Refused by shadow rules only: admitted, and the other rules still enforced — a consume records
   * the cost under them, and a request the store has not seen (`early`) is checked against them.
   * A failure of that store call admits, as the shadow rule asked, and is reported like any other.
   */
  #admitShadow(
    operation: Operation,
    request: StoreRequest,
    perRule: readonly RuleDecision[],
    storeMs: number,
  ): Promise<RateLimitDecision> {
    const enforced = enforcedRules(request.resolved, this.#o.shadow)
    if (enforced.isEmpty || (operation === 'peek' && request.early === undefined)) {
      return Promise.resolve(this.#emitDecision(operation, shadowAdmission(request, perRule), storeMs))
    }
    const { store, timeoutMs } = this.#o
    const rules = enforced.pick(request.storeRules)
    return new Promise<StoreResult>((resolve) =>
      resolve(checkStore(store, operation, rules, request.cost, timeoutMs)),
    ).then(
      (answer) =>
        this.#emitDecision(operation, afterEnforcedCheck(request, perRule, enforced, answer), storeMs),
      (error) =>
        this.#emitDecision(operation, shadowAdmission(request, perRule), storeMs, this.#failed(error)),
    )
  }

  /** A store call failed: what the local fallback recorded alongside goes back; the failure policy answers. */
  #storeFailed(
    operation: Operation,
    request: StoreRequest,
    local: StoreResult | undefined,
    started: number,
    error: unknown,
  ): Promise<RateLimitDecision> {
    this.#policy.giveBack(operation, request, local)
    return this.#degraded(operation, request, 'store-unavailable', started, error)
  }

  /** The failure policy's answer; with `error`, the store failure is recorded first. */
  async #degraded(
    operation: Operation,
    request: StoreRequest,
    reason: DecisionReason,
    started: number,
    error?: unknown,
  ): Promise<RateLimitDecision> {
    const failure = error === undefined ? undefined : this.#failed(error)
    const decision = await this.#policy.answer(operation, request, reason)
    return this.#emitDecision(operation, decision, elapsedSince(started), failure)
  }

  /** Several consumes of one identity in one store call: their decisions, in order; one promise for all. */
  async batch(batch: readonly StoreRequest[]): Promise<RateLimitDecision[]> {
    const cache = this.#cache
    const sentAt = cache ? cache.sentAt() : Number.NaN
    const answer = await callStoreBatch(this.#o.store, this.#o.timeoutMs, this.#events.has('decision'), batch)
    // One store call, one round trip: its time goes with the first decision only (see DecisionEvent).
    const storeMs = (i: number) => (i === 0 ? answer.storeMs : 0)
    if (answer.results === undefined) {
      const failure = this.#failed(answer.error)
      return Promise.all(
        batch.map(async (request, i) => {
          const decision = await this.#policy.answer('consume', request, 'store-unavailable')
          return this.#emitDecision('consume', decision, storeMs(i), failure)
        }),
      )
    }
    this.#breaker?.success()
    const results = answer.results
    // A round trip's answers are remembered for the local fallback, with one clock read for all.
    const now = answer.asynchronous ? monotonicNow() : 0
    if (cache && !answer.asynchronous) cache.learning = false // a synchronous answer is not learned
    const decisions = batch.map((request, i) => {
      if (answer.asynchronous) cache?.learn(request, results[i]!, sentAt)
      const result = now ? this.#policy.remember(request, results[i]!, now) : results[i]!
      return this.#settle('consume', request, result, storeMs(i))
    })
    // A decision is a promise only when a shadow rule refused (see {@link #settle}).
    return decisions.some(isPromise) ? Promise.all(decisions) : (decisions as RateLimitDecision[])
  }

  /** Records a store failure: breaker, event. */
  #failed(error: unknown): Error {
    const failure = asError(error)
    this.#breaker?.failure(failure)
    this.#events.emit('store-error', { error: failure, policy: this.#o.onStoreError })
    return failure
  }

  #emitDecision(
    operation: Operation,
    decision: RateLimitDecision,
    storeMs: number,
    error?: Error,
  ): RateLimitDecision {
    this.#events.decision(decision, storeMs, operation, error)
    return decision
  }
}
