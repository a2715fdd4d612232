/**
 * Coalesces the checks made in one tick into one `limiter.consumeMany` call per caller.
 *
 * graphql-js starts every field of a selection set before awaiting any of them, and the field
 * limiter chains every check of one operation off the same identification promise: when it
 * settles, the checks of 20 limited sibling fields are all queued in the same microtask drain.
 * The first one schedules the flush as a microtask behind the others, so the limiter gets one
 * `consumeMany` instead of 20 calls, without waiting for a later event-loop phase; `RedisStore`
 * packs the checks that reach it in one tick into script calls of up to 32 checks (one round trip
 * for all of them). Each check stays atomic on its own, with its own decision.
 *
 * One `consumeMany` per caller (identity), not one for the whole tick: concurrent operations
 * often reach their fields in the same microtask drain, and a single call settles only when its
 * last check is answered — every operation of the tick would wait for the slowest script call and
 * then continue at once, so Node and Redis take turns instead of overlapping (measured on yoga
 * with 64 operations in flight: every flush held all 64, and throughput was a third lower).
 *
 * A microtask rather than `setImmediate`: no added latency, and no lockstep across ticks either.
 */
import type { ConsumeRequest, RateLimiter } from '../limiter.js'
import type { RateLimitDecision } from '../types.js'

/**
 * A check waiting in the batcher. It is itself the `ConsumeRequest` handed to the limiter, and
 * it carries the settle functions of the promise {@link ConsumeBatcher.consume} returned, so a
 * queued check is one object (plus its promise), whatever its caller keeps on it.
 */
export interface QueuedCheck extends ConsumeRequest {
  resolve: (value: unknown) => void
  reject: (error: unknown) => void
}

/** Placeholder settle functions of a check not queued yet. */
export function unsettled(): void {}

/** Queues checks and sends them to the limiter together. */
export class ConsumeBatcher<C extends QueuedCheck> {
  readonly #limiter: RateLimiter
  readonly #decided: (check: C, decision: RateLimitDecision) => unknown
  #queue: C[] = []
  readonly #flush = (): void => this.#send()

  /**
   * @param decided What a decision turns into for its check (e.g. the field's value); what it
   *   returns or throws settles the check's promise. One function for every check, so a check
   *   needs no closure of its own.
   */
  constructor(limiter: RateLimiter, decided: (check: C, decision: RateLimitDecision) => unknown) {
    this.#limiter = limiter
    this.#decided = decided
  }

  /** Sends the check with the tick's other checks; settles with what `decided` makes of its decision. */
  consume(check: C): Promise<unknown> {
    return new Promise((resolve, reject) => {
      check.resolve = resolve
      check.reject = reject
      if (this.#queue.push(check) === 1) queueMicrotask(this.#flush)
    })
  }

  #send(): void {
    const queue = this.#queue
    this.#queue = []
    const first = queue[0]!.identity
    let mixed = false
    for (let i = 1; i < queue.length && !mixed; i++) mixed = queue[i]!.identity !== first
    if (!mixed) {
      this.#sendGroup(queue)
      return
    }
    const byIdentity = new Map<string, C[]>()
    for (const check of queue) {
      const group = byIdentity.get(check.identity)
      if (group) group.push(check)
      else byIdentity.set(check.identity, [check])
    }
    for (const group of byIdentity.values()) this.#sendGroup(group)
  }

  /** One caller's checks: settled together as soon as their own answers are in. */
  #sendGroup(batch: C[]): void {
    if (batch.length === 1) {
      this.#alone(batch[0]!)
      return
    }
    this.#limiter.consumeMany(batch).then(
      (decisions) => {
        for (let i = 0; i < batch.length; i++) this.#settle(batch[i]!, decisions[i]!)
      },
      // A programmer error in one request (e.g. an empty identity) rejects the whole batch: retry
      // each on its own so only the faulty one fails.
      () => {
        for (const check of batch) this.#alone(check)
      },
    )
  }

  #alone(check: C): void {
    this.#limiter
      .consume(check.identity, check.rules, { cost: check.cost ?? 1 })
      .then((decision) => this.#settle(check, decision), check.reject)
  }

  #settle(check: C, decision: RateLimitDecision): void {
    try {
      check.resolve(this.#decided(check, decision))
    } catch (error) {
      check.reject(error)
    }
  }
}
