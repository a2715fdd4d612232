import { StoreError } from './errors.js'

/** True for a promise (or any thenable) — stores may answer synchronously, as the memory store does. */
export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function'
}

/** Wraps anything thrown or rejected by a store in an `Error`, so events and logs always get one. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new StoreError('STORE_UNAVAILABLE', String(error))
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
