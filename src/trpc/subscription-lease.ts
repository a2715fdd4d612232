/**
 * A subscription holds its concurrency lease for as long as it is open: the observable or async
 * iterable its resolver returned is wrapped so that the lease is released when it completes,
 * errors or is cancelled (unsubscribe, `return()` — what tRPC does when the client goes away).
 * The request's abort signal releases it too (see `concurrency.ts`), whichever comes first.
 */
import { isObservable, observable } from '@trpc/server/observable'
import { heldWhileRead, isAsyncIterable, releasingIterable } from '../release-on-end.js'

/** The subscription's data, wrapped to call `release` once it ends; anything else unchanged, released at once. */
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
  // Nothing open that could end later: held, the lease would be renewed for as long as the process runs.
  release()
  return data
}

/**
 * A call's data, holding its lease until what it opened ends: a subscription's stream, and also the
 * async iterable a query or mutation streams (`httpBatchStreamLink`), whose work runs while it is
 * read — that one is released too when its client goes away (tRPC stops reading it). Anything
 * else was done when it returned: released now, and returned as it is.
 */
export function holdUntilEnd(
  type: string,
  data: unknown,
  release: () => void,
  signal?: AbortSignal,
): unknown {
  if (type === 'subscription') return releasingSubscription(data, release)
  if (!isAsyncIterable(data)) {
    release()
    return data
  }
  // tRPC opens a streamed output when it writes the response (`httpBatchStreamLink`); a link that
  // cannot stream gets 415 and nothing ever reads it: released after a second unread.
  return heldWhileRead(data, release, { signal, unreadMs: STREAM_UNREAD_MS })
}

/** How long a streamed output may go unread before its lease is given back. */
const STREAM_UNREAD_MS = 1_000
