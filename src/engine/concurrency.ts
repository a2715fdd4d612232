/**
 * `limiter.acquire`: a concurrency limit's path through the engine — validate, one store call
 * under the deadline (or none while the circuit breaker is open), then the decision and, when
 * admitted, a lease that renews itself until released (`lease.ts`).
 *
 * A failed or timed-out store call is answered by `onStoreError` as for rate rules: `'closed'`
 * refuses, `'open'` admits without a lease, `'local'` takes a lease in an in-process store (one
 * app server then admits at most `max` per identity on its own). A lease the store granted after
 * the deadline passed is released as soon as its answer arrives. Shadow mode admits what `max`
 * would refuse, without a lease.
 */
import { randomBytes } from 'node:crypto'
import { type ResolvedConcurrencyLimit, resolveConcurrencyLimit } from '../concurrency-limit.js'
import { invalidConfig } from '../errors.js'
import { keyBase } from '../keys.js'
import type { ConcurrencyLimit, ConcurrencyReason, LeaseRequest, LeaseResult } from '../leases.js'
import type { RateLimitStore } from '../types.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import type { LimiterEvents } from './events.js'
import { type DecisionFields, LeaseDecision, type LeaseHolder } from './lease.js'
import type { ResolvedLimiterOptions } from './limiter-options.js'
import { asError, isPromise, withDeadline } from './store-call.js'
import { checkIdentity } from './store-request.js'

/** Lease ids: unique to this process (random) and to the lease (a counter). */
const PROCESS_TOKEN = randomBytes(6).toString('base64url')
let leaseCounter = 0

/** What the concurrency path shares with the engine that built it. */
export interface ConcurrencyParts {
  readonly events: LimiterEvents
  readonly breaker: CircuitBreaker | undefined
}

/** One acquisition, validated. */
interface Acquisition {
  readonly identity: string
  readonly limit: ResolvedConcurrencyLimit
  readonly lease: LeaseRequest
  readonly signal: AbortSignal | undefined
}

export class Concurrency {
  readonly #o: ResolvedLimiterOptions
  readonly #events: LimiterEvents
  readonly #breaker: CircuitBreaker | undefined
  /** Leases held now, so that `close()` stops their renewal timers. */
  readonly #held = new Set<LeaseDecision>()
  /** Lease key → leases held now from the `'local'` policy's store (see `acquire`). */
  readonly #localHeld = new Map<string, number>()
  #local: RateLimitStore | undefined

  constructor(options: ResolvedLimiterOptions, parts: ConcurrencyParts) {
    this.#o = options
    this.#events = parts.events
    this.#breaker = parts.breaker
  }

