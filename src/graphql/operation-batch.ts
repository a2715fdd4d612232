import type { ConsumeRequest, RateLimiter } from '../limiter.js'
import type { RateLimitDecision } from '../types.js'

/**
 * Coalesces the checks made in one tick into one `limiter.consumeMany` call.
 *
 * graphql-js starts every field of a selection set before awaiting any of them, and the field
 * limiter chains every check of one operation off the same identification promise: when it
 * settles, the checks of 20 limited sibling fields are all queued in the same microtask drain.
 * The first one schedules the flush as a microtask behind the others, so the limiter gets one
 * `consumeMany` instead of 20 calls, without waiting for a later event-loop phase; `RedisStore`
 * packs the checks that reach it in one tick into script calls of up to 16 checks (one round trip
 * for all of them). Each check stays atomic on its own, with its own decision.
 *
 * A microtask rather than `setImmediate`: no added latency, and operations do not march in
 * lockstep (a macrotask batch makes every in-flight operation wait for the slowest one's round
 * trip, so Node and Redis take turns instead of overlapping). Measured on yoga with Redis, both
 * give the same throughput; the microtask keeps latency lower.
 */

interface Pending {
  readonly request: ConsumeRequest
  readonly resolve: (decision: RateLimitDecision) => void
  readonly reject: (error: unknown) => void
}

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
      if (this.#queue.length === 0) queueMicrotask(this.#flush)
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
