/**
 * How the engine calls a store: by operation, and never waiting past the deadline. A store may
 * answer synchronously (the MemoryStore: no promise, no timer) or with a promise (Redis: raced
 * against `timeoutMs`).
 */
import { StoreError } from '../errors.js'
import type { RateLimitStore, StoreResult, StoreRule } from '../types.js'

/**
 * What a check does, in the words events use: `'consume'` records the cost when every rule admits,
 * `'peek'` records nothing.
 */
export type Operation = 'consume' | 'peek'

/** True for a promise (or any thenable) — stores may answer synchronously, as the memory store does. */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function'
}

/** Wraps anything thrown or rejected by a store in an `Error`, so events and logs always get one. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new StoreError('STORE_UNAVAILABLE', String(error))
}

/** A store failure as a {@link StoreError}: itself, or `STORE_UNAVAILABLE` saying `what` failed, with `cause`. */
export function asStoreError(error: unknown, what: string): StoreError {
  if (error instanceof StoreError) return error
  const detail = error instanceof Error ? error.message : String(error)
  return new StoreError('STORE_UNAVAILABLE', `${what}: ${detail}`, { cause: error })
}

/**
 * Settles with `pending`, or rejects with a `STORE_TIMEOUT` {@link StoreError} after `ms`.
 *
 * The store call is not cancelled (Redis cannot take a command back): when it settles later its
 * outcome is dropped, and a late rejection is handled here, so it never surfaces as an unhandled
 * promise rejection.
 *
 * @example
 * const result = await withDeadline(store.consume(rules, 1), 200, 'redis')
 */
export function withDeadline<T>(pending: Promise<T>, ms: number, kind: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new StoreError('STORE_TIMEOUT', `The ${kind} store did not answer within ${ms} ms`)),
      ms,
    )
    pending.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(asError(error))
      },
    )
  })
}

/**
 * A store's answer: as it is when synchronous, else under the deadline (see {@link withDeadline}).
 * Every store call of the engine goes through here.
 */
export function withinDeadline<T>(answer: T | Promise<T>, ms: number, kind: string): T | Promise<T> {
  return isPromise(answer) ? withDeadline(answer, ms, kind) : answer
}

/** One check of `rules` by the store — `consume` or `peek` — within `timeoutMs`. May throw. */
export function checkStore(
  store: RateLimitStore,
  operation: Operation,
  rules: readonly StoreRule[],
  cost: number,
  timeoutMs: number,
): StoreResult | Promise<StoreResult> {
  const answer = operation === 'consume' ? store.consume(rules, cost) : store.peek(rules, cost)
  return isPromise(answer) ? withDeadline(answer, timeoutMs, store.kind) : answer
}
