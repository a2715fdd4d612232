/**
 * A concurrency decision and, when it holds one, its lease: renewed in the background while held
 * (an `unref`'d timer every third of `leaseMs`, so a live holder never loses its slot and a dead one
 * frees it), given back by `release()` — once, however often it is called — or by the abort signal.
 */
import type { ConcurrencyDecision, ConcurrencyReason, LeaseRequest } from '../leases.js'
import type { RateLimitStore, StoreErrorPolicy } from '../types.js'
import { asError, withinDeadline } from './store-call.js'

/** The numbers of a decision: the public decision without its lease. */
export type DecisionFields = Omit<ConcurrencyDecision, 'release' | 'held'>

/** What a held lease needs to renew and release itself. */
export interface LeaseHolder {
  /** The store that granted it: the limiter's, or the `'local'` policy's in-process store. */
  readonly store: RateLimitStore
  readonly request: LeaseRequest
  readonly timeoutMs: number
  /** Hears a failed renewal or release (the lease expires on its own after `leaseMs`). */
  readonly onError: (error: Error) => void
  /** Hears the end of the lease: released, or lost (found expired by a renewal). */
  readonly onEnd: (how: 'release' | 'lost', decision: LeaseDecision) => void
}

const RESOLVED = Promise.resolve()

export class LeaseDecision implements ConcurrencyDecision {
  readonly allowed: boolean
  readonly limit: number
  readonly remaining: number
  readonly active: number
  readonly name: string
  readonly identity: string
  readonly leaseMs: number
  readonly reason?: ConcurrencyReason
  readonly policy?: StoreErrorPolicy
  #holder: LeaseHolder | undefined
  #timer: NodeJS.Timeout | undefined
  #released: Promise<void> | undefined
  #signal: AbortSignal | undefined
  readonly #onAbort = (): void => void this.release()

  constructor(fields: DecisionFields, holder?: LeaseHolder, signal?: AbortSignal) {
    this.allowed = fields.allowed
    this.limit = fields.limit
    this.remaining = fields.remaining
    this.active = fields.active
    this.name = fields.name
    this.identity = fields.identity
    this.leaseMs = fields.leaseMs
    if (fields.reason !== undefined) this.reason = fields.reason
    if (fields.policy !== undefined) this.policy = fields.policy
    if (holder === undefined) return
    this.#holder = holder
    this.#schedule()
    if (signal === undefined) return
    if (signal.aborted) void this.release()
    else {
      this.#signal = signal
      signal.addEventListener('abort', this.#onAbort, { once: true })
    }
  }

  get held(): boolean {
    return this.#holder !== undefined
  }

  release(): Promise<void> {
    const holder = this.#holder
    if (holder === undefined) return this.#released ?? RESOLVED
    this.stop()
    const { store, request, timeoutMs } = holder
    this.#released = new Promise<void>((resolve) =>
      resolve(withinDeadline(store.releaseLease!(request.key, request.id), timeoutMs, store.kind)),
    ).then(
      () => holder.onEnd('release', this),
      (error: unknown) => {
        holder.onError(asError(error))
        holder.onEnd('release', this)
      },
    )
    return this.#released
  }

  /** Stops renewing and forgets the lease without telling the store (it expires after `leaseMs`). */
  stop(): void {
    this.#holder = undefined
    clearTimeout(this.#timer)
    this.#signal?.removeEventListener('abort', this.#onAbort)
    this.#signal = undefined
  }

  toJSON(): DecisionFields & { held: boolean } {
    const { allowed, limit, remaining, active, name, identity, leaseMs, reason, policy } = this
    return { allowed, limit, remaining, active, name, identity, leaseMs, reason, policy, held: this.held }
  }

  #schedule(): void {
    this.#timer = setTimeout(() => this.#renew(), Math.max(10, Math.floor(this.leaseMs / 3)))
    this.#timer.unref()
  }

  #renew(): void {
    const holder = this.#holder
    if (holder === undefined) return
    const { store, request, timeoutMs } = holder
    new Promise<boolean>((resolve) =>
      resolve(withinDeadline(store.renewLease!(request), timeoutMs, store.kind)),
    ).then(
      (live) => {
        if (this.#holder !== holder) return
        if (live) this.#schedule()
        else {
          this.stop()
          holder.onEnd('lost', this)
        }
      },
      (error: unknown) => {
        holder.onError(asError(error))
        // The lease may well be live still: try again at the next period.
        if (this.#holder === holder) this.#schedule()
      },
    )
  }
}