  async acquire(identity: string, limit: ConcurrencyLimit): Promise<LeaseDecision> {
    const acquisition = this.#prepare(identity, limit)
    const { store } = this.#o
    if (this.#breaker?.isOpen) return this.#degraded(acquisition, 'circuit-open')
    // Leases the 'local' policy handed out during an outage are still open: the store must leave room for them.
    const carried = this.#localHeld.get(acquisition.lease.key) ?? 0
    if (carried >= acquisition.limit.max)
      return this.#settle(acquisition, store, { acquired: false, active: carried }, 'local')
    const request =
      carried === 0 ? acquisition.lease : { ...acquisition.lease, max: acquisition.limit.max - carried }
    let result: LeaseResult
    try {
      const answer = store.acquireLease!(request)
      result = isPromise(answer) ? await this.#withinDeadline(store, answer, request) : answer
      if (carried > 0) result = { acquired: result.acquired, active: result.active + carried }
    } catch (error) {
      const failure = asError(error)
      this.#breaker?.failure(failure)
      this.#events.emit('store-error', { error: failure, policy: this.#policyOf(acquisition.limit) })
      return this.#degraded(acquisition, 'store-unavailable', failure)
    }
    this.#breaker?.success()
    return this.#settle(acquisition, store, result)
  }

  /** Stops every renewal timer (the leases expire in the store after `leaseMs`). */
  close(): void {
    for (const lease of this.#held) lease.stop()
    this.#held.clear()
    this.#localHeld.clear()
  }

  #prepare(identity: string, limit: ConcurrencyLimit): Acquisition {
    checkIdentity(identity)
    const resolved = resolveConcurrencyLimit(limit)
    const { store, prefix } = this.#o
    if (!hasLeases(store)) {
      invalidConfig(
        `The ${store.kind} store has no acquireLease, renewLease and releaseLease: concurrency limits need a store with leases (MemoryStore, RedisStore)`,
      )
    }
    const lease = {
      key: keyBase(prefix, identity) + resolved.keySuffix,
      id: `${PROCESS_TOKEN}.${(++leaseCounter).toString(36)}`,
      max: resolved.max,
      leaseMs: resolved.leaseMs,
    }
    return { identity, limit: resolved, lease, signal: limit.signal }
  }

  /** The store's answer under the deadline; a lease granted after it is given back when it arrives. */
  #withinDeadline(
    store: RateLimitStore,
    answer: Promise<LeaseResult>,
    lease: LeaseRequest,
  ): Promise<LeaseResult> {
    return withDeadline(answer, this.#o.timeoutMs, store.kind).catch((error: unknown) => {
      answer
        .then(
          (late) => (late.acquired ? store.releaseLease!(lease.key, lease.id) : undefined),
          () => undefined, // a late failure: withDeadline dropped it, and no lease was granted
        )
        // A failed give-back is reported like a failed release (the lease expires after `leaseMs`),
        // never left as an unhandled rejection.
        .catch((failure: unknown) =>
          this.#events.emit('store-error', { error: asError(failure), policy: this.#o.onStoreError }),
        )
      throw error
    })
  }

  #settle(
    acquisition: Acquisition,
    store: RateLimitStore,
    result: LeaseResult,
    policy?: 'local',
    reason?: ConcurrencyReason,
  ): LeaseDecision {
    const { identity, limit, lease } = acquisition
    const fields = (allowed: boolean, why = reason): DecisionFields => ({
      allowed,
      limit: limit.max,
      remaining: allowed ? Math.max(0, limit.max - result.active) : 0,
      active: result.active,
      name: limit.name,
      identity,
      leaseMs: limit.leaseMs,
      ...(why === undefined ? {} : { reason: why }),
      ...(policy === undefined ? {} : { policy }),
    })
    if (!result.acquired) {
      if (this.#o.shadow || limit.shadow) return this.#emit(new LeaseDecision(fields(true, 'shadow')))
      return this.#emit(new LeaseDecision(fields(false, reason ?? 'limited')))
    }
    const decision = new LeaseDecision(fields(true), this.#holder(store, lease), acquisition.signal)
    if (decision.held) this.#held.add(decision)
    return this.#emit(decision)
  }

  /** The failure policy's answer: closed refuses, open admits without a lease, local leases in process. */
  async #degraded(
    acquisition: Acquisition,
    reason: ConcurrencyReason,
    error?: Error,
  ): Promise<LeaseDecision> {
    const { identity, limit } = acquisition
    const policy = this.#policyOf(limit)
    const assumed = (allowed: boolean, as: 'open' | 'closed'): LeaseDecision =>
      this.#emit(
        new LeaseDecision({
          allowed,
          limit: limit.max,
          remaining: allowed ? limit.max - 1 : 0,
          active: allowed ? 1 : limit.max,
          name: limit.name,
          identity,
          leaseMs: limit.leaseMs,
          reason,
          policy: as,
        }),
        error,
      )
    if (policy !== 'local') return assumed(policy === 'open', policy)
    const local = this.#localStore()
    try {
      return this.#settle(acquisition, local, await local.acquireLease!(acquisition.lease), 'local', reason)
    } catch (localError) {
      this.#events.emit('store-error', { error: asError(localError), policy: 'open' })
      return assumed(true, 'open')
    }
  }

  /** The `'local'` policy's store: the `fallbackStore` when it has leases, else one made on first use. */
  #localStore(): RateLimitStore {
    if (this.#local === undefined) {
      const given = this.#o.fallbackStore
      this.#local = given !== undefined && hasLeases(given) ? given : this.#o.newLocalStore()
    }
    return this.#local
  }

  #holder(store: RateLimitStore, request: LeaseRequest): LeaseHolder {
    // Counted from here, with `onEnd` below: a lease released at once (its signal had aborted) too.
    if (store === this.#local) this.#countLocal(request.key, 1)
    return {
      store,
      request,
      timeoutMs: this.#o.timeoutMs,
      onError: (error) => this.#events.emit('store-error', { error, policy: this.#o.onStoreError }),
      onEnd: (how, decision) => {
        this.#held.delete(decision)
        if (store === this.#local) this.#countLocal(request.key, -1)
        if (this.#events.has('concurrency')) this.#events.emit('concurrency', { operation: how, decision })
      },
    }
  }

  #countLocal(key: string, by: 1 | -1): void {
    const count = (this.#localHeld.get(key) ?? 0) + by
    if (count > 0) this.#localHeld.set(key, count)
    else this.#localHeld.delete(key)
  }

  #policyOf(limit: ResolvedConcurrencyLimit) {
    return limit.onStoreError ?? this.#o.onStoreError
  }

  #emit(decision: LeaseDecision, error?: Error): LeaseDecision {
    if (this.#events.has('concurrency')) {
      this.#events.emit(
        'concurrency',
        error ? { operation: 'acquire', decision, error } : { operation: 'acquire', decision },
      )
    }
    return decision
  }
}

function hasLeases(store: RateLimitStore): boolean {
  return (
    typeof store.acquireLease === 'function' &&
    typeof store.renewLease === 'function' &&
    typeof store.releaseLease === 'function'
  )
}
