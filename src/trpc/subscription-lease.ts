/**
 * A subscription holds its concurrency lease for as long as it is open: the observable or async
 * iterable its resolver returned is wrapped so that the lease is released when it completes,
 * errors or is cancelled (unsubscribe, `return()` — what tRPC does when the client goes away).
 * The request's abort signal releases it too (see `concurrency.ts`), whichever comes first.
 */
import { isObservable, observable } from '@trpc/server/observable'

/** The subscription's data, wrapped to call `release` once it ends; anything else unchanged. */
export function releasingSubscription(data: unknown, release: () => void): unknown {
  if (isObservable(data)) {
    return observable<unknown, unknown>((observer) => {
      const subscription = data.subscribe({
        next: (value) => observer.next(value),
        error: (error) => {
          release()
          observer.error(error)
        },
        complete: () => {
          release()
          observer.complete()
        },
      })
      return () => {
        release()
        subscription.unsubscribe()
      }
    })
  }
  if (isAsyncIterable(data)) return releasingIterable(data, release)
  return data
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  )
}

/**
 * Not an async generator: a generator's `return()` waits for a pending `next()` to settle, and a
 * subscription waiting for its next event would keep its lease until then. This iterator releases
 * at once and passes the cancellation on.
 */
function releasingIterable<T>(inner: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const iterator = inner[Symbol.asyncIterator]()
      return {
        async next() {
          try {
            const step = await iterator.next()
            if (step.done) release()
            return step
          } catch (error) {
            release()
            throw error
          }
        },
        async return(value?: unknown) {
          release()
          // Passed on without waiting: a generator answers it only once its pending `next()` settles.
          iterator.return?.(value)?.catch(() => {})
          return { done: true, value: value as T }
        },
        async throw(error?: unknown) {
          release()
          if (iterator.throw) return iterator.throw(error)
          throw error
        },
      }
    },
  }
}
