/**
 * The engine behind `createRateLimiter`: the limiter's methods, and what they share — the store,
 * the circuit breaker, the failure policy, the events.
 *
 *   consume / peek → #decide: validate, find the store keys (store-request.ts) → one request's
 *     path (request-flow.ts)
 *   consumeMany → refusals the blocked-caller cache knows (block-cache.ts), then the requests of one
 *     identity as one store batch (consume-many.ts)
 *   usage / refund / reset → a direct store call, outside the failure policy (direct-call.ts)
 */
import { keyBase, StoreRuleCache } from '../keys.js'
import type { ConcurrencyDecision, ConcurrencyLimit } from '../leases.js'
import { resolveRules } from '../rules.js'
import type { RateLimitDecision, RateLimiterEvents, RateLimitStore, StoreRule } from '../types.js'
import { BlockCache } from './block-cache.js'
import { CircuitBreaker, stateChangeMessage } from './circuit-breaker.js'
import { Concurrency } from './concurrency.js'
import { pickAt, planConsumeMany } from './consume-many.js'
import { callStoreDirectly, type DirectCallContext } from './direct-call.js'
import { DECISION_HOOK, type DecisionHook, LimiterEvents } from './events.js'
import { FailurePolicy } from './failure-policy.js'
import type { ConsumeOptions, ConsumeRequest, RateLimiter, Rules } from './limiter-api.js'
import type { ResolvedLimiterOptions } from './limiter-options.js'
import { refundUsage } from './refund.js'
import { RequestFlow } from './request-flow.js'
import { asError, type Operation, withinDeadline } from './store-call.js'
import { checkIdentity, prepareRequest, type StoreRequest } from './store-request.js'
import { type RateLimitUsage, readUsage } from './usage.js'

const PROBE_RULE: StoreRule = { key: 'probe', algorithm: 'sliding-window', limit: 1, windowMs: 1_000 }

export class Engine implements RateLimiter {
  readonly #o: ResolvedLimiterOptions
  readonly #breaker: CircuitBreaker | undefined
  readonly #events: LimiterEvents
  readonly #policy: FailurePolicy
  readonly #storeRules: StoreRuleCache
  readonly #flow: RequestFlow
  readonly #direct: DirectCallContext
  readonly #concurrency: Concurrency
  readonly #cache: BlockCache | undefined
  /** The last request of cost 1 built: a caller's checks come in runs (see `StoreRuleCache`). */
  #last: StoreRequest | undefined
  readonly identify: RateLimiter['identify']

