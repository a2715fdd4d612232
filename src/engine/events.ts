/**
 * The limiter's events — `decision`, `store-error`, `store-state` — and the positional decision hook
 * the metrics bindings subscribe through (no payload object per decision).
 */
import { describeValue, RateLimitConfigError } from '../errors.js'
import type { Logger, RateLimitDecision, RateLimiterEvents } from '../types.js'
import type { Operation } from './store-call.js'

type Listener<E extends keyof RateLimiterEvents> = (payload: RateLimiterEvents[E]) => void
type Listeners = { [E in keyof RateLimiterEvents]: Array<Listener<E>> }

/**
 * A `decision` listener with positional arguments, so a decision costs no payload object: the
 * metrics bindings subscribe this way (through {@link DECISION_HOOK}); `on('decision')` listeners
 * are wrapped into one.
 */
export type DecisionHook = (
  decision: RateLimitDecision,
  storeMs: number,
  operation: Operation,
  error: Error | undefined,
) => void

/**
 * The limiter method (internal) that subscribes a {@link DecisionHook} and returns the unsubscribe
 * function. A registered symbol, so a second copy of this package still finds it.
 */
export const DECISION_HOOK: unique symbol = Symbol.for('resolver-rate-limit.decision-hook')

/** Wraps a public `decision` listener: one payload object per call, in two literal shapes. */
function payloadHook(listener: Listener<'decision'>): DecisionHook {
  return (decision, storeMs, operation, error) => {
    listener(error ? { decision, storeMs, operation, error } : { decision, storeMs, operation })
  }
}

/**
 * The limiter's events: `decision`, `store-error`, `store-state`. A listener that throws is logged
 * and skipped, so a bug in a metrics hook never fails a request.
 */
export class LimiterEvents {
  // Replaced, never mutated: emit iterates the array it read, so a listener may unsubscribe (itself
  // or another) during delivery without a copy on every event. `decision` listeners are hooks
  // (`#decision`); its empty list here only names the event.
  #listeners: Listeners = { decision: [], 'store-error': [], 'store-state': [], concurrency: [] }
  #decision: DecisionHook[] = []
  /** The one hook, or a fan-out over several; undefined when nobody listens. */
  #deliver: DecisionHook | undefined
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
        `Unknown event ${describeValue(event)}: expected 'decision', 'store-error', 'store-state' or 'concurrency'`,
      )
    }
    if (typeof listener !== 'function') {
      throw new RateLimitConfigError('INVALID_OPTION', `Expected the '${event}' listener to be a function`)
    }
    if (event === 'decision') return this.hook(payloadHook(listener as Listener<'decision'>))
    this.#set(event, [...list, listener])
    return this.#unsubscriber(() => {
      const current = this.#listeners[event] as Array<Listener<E>>
      this.#set(event, without(current, listener))
    })
  }

  /** Subscribes a {@link DecisionHook}; returns the unsubscribe function. */
  hook(hook: DecisionHook): () => void {
    this.#setHooks([...this.#decision, hook])
    return this.#unsubscriber(() => {
      this.#setHooks(without(this.#decision, hook))
    })
  }

  #setHooks(hooks: DecisionHook[]): void {
    this.#decision = hooks
    // One hook (the usual case: one metrics binding) is called directly, so it can be inlined.
    this.#deliver = hooks.length <= 1 ? hooks[0] : this.#fanOut(hooks)
  }

  /** Calls every hook of the list it was given, each one isolated from the others' errors. */
  #fanOut(hooks: readonly DecisionHook[]): DecisionHook {
    return (decision, storeMs, operation, error) => {
      for (const hook of hooks) {
        try {
          hook(decision, storeMs, operation, error)
        } catch (thrown) {
          this.#failed('decision', thrown)
        }
      }
    }
  }

  #unsubscriber(remove: () => void): () => void {
    let subscribed = true
    return () => {
      if (!subscribed) return
      subscribed = false
      remove()
    }
  }

  #set<E extends keyof RateLimiterEvents>(event: E, list: Array<Listener<E>>): void {
    this.#listeners = { ...this.#listeners, [event]: list }
  }

  /** True when someone listens (so the hot path can skip building the payload or timing). */
  has(event: keyof RateLimiterEvents): boolean {
    return event === 'decision' ? this.#decision.length > 0 : this.#listeners[event].length > 0
  }

  /** Delivers a decision to every hook; nothing is allocated for it. */
  decision(decision: RateLimitDecision, storeMs: number, operation: Operation, error?: Error): void {
    const deliver = this.#deliver
    if (deliver === undefined) return
    try {
      deliver(decision, storeMs, operation, error)
    } catch (thrown) {
      this.#failed('decision', thrown)
    }
  }

  emit<E extends Exclude<keyof RateLimiterEvents, 'decision'>>(
    event: E,
    payload: RateLimiterEvents[E],
  ): void {
    for (const listener of this.#listeners[event] as Array<Listener<E>>) {
      try {
        listener(payload)
      } catch (error) {
        this.#failed(event, error)
      }
    }
  }

  #failed(event: keyof RateLimiterEvents, error: unknown): void {
    if (this.#logger) this.#logger.error(`[resolver-rate-limit] a '${event}' listener threw`, error)
  }
}

/** The list without the first occurrence of `item` (a new array). */
function without<T>(list: readonly T[], item: T): T[] {
  const at = list.indexOf(item)
  return at < 0 ? [...list] : [...list.slice(0, at), ...list.slice(at + 1)]
}
