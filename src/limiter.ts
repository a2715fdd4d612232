import { CircuitBreaker, stateChangeMessage } from './circuit-breaker.js'
import { monotonicNow } from './clock.js'
import { asError, isPromise, withDeadline } from './deadline.js'
import { makeDecision, ruleDecisions } from './decision.js'
import { StoreError } from './errors.js'
import { FailurePolicy } from './failure-policy.js'
import { createIdentify } from './identity/identify.js'
import type { Identify } from './identity/types.js'
import { keyBase, StoreRuleCache } from './keys.js'
import type { ConsumeOptions, ConsumeRequest, RateLimiter, Rules } from './limiter-api.js'
import { callStoreBatch, groupByIdentity } from './limiter-batch.js'
import { DECISION_HOOK, type DecisionHook, LimiterEvents } from './limiter-events.js'
import {
  type RateLimiterOptions,
  type ResolvedLimiterOptions,
  resolveLimiterOptions,
} from './limiter-options.js'
import { checkIdentity, type Prepared, prepareRequest } from './limiter-request.js'
import { resolveRules } from './options.js'
import { refundUsage } from './refund.js'
import { admitShadow } from './shadow-admit.js'
import type {
  RateLimitDecision,
  RateLimiterEvents,
  RateLimitStore,
  RuleDecision,
  StoreResult,
  StoreRule,
} from './types.js'

export type { ConsumeOptions, ConsumeRequest, RateLimiter, Rules } from './limiter-api.js'

/** True for a request of this identity that needs the store (no early answer). */
function forStoreOf(identity: string): (p: Prepared) => boolean {
  return (p) => p.early === undefined && p.identity === identity
}

const PROBE_RULE: StoreRule = { key: 'probe', algorithm: 'sliding-window', limit: 1, windowMs: 1_000 }

class Limiter implements RateLimiter {
  readonly #o: ResolvedLimiterOptions
  readonly #breaker: CircuitBreaker | undefined
  readonly #events: LimiterEvents
  readonly #policy: FailurePolicy
  readonly #storeRules: StoreRuleCache
  readonly identify: Identify

  constructor(options: RateLimiterOptions | undefined) {
    this.#o = resolveLimiterOptions(options)
    this.#storeRules = new StoreRuleCache(this.#o.prefix)
    this.identify = this.#o.identify ?? createIdentify()
    this.#events = new LimiterEvents(this.#o.logger)
    this.#policy = new FailurePolicy(this.#o.onStoreError, this.#o.timeoutMs, this.#o.fallbackStore)
    if (this.#o.circuitBreaker) {
      this.#breaker = new CircuitBreaker(
        this.#o.circuitBreaker,
        () => this.#probe(),
        (event) => {
          if (this.#o.logger)
            this.#o.logger.warn(stateChangeMessage(this.#o.store.kind, this.#o.onStoreError, event))
          this.#emit('store-state', event)
        },
      )
    }
  }

  get store(): RateLimitStore {
    return this.#o.store
  }

  get storeState(): 'up' | 'down' {
    return this.#breaker?.isOpen ? 'down' : 'up'
  }