  constructor(options: ResolvedLimiterOptions) {
    const o = options
    this.#o = o
    this.identify = o.identify
    this.#storeRules = new StoreRuleCache(o.prefix)
    this.#events = new LimiterEvents(o.logger)
    this.#policy = new FailurePolicy({
      policy: o.onStoreError,
      timeoutMs: o.timeoutMs,
      localStore: o.fallbackStore,
      newLocalStore: o.newLocalStore,
      // The fallback store failed too (the request was admitted 'open'): reported, never swallowed.
      onLocalError: (error) => this.#emit('store-error', { error: asError(error), policy: 'open' }),
    })
    this.#breaker = o.circuitBreaker
      ? new CircuitBreaker(
          o.circuitBreaker,
          () => this.#probe(),
          (event) => {
            if (o.logger) o.logger.warn(stateChangeMessage(o.store.kind, o.onStoreError, event))
            this.#emit('store-state', event)
          },
        )
      : undefined
    this.#cache = o.blockCache ? new BlockCache(o.blockCache) : undefined
    const parts = { events: this.#events, policy: this.#policy, breaker: this.#breaker, cache: this.#cache }
    this.#flow = new RequestFlow(o, parts)
    this.#direct = { store: o.store, timeoutMs: o.timeoutMs, breaker: this.#breaker }
    this.#concurrency = new Concurrency(o, { events: this.#events, breaker: this.#breaker })
  }

  get store(): RateLimitStore {
    return this.#o.store
  }

  get storeState(): 'up' | 'down' {
    return this.#breaker?.isOpen ? 'down' : 'up'
  }

  consume(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision> {
    return this.#decide('consume', identity, rules, options?.cost)
  }

  peek(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision> {
    return this.#decide('peek', identity, rules, options?.cost)
  }

  async consumeMany(requests: readonly ConsumeRequest[]): Promise<RateLimitDecision[]> {
    const prepared = requests.map((r) => prepareRequest(this.#storeRules, r.identity, r.rules, r.cost))
    if (this.#cache === undefined || this.#cache.size === 0) return this.#consumeMany(prepared)
    // Refusals the blocked-caller cache knows are answered here; the rest go to the store.
    const decisions = prepared.map((r) => (r.early ? undefined : this.#flow.cached('consume', r)))
    const rest: number[] = []
    for (let at = 0; at < decisions.length; at++) if (decisions[at] === undefined) rest.push(at)
    if (rest.length === prepared.length) return this.#consumeMany(prepared)
    const answers = rest.length > 0 ? await this.#consumeMany(pickAt(prepared, rest)) : []
    rest.forEach((at, i) => {
      decisions[at] = answers[i]
    })
    return decisions as RateLimitDecision[]
  }

  async #consumeMany(prepared: StoreRequest[]): Promise<RateLimitDecision[]> {
    const canBatch = this.#o.store.consumeMany !== undefined && !this.#breaker?.isOpen
    // After an outage, a key the local fallback still counts usage for is checked alone (RequestFlow.run).
    const runsAlone = this.#policy.carrying ? (r: StoreRequest) => this.#policy.holds(r) : undefined
    const plan = planConsumeMany(prepared, canBatch, runsAlone)
    // The usual case (a GraphQL operation's checks): one caller, one batch, in order.
    if (plan.oneBatch) return this.#flow.batch(prepared)
    const { batches, alone } = plan
    // Several callers (the checks of concurrent operations): one promise per batch, one for the rest.
    const parts = batches.map((positions) => ({
      positions,
      answer: this.#flow.batch(pickAt(prepared, positions)),
    }))
    if (alone.length > 0) {
      const answer = Promise.all(alone.map((at) => this.#flow.run('consume', prepared[at]!)))
      parts.push({ positions: alone, answer })
    }
    const answers = await Promise.all(parts.map((part) => part.answer))
    const decisions: RateLimitDecision[] = new Array(prepared.length)
    answers.forEach((answer, k) => {
      parts[k]!.positions.forEach((at, i) => {
        decisions[at] = answer[i]!
      })
    })
    return decisions
  }

  acquire(identity: string, limit: ConcurrencyLimit): Promise<ConcurrencyDecision> {
    return this.#concurrency.acquire(identity, limit)
  }

  async usage(identity: string, rules: Rules): Promise<RateLimitUsage> {
    return readUsage(this.#direct, prepareRequest(this.#storeRules, identity, rules))
  }

  async refund(identity: string, rules: Rules, options?: ConsumeOptions): Promise<RateLimitDecision> {
    const request = prepareRequest(this.#storeRules, identity, rules, options?.cost)
    const keys = request.storeRules.map((rule) => rule.key)
    this.#cache?.forget(keys)
    try {
      return await refundUsage(this.#forgetting(keys), request)
    } finally {
      // Again once done: a refusal sent while the refund was on its way is not learned.
      this.#cache?.forget(keys)
    }
  }

  async reset(identity: string, rules: Rules): Promise<void> {
    const keys = this.keys(identity, rules)
    this.#cache?.forget(keys)
    try {
      await this.#policy.reset(keys)
      await callStoreDirectly(this.#forgetting(keys), 'reset usage', (store) => store.reset(keys))
    } finally {
      this.#cache?.forget(keys) // as for refund
    }
  }

  /** The direct-call context of a write to `keys`: when it lands, even after its deadline, the cache forgets them. */
  #forgetting(keys: readonly string[]): DirectCallContext {
    const cache = this.#cache
    return cache === undefined ? this.#direct : { ...this.#direct, landed: () => cache.forget(keys) }
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
    this.#concurrency.close()
    this.#breaker?.close()
    await this.#policy.close()
    await this.#o.store.close?.()
  }

  /** Internal: a positional `decision` listener, no payload object per decision (the metrics bindings). */
  [DECISION_HOOK](hook: DecisionHook): () => void {
    return this.#events.hook(hook)
  }

  #decide(operation: Operation, identity: string, rules: Rules, cost?: number): Promise<RateLimitDecision> {
    try {
      return this.#flow.run(operation, this.#request(identity, rules, cost))
    } catch (error) {
      return Promise.reject(error)
    }
  }

  /**
   * The request of a `consume` or `peek`: the last one again for the same identity, rules and cost 1
   * (left out, or passed as 1 — the tRPC middleware passes one shared `{ cost: 1 }`).
   */
  #request(identity: string, rules: Rules, cost: number | undefined): StoreRequest {
    const costOne = cost === undefined || cost === 1
    const last = this.#last
    // `last` holds a validated identity: equal to it, `identity` is valid too.
    if (costOne && last !== undefined && identity === last.identity) {
      if (resolveRules(rules) === last.resolved) return last
    }
    const request = prepareRequest(this.#storeRules, identity, rules, cost)
    if (costOne) this.#last = request
    return request
  }

  /**
   * The breaker's background probe: a `peek` on the limiter's own probe key, i.e. the very path
   * requests take (script included), not a PING — a Redis Cluster answers PING while it refuses
   * commands with CLUSTERDOWN during a failover, and a restarted Redis answers PING before the
   * script is loaded again (the probe loads it).
   */
  async #probe(): Promise<void> {
    const { store, prefix, timeoutMs } = this.#o
    await withinDeadline(
      store.peek([{ ...PROBE_RULE, key: `${prefix}{probe}:probe` }], 1),
      timeoutMs,
      store.kind,
    )
  }

  #emit<E extends 'store-error' | 'store-state'>(event: E, payload: RateLimiterEvents[E]): void {
    this.#events.emit(event, payload)
  }
}
