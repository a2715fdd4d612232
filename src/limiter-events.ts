import { describeValue, RateLimitConfigError } from './errors.js'
import type { Logger, RateLimiterEvents } from './types.js'

type Listener<E extends keyof RateLimiterEvents> = (payload: RateLimiterEvents[E]) => void
type Listeners = { [E in keyof RateLimiterEvents]: Array<Listener<E>> }

/**
 * The limiter's events: `decision`, `store-error`, `store-state`. A listener that throws is logged
 * and skipped, so a bug in a metrics hook never fails a request.
 */
export class LimiterEvents {
  // Replaced, never mutated: emit iterates the array it read, so a listener may unsubscribe (itself
  // or another) during delivery without a copy on every event.
  #listeners: Listeners = { decision: [], 'store-error': [], 'store-state': [] }
  readonly #logger: Logger | false

  constructor(logger: Logger | false) {
    this.#logger = logger
  }

  /** Subscribes; returns the unsubscribe function. */
  on<E extends keyof RateLimiterEvents>(event: E, listener: Listener<E>): () => void {
    const list = this.#listeners[event] as Array<Listener<E>> | undefined
    if (!Array.isArray(list) || !Object.hasOwn(this.#listeners, event)) {
      throw new RateLimitConfigError(
        'INVALID_OPTION',
        `Unknown event ${describeValue(event)}: expected 'decision', 'store-error' or 'store-state'`,
      )
    }
    if (typeof listener !== 'function') {
      throw new RateLimitConfigError('INVALID_OPTION', `Expected the '${event}' listener to be a function`)
    }
    this.#set(event, [...list, listener])
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      const current = this.#listeners[event] as Array<Listener<E>>
      const at = current.indexOf(listener)
      if (at >= 0) this.#set(event, [...current.slice(0, at), ...current.slice(at + 1)])
    }
  }

  #set<E extends keyof RateLimiterEvents>(event: E, list: Array<Listener<E>>): void {
    this.#listeners = { ...this.#listeners, [event]: list }
  }

  /** True when someone listens (so the hot path can skip building the payload). */
  has(event: keyof RateLimiterEvents): boolean {
    return this.#listeners[event].length > 0
  }

  emit<E extends keyof RateLimiterEvents>(event: E, payload: RateLimiterEvents[E]): void {
    for (const listener of this.#listeners[event] as Array<Listener<E>>) {
      try {
        listener(payload)
      } catch (error) {
        if (this.#logger) this.#logger.error(`[resolver-rate-limit] a '${event}' listener threw`, error)
      }
    }
  }
}
