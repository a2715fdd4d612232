import type { ConsumeRequest, RateLimiter } from '../limiter.js'
import type { RateLimitDecision } from '../types.js'

/**
 * Coalesces the checks made in one tick into one `limiter.consumeMany` call.
 *
 * graphql-js starts every field of a selection set before awaiting any of them, so the checks of
 * 20 limited sibling fields (and of concurrent operations) all arrive before the event loop moves
 * on. The first check schedules a flush with `setImmediate`, which runs after every pending
 * microtask: by then all of them are queued, and the store sees one pipeline instead of 20
 * sequential round trips. Each check stays its own atomic store call with its own decision.
 */

interface Pending {
  readonly request: ConsumeRequest
  readonly resolve: (decision: RateLimitDecision) => void
  readonly reject: (error: unknown) => void
}

const schedule: (flush: () => void) => void =
  typeof setImmediate === 'function' ? (flush) => setImmediate(flush) : (flush) => setTimeout(flush, 0)

/** Queues checks and sends them to the limiter together. */
export class ConsumeBatcher {
  readonly #limiter: RateLimiter
  #queue: Pending[] = []
  readonly #flush = (): void => this.#send()

  constructor(limiter: RateLimiter) {
    this.#limiter = limiter
  }

  /** Same answer as `limiter.consume(identity, rules, { cost })`, sent with the tick's other checks. */
  consume(request: ConsumeRequest): Promise<RateLimitDecision> {
    return new Promise((resolve, reject) => {
      if (this.#queue.length === 0) schedule(this.#flush)
      this.#queue.push({ request, resolve, reject })
    })
  }

  #send(): void {
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 1) {
      const { request, resolve, reject } = batch[0]!
      this.#limiter
        .consume(request.identity, request.rules, { cost: request.cost ?? 1 })
        .then(resolve, reject)
      return
    }
    this.#limiter.consumeMany(batch.map((p) => p.request)).then(
      (decisions) => {
        for (const [i, p] of batch.entries()) p.resolve(decisions[i]!)
      },
      // A programmer error in one request (e.g. an empty identity) rejects the whole batch: retry
      // each on its own so only the faulty one fails.
      () => {
        for (const { request, resolve, reject } of batch) {
          this.#limiter
            .consume(request.identity, request.rules, { cost: request.cost ?? 1 })
            .then(resolve, reject)
        }
      },
    )
  }
}