  consume(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision> {
    return this.#decide(true, identity, rules, options?.cost)
  }

  peek(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision> {
    return this.#decide(false, identity, rules, options?.cost)
  }

  /** Rejects with a {@link StoreError} when the store fails, times out or is known to be down. */
  async reset(identity: string, rules: Rules): Promise<void> {
    const keys = this.keys(identity, rules)
    await this.#policy.reset(keys)
    const store = this.#o.store
    if (this.#breaker?.isOpen) {
      throw new StoreError(
        'STORE_UNAVAILABLE',
        `The ${store.kind} store is down (circuit open); usage was not reset`,
      )
    }
    try {
      const pending = store.reset(keys)
      if (isPromise(pending)) await withDeadline(pending, this.#o.timeoutMs, store.kind)
    } catch (error) {
      this.#breaker?.failure(asError(error))
      throw error
    }
  }

  refund(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision> {
    try {
      const context = { store: this.#o.store, timeoutMs: this.#o.timeoutMs, breaker: this.#breaker }
      return refundUsage(context, prepareRequest(this.#storeRules, identity, rules, options?.cost))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  keys(identity: string, rules: Rules): string[] {
    checkIdentity(identity)
    const base = keyBase(this.#o.prefix, identity)
    return resolveRules(rules).map((rule) => base + rule.id)
  }

  on<E extends keyof RateLimiterEvents>(
    event: E,
    listener: (payload: RateLimiterEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener)
  }

  async close(): Promise<void> {
    this.#breaker?.close()
    await this.#policy.close()
    await this.#o.store.close?.()
  }

  async consumeMany(requests: readonly ConsumeRequest[]): Promise<RateLimitDecision[]> {
    const prepared = requests.map((r) => prepareRequest(this.#storeRules, r.identity, r.rules, r.cost))
    const batched = this.#o.store.consumeMany !== undefined && !this.#breaker?.isOpen
    // After an outage, a check of a key the local fallback still counts usage for runs alone (#run).
    const alone = this.#policy.carrying ? prepared.map((p) => this.#policy.holds(p)) : undefined
    // The usual case (a GraphQL operation's checks): one caller, every request for the store.
    if (
      batched &&
      prepared.length > 1 &&
      !alone?.includes(true) &&
      prepared.every(forStoreOf(prepared[0]!.identity))
    )
      return this.#batch(prepared)
    const groups = groupByIdentity(prepared, alone)
    // Several callers (e.g. the checks of concurrent operations): one promise per identity's batch,
    // none per request.
    const decided: Array<RateLimitDecision | Promise<RateLimitDecision>> = new Array(prepared.length)
    const batches: Array<Promise<void>> = []
    for (const group of groups) {
      if (batched && group.length > 1) {
        const settled = this.#batch(group.map((at) => prepared[at]!)).then((decisions) => {
          for (let i = 0; i < group.length; i++) decided[group[i]!] = decisions[i]!
        })
        batches.push(settled)
      } else for (const at of group) decided[at] = this.#run(true, prepared[at]!)
    }
    for (let at = 0; at < prepared.length; at++)
      if (prepared[at]!.early || alone?.[at]) decided[at] = this.#run(true, prepared[at]!)
    if (batches.length > 0) await Promise.all(batches)
    return decided.some(isPromise) ? Promise.all(decided) : (decided as RateLimitDecision[])
  }

  /**
   * Several requests of one identity in one store round trip: their decisions, in order. One
   * promise for the group, not one per request.
   */
  async #batch(group: readonly Prepared[]): Promise<RateLimitDecision[]> {
    const timed = this.#events.has('decision')
    const answer = await callStoreBatch(this.#o.store, this.#o.timeoutMs, timed, group)
    // One store call, one round trip: its time goes with the first decision only (see DecisionEvent).
    const storeMs = (i: number) => (i === 0 ? answer.storeMs : 0)
    if (answer.results === undefined) {
      const failure = this.#failed(answer.error)
      return Promise.all(
        group.map(async (p, i) =>
          this.#emitDecision(
            true,
            await this.#policy.answer(true, p, 'store-unavailable'),
            storeMs(i),
            failure,
          ),
        ),
      )
    }
    this.#breaker?.success()
    const results = answer.results
    // A round trip's answers are remembered for the local fallback, with one clock read for all.
    const now = answer.asynchronous ? monotonicNow() : 0
    const decisions = group.map((p, i) =>
      this.#settle(true, p, now ? this.#policy.remember(p, results[i]!, now) : results[i]!, storeMs(i)),
    )
    // A decision is a promise only when a shadow rule refused (see #settle).
    return decisions.some(isPromise) ? Promise.all(decisions) : (decisions as RateLimitDecision[])
  }

  #decide(record: boolean, identity: string, rules: Rules, cost?: number): Promise<RateLimitDecision> {
    try {
      return this.#run(record, prepareRequest(this.#storeRules, identity, rules, cost))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * One request through the store. Not `async`: a synchronous store (MemoryStore) is answered
   * without a microtask hop per `await`, and a Redis answer settles in one `then`.
   */
  #run(record: boolean, p: Prepared): Promise<RateLimitDecision> {
    if (p.early) {
      if (!this.#onlyShadowRefused(p.early.rules))
        return Promise.resolve(this.#emitDecision(record, p.early, 0))
      // The cost is above shadow limits only: admit, and still check the enforced rules.
      return this.#admitShadow(record, p, p.early.rules, true).then((d) => this.#emitDecision(record, d, 0))
    }
    if (this.#breaker?.isOpen) return this.#degraded(record, p, 'circuit-open', 0)
    // After an outage, a key the local fallback counted usage for must be admitted by both stores.
    const local = this.#policy.carrying ? this.#policy.alongside(record, p) : undefined
    if (local?.allowed === false) {
      return Promise.resolve(this.#emitDecision(record, this.#policy.refusedAlongside(p, local), 0))
    }
    let pending: StoreResult | Promise<StoreResult>
    try {
      pending = this.#call(this.#o.store, record, p.storeRules, p.cost)
    } catch (error) {
      this.#policy.giveBack(record, p, local)
      return this.#degraded(record, p, 'store-unavailable', 0, error)
    }
    if (!isPromise(pending)) {
      this.#breaker?.success()
      // A synchronous store (MemoryStore) cannot be out of reach: its answers are not remembered.
      const answered = local ? this.#policy.combine(record, p, local, pending) : pending
      return Promise.resolve(this.#settle(record, p, answered, 0))
    }
    // Only a round trip is timed: a synchronous store (MemoryStore) has already answered, and two
    // clock reads would cost more than its answer did (metrics must stay nearly free).
    const started = this.#events.has('decision') ? performance.now() : 0
    return pending.then(
      (result) => {
        this.#breaker?.success()
        const answered = this.#answered(record, p, result, local)
        return this.#settle(record, p, answered, started ? performance.now() - started : 0)
      },
      (error: unknown) => {
        this.#policy.giveBack(record, p, local)
        return this.#degraded(record, p, 'store-unavailable', started, error)
      },
    )
  }

  /**
   * The store's result as the decision sees it: combined with the local fallback's answer when
   * the key was checked there too, else remembered as that key's last known usage (a consume's
   * only: an admissible peek reports usage with a cost that was not recorded).
   */
  #answered(record: boolean, p: Prepared, result: StoreResult, local: StoreResult | undefined): StoreResult {
    if (local) return this.#policy.combine(record, p, local, result)
    return record ? this.#policy.remember(p, result) : result
  }

  /** The failure policy's answer; with `error`, the store failure is recorded first. */
  async #degraded(
    record: boolean,
    p: Prepared,
    reason: 'circuit-open' | 'store-unavailable',
    started: number,
    error?: unknown,
  ): Promise<RateLimitDecision> {
    const failure = error === undefined ? undefined : this.#failed(error)
    const degraded = await this.#policy.answer(record, p, reason)
    return this.#emitDecision(record, degraded, started ? performance.now() - started : 0, failure)
  }

  /** Store answer → decision, applying shadow rules (a promise only when a shadow rule refused). */
  #settle(
    record: boolean,
    p: Prepared,
    result: StoreResult,
    storeMs: number,
  ): RateLimitDecision | Promise<RateLimitDecision> {
    const perRule = ruleDecisions(p.resolved, result)
    if (!result.allowed && this.#onlyShadowRefused(perRule)) {
      return this.#admitShadow(record, p, perRule).then((decision) =>
        this.#emitDecision(record, decision, storeMs),
      )
    }
    const reason = result.allowed ? undefined : 'limited'
    return this.#emitDecision(
      record,
      makeDecision(p.identity, p.cost, perRule, result.allowed, reason),
      storeMs,
    )
  }

  /** Records a store failure: breaker, event. */
  #failed(error: unknown): Error {
    const failure = asError(error)
    this.#breaker?.failure(failure)
    this.#emit('store-error', { error: failure, policy: this.#o.onStoreError })
    return failure
  }

  #call(
    store: RateLimitStore,
    record: boolean,
    rules: readonly StoreRule[],
    cost: number,
  ): StoreResult | Promise<StoreResult> {
    const pending = record ? store.consume(rules, cost) : store.peek(rules, cost)
    return isPromise(pending) ? withDeadline(pending, this.#o.timeoutMs, store.kind) : pending
  }

  #onlyShadowRefused(rules: readonly RuleDecision[]): boolean {
    return this.#o.shadow || rules.every((r) => r.allowed || r.rule.shadow)
  }

  /** A shadow rule refused: admit (see `shadow-admit.ts`), still enforcing the other rules. */
  #admitShadow(
    record: boolean,
    p: Prepared,
    perRule: readonly RuleDecision[],
    unchecked = false,
  ): Promise<RateLimitDecision> {
    const check = (rules: readonly StoreRule[], cost: number) =>
      this.#call(this.#o.store, record, rules, cost)
    return admitShadow(p, perRule, { allShadow: this.#o.shadow, record, unchecked, check })
  }

  /**
   * The breaker's background probe: a `peek` on the limiter's own probe key, i.e. the very path
   * requests take (script included), not a PING — a Redis Cluster answers PING while it refuses
   * commands with CLUSTERDOWN during a failover, and a restarted Redis answers PING before the
   * script is loaded again (the probe loads it).
   */
  async #probe(): Promise<void> {
    const store = this.#o.store
    const pending = store.peek([{ ...PROBE_RULE, key: `${this.#o.prefix}{probe}:probe` }], 1)
    if (isPromise(pending)) await withDeadline(pending, this.#o.timeoutMs, store.kind)
  }

  #emitDecision(
    record: boolean,
    decision: RateLimitDecision,
    storeMs: number,
    error?: Error,
  ): RateLimitDecision {
    this.#events.decision(decision, storeMs, record, error)
    return decision
  }

  #emit<E extends 'store-error' | 'store-state'>(event: E, payload: RateLimiterEvents[E]): void {
    this.#events.emit(event, payload)
  }

  /** Internal: a positional `decision` listener, no payload object per decision (the metrics bindings). */
  [DECISION_HOOK](hook: DecisionHook): () => void {
    return this.#events.hook(hook)
  }
}

/**
 * Creates the rate limiter: rules → one atomic store call → decision, with a deadline on every
 * store call and an explicit policy when the store fails.
 *
 * @example
 * const limiter = createRateLimiter({ store: new RedisStore({ client: redis }) })
 * const decision = await limiter.consume('user:42', { name: 'Query.search', limit: 10, window: '1m' })
 * if (!decision.allowed) console.log(`retry in ${decision.retryAfterMs} ms`)
 */
export function createRateLimiter(options?: RateLimiterOptions): RateLimiter {
  return new Limiter(options)
}
