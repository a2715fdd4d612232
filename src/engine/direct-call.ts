/**
 * Store calls outside the failure policy — `reset`, `refund`, `usage`. None is on a request's
 * critical path, so none is answered by a stand-in: each is refused at once while the circuit
 * breaker is open, runs under the deadline, counts towards the breaker like any store call, and
 * rejects with a `StoreError` when the store fails (a timed-out call may still be applied later:
 * Redis cannot take a command back).
 */
import { StoreError } from '../errors.js'
import type { RateLimitStore } from '../types.js'
import type { CircuitBreaker } from './circuit-breaker.js'
import { asStoreError, isPromise, withinDeadline } from './store-call.js'

/** What a direct store call needs from the limiter. */
export interface DirectCallContext {
  readonly store: RateLimitStore
  readonly timeoutMs: number
  readonly breaker: CircuitBreaker | undefined
  /**
   * Called when the store's answer arrives, also after the deadline: a `refund` or `reset` that timed
   * out may still land, and the blocked-caller cache must forget what it learned meanwhile.
   */
  readonly landed?: () => void
}

/**
 * Runs `call` on the store. `action` completes "The redis store failed to …" and "… is down
 * (circuit open): cannot …", e.g. `'refund'`.
 */
export async function callStoreDirectly<T>(
  context: DirectCallContext,
  action: string,
  call: (store: RateLimitStore) => T | Promise<T>,
): Promise<T> {
  const { store, timeoutMs, breaker } = context
  if (breaker?.isOpen) {
    throw new StoreError(
      'STORE_UNAVAILABLE',
      `The ${store.kind} store is down (circuit open): cannot ${action}`,
    )
  }
  let result: T
  try {
    const answer = call(store)
    if (context.landed !== undefined && isPromise(answer)) answer.then(context.landed, context.landed)
    result = await withinDeadline(answer, timeoutMs, store.kind)
  } catch (error) {
    const failure = asStoreError(error, `The ${store.kind} store failed to ${action}`)
    breaker?.failure(failure)
    throw failure
  }
  breaker?.success()
  return result
}
