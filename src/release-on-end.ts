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
          Promise.resolve(iterator.return?.(value)).catch(() => {})
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

/**
 * `iterable`, holding a lease while it is read: released once it ends (see {@link
 * releasingIterable}), when `signal` aborts (the client went away, so nothing will read it; at
 * once if it already has), or when nothing has started reading it after `unreadMs` (default: by
 * the next turn of the event loop). A reader that never opens it — graphql-js 16 rejects an async
 * iterable as a list, tRPC answers a non-streaming link with 415 — would otherwise leave a lease
 * renewed for as long as the process runs.
 */
export function heldWhileRead<T>(
  iterable: AsyncIterable<T>,
  release: () => void,
  options: { signal?: AbortSignal | undefined; unreadMs?: number } = {},
): AsyncIterable<T> {
  const { signal, unreadMs } = options
  if (signal?.aborted) {
    release()
    return iterable
  }
  signal?.addEventListener('abort', release, { once: true })
  const releasing = releasingIterable(iterable, release)
  let opened = false
  const ifUnread = (): void => {
    if (!opened) release()
  }
  if (unreadMs === undefined) setImmediate(ifUnread)
  else setTimeout(ifUnread, unreadMs).unref()
  return {
    [Symbol.asyncIterator]() {
      opened = true
      return releasing[Symbol.asyncIterator]()
    },
  }
}
