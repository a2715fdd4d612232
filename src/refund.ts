import type { CircuitBreaker } from './circuit-breaker.js'
import { isPromise, withDeadline } from './deadline.js'
import { makeDecision, ruleDecisions } from './decision.js'
import { RateLimitConfigError, StoreError } from './errors.js'
import type { RateLimitDecision, RateLimitStore, ResolvedRule, StoreResult, StoreRule } from './types.js'

/** A validated refund: who, which rules (and their store keys), how many units. */
export interface RefundRequest {
  readonly identity: string
  readonly resolved: readonly ResolvedRule[]
  readonly storeRules: readonly StoreRule[]
  readonly cost: number
}

/** What a refund needs from the limiter. */
export interface RefundContext {
  readonly store: RateLimitStore
  readonly timeoutMs: number
  readonly breaker: CircuitBreaker | undefined
}

/**
 * Gives back up to `cost` units to the store, in one atomic store call under the limiter's
 * deadline, and answers the state after it as a decision: `allowed` true, `remaining` the whole
 * units available now, `resetMs` until the whole budget is back, `cost` the units asked back.
 *
 * A refund is not on a request's critical path, so it has no failure policy: when the store
 * fails, times out or is known to be down (breaker open) it rejects with a {@link StoreError}
 * and the usage stays as it was (a timed-out refund may still be applied later: Redis cannot
 * take a command back). A store failure counts towards the circuit breaker like any other.
 */
export async function refundUsage(
  context: RefundContext,
  request: RefundRequest,
): Promise<RateLimitDecision> {
  const { store, timeoutMs, breaker } = context
  if (typeof store.refund !== 'function') {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `limiter.refund needs a store that can give units back, but the \`store\` option (kind "${store.kind}") has no refund(rules, cost): use MemoryStore or RedisStore, or implement RateLimitStore.refund`,
    )
  }
  if (breaker?.isOpen) {
    throw new StoreError(
      'STORE_UNAVAILABLE',
      `The ${store.kind} store is down (circuit open); nothing was refunded`,
    )
  }
  let result: StoreResult
  try {
    const pending = store.refund(request.storeRules, request.cost)
    result = isPromise(pending) ? await withDeadline(pending, timeoutMs, store.kind) : pending
  } catch (error) {
    const failure =
      error instanceof StoreError
        ? error
        : new StoreError(
            'STORE_UNAVAILABLE',
            `The ${store.kind} store failed to refund: ${error instanceof Error ? error.message : String(error)}`,
            {
              cause: error,
            },
          )
    breaker?.failure(failure)
    throw failure
  }
  breaker?.success()
  return makeDecision(request.identity, request.cost, ruleDecisions(request.resolved, result), true)
}
