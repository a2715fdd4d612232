/**
 * An async iterable that calls `release` once it ends — done, failed, or cancelled with
 * `return()` — for adapters whose subscriptions hold a concurrency lease while they are open
 * (tRPC subscriptions, GraphQL subscription fields).
 */

/** True for anything with `Symbol.asyncIterator` (an async generator, a graphql-js subscription). */
export function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
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
export function releasingIterable<T>(inner: AsyncIterable<T>, release: () => void): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      let iterator: AsyncIterator<T>
      try {
        iterator = inner[Symbol.asyncIterator]()
      } catch (error) {
        release() // nothing was opened, and nothing will call return()
        throw error
      }
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
