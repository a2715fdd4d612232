/**
 * `limiter.refund`: units given back to the store (a direct store call: no failure policy).
 */
import { RateLimitConfigError } from '../errors.js'
import type { RateLimitDecision } from '../types.js'
import { makeDecision, ruleDecisions } from './decision.js'
import { callStoreDirectly, type DirectCallContext } from './direct-call.js'
import type { StoreRequest } from './store-request.js'

/**
 * Gives back up to `cost` units to the store, in one atomic store call, and answers the state after
 * it as a decision: `allowed` true, `remaining` the whole units available now, `resetMs` until the
 * whole budget is back, `cost` the units asked back. Rejects with a `StoreError` when the store
 * fails, times out or is known to be down (see `direct-call.ts`): the usage stays as it was.
 */
export async function refundUsage(
  context: DirectCallContext,
  request: StoreRequest,
): Promise<RateLimitDecision> {
  const { kind } = context.store
  if (typeof context.store.refund !== 'function') {
    throw new RateLimitConfigError(
      'INVALID_OPTION',
      `limiter.refund needs a store that can give units back, but the \`store\` option (kind "${kind}") has no refund(rules, cost): use MemoryStore or RedisStore, or implement RateLimitStore.refund`,
    )
  }
  const result = await callStoreDirectly(context, 'refund', (store) =>
    store.refund!(request.storeRules, request.cost),
  )
  return makeDecision(request.identity, request.cost, ruleDecisions(request.resolved, result), true)
}
