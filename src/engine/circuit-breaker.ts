import type { StoreErrorPolicy, StoreStateEvent } from '../types.js'

/** Options of the store circuit breaker. */
export interface CircuitBreakerOptions {
  /**
   * Consecutive store failures after which the limiter stops asking the store and answers by
   * policy at once.
   * @default 3
   */
  failureThreshold?: number
  /**
   * How often the store is probed in the background while the breaker is open, in milliseconds.
   * @default 250
   */
  probeIntervalMs?: number
}

/**
 * Counts consecutive store failures. Once open, requests skip the store (no deadline to wait out)
 * and a background probe (an `unref`'d timer) closes the breaker as soon as the store answers.
 */
export class CircuitBreaker {
  readonly #threshold: number
  readonly #probeIntervalMs: number
  readonly #probe: () => Promise<void>
  readonly #onChange: (event: StoreStateEvent) => void
  #failures = 0
  #openedAt = 0
  #timer: NodeJS.Timeout | undefined
  #probing = false
  #disposed = false

  constructor(
    options: Required<CircuitBreakerOptions>,
    probe: () => Promise<void>,
    onChange: (event: StoreStateEvent) => void,
  ) {
    this.#threshold = options.failureThreshold
    this.#probeIntervalMs = options.probeIntervalMs
    this.#probe = probe
    this.#onChange = onChange
  }

  /** True while the store is considered down. */
  get isOpen(): boolean {
    return this.#timer !== undefined
  }

  success(): void {
    this.#failures = 0
  }

  failure(error: Error): void {
    this.#failures++
    // A call still in flight when the limiter was closed must not start probing again.
    if (this.#failures >= this.#threshold && !this.isOpen && !this.#disposed) {
      this.#openedAt = performance.now() // monotonic: a wall-clock step must not distort downForMs
      this.#timer = setInterval(() => this.#runProbe(), this.#probeIntervalMs)
      this.#timer.unref()
      this.#onChange({ state: 'down', failures: this.#failures, error })
    }
  }

  /** Stops probing for good (the limiter was closed). */
  close(): void {
    this.#disposed = true
    this.#stopProbing()
  }

  #stopProbing(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = undefined
  }

  #runProbe(): void {
    if (this.#probing) return
    this.#probing = true
    this.#probe().then(
      () => {
        this.#probing = false
        if (!this.isOpen) return
        const failures = this.#failures
        this.#stopProbing()
        this.#failures = 0
        this.#onChange({ state: 'up', failures, downForMs: Math.round(performance.now() - this.#openedAt) })
      },
      () => {
        this.#probing = false
      },
    )
  }
}

/**
 * The one log line of a store state change (never one per request).
 *
 * @example
 * stateChangeMessage('redis', 'local', { state: 'up', failures: 0, downForMs: 1200 })
 * // '[resolver-rate-limit] redis store recovered after 1200 ms; answering from it again'
 */
export function stateChangeMessage(kind: string, policy: StoreErrorPolicy, event: StoreStateEvent): string {
  if (event.state === 'down') {
    return `[resolver-rate-limit] ${kind} store is down after ${event.failures} failed calls (${event.error?.message}); answering by policy '${policy}' until it recovers`
  }
  return `[resolver-rate-limit] ${kind} store recovered after ${event.downForMs} ms; answering from it again`
}
