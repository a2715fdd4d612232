/**
 * How the engine calls a store: by operation, and never waiting past the deadline. A store may
 * answer synchronously (the MemoryStore: no promise, no timer) or with a promise (Redis: raced
 * against `timeoutMs`).
 */
import { StoreError } from '../errors.js'
import {
  CHECK_TRANSIENT,
  type RateLimitStore,
  type StoreResult,
  type StoreRule,
  type TransientCheckStore,
} from '../types.js'

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
 * Settles with `pending`, or rejects with a `STORE_TIMEOUT` {@link StoreError} after `ms` (and after
 * the I/O that was due by then has been read).
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
    let due = performance.now() + ms
    let timer: NodeJS.Timeout
    const expire = () =>
      reject(new StoreError('STORE_TIMEOUT', `The ${kind} store did not answer within ${ms} ms`))
    // A timer that fires late means the event loop was stalled (one request's heavy CPU work, a
    // long GC): the store may have answered meanwhile — its reply unread in the socket, or the
    // command not even written yet (batches are sent from the loop). Such a stall is not a store
    // failure: taking it for one would answer other callers by the failure policy and open the
    // breaker. So a late timer grants a grace period the loop actually runs; an expiry on time
    // gives up after one more I/O phase (setImmediate runs after it).
    const check = () => {
      const now = performance.now()
      if (now - due > stallMs(ms)) {
        due = now + stallMs(ms)
        timer = setTimeout(check, stallMs(ms))
      } else setImmediate(expire)
    }
    timer = setTimeout(check, ms)
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

/** How late a deadline timer may fire before the loop counts as stalled; also the grace granted then. */
function stallMs(ms: number): number {
  return Math.max(20, ms / 4)
}

/**
 * A store's answer: as it is when synchronous, else under the deadline (see {@link withDeadline}).
 * Every store call of the engine goes through here.
 */
export function withinDeadline<T>(answer: T | Promise<T>, ms: number, kind: string): T | Promise<T> {
  return isPromise(answer) ? withDeadline(answer, ms, kind) : answer
}

/**
 * {@link checkStore} for a caller that has read a synchronous answer before anything else runs:
 * the memory store answers in an object it reuses (see {@link CHECK_TRANSIENT}).
 */
export function checkStoreAtOnce(
  store: RateLimitStore,
  operation: Operation,
  rules: readonly StoreRule[],
  cost: number,
  timeoutMs: number,
): StoreResult | Promise<StoreResult> {
  const transient = (store as TransientCheckStore)[CHECK_TRANSIENT]
  if (transient === undefined) return checkStore(store, operation, rules, cost, timeoutMs)
  return transient.call(store, rules, cost, operation === 'consume')
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
