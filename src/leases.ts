/**
 * Concurrency limits: the vocabulary every layer shares — the limit, the decision with its
 * `release()`, the optional lease methods of the store port, the event — and the lease key.
 *
 * A rate rule counts *starts* per window; a concurrency limit counts what is *open now*: at most
 * `max` leases per identity and name at once, across every process sharing the store. A lease
 * carries an expiry (`leaseMs`), renewed while its holder runs, so a crashed process's leases come
 * back on their own.
 */
import { ruleId } from './keys.js'
import type { Duration, StoreErrorPolicy } from './types.js'

/**
 * A concurrency limit: at most `max` requests (or subscriptions) of this name open at once per identity.
 *
 * @example
 * const exports: ConcurrencyLimit = { name: 'Mutation.export', max: 2 }
 */
export interface ConcurrencyLimit {
  /** Names the slots. Limits with the same name share them, whatever their `max`. @default 'default' */
  name?: string
  /** Most leases open at once: an integer from 1 to 10 000. */
  max: number
  /**
   * How long a lease lives without renewal: a crashed holder's slot comes back after it. A live
   * holder renews its lease in the background (every third of `leaseMs`) until it releases it.
   * From 50 ms to 1 day.
   * @default 60_000
   */
  leaseMs?: Duration
  /** Overrides the limiter's `onStoreError` for this limit. */
  onStoreError?: StoreErrorPolicy
  /** Compute and report the decision but never refuse. @default false */
  shadow?: boolean
  /** Releases the lease when it aborts (an aborted request, a closed connection). */
  signal?: AbortSignal
}

/** Why a concurrency decision is not a plain admission. */
export type ConcurrencyReason = 'limited' | 'store-unavailable' | 'circuit-open' | 'shadow'

/**
 * The answer to `limiter.acquire`. When `allowed`, the caller holds a lease until it calls
 * `release()` (idempotent; never rejects) — or until its signal aborts, or the lease expires
 * unrenewed. A refusal holds nothing, and `release()` does nothing.
 */
export interface ConcurrencyDecision {
  readonly allowed: boolean
  /** The limit's `max`. */
  readonly limit: number
  /** Slots still free after this acquisition (0 when refused). */
  readonly remaining: number
  /** Leases open for this identity and name, this one included when allowed. */
  readonly active: number
  readonly name: string
  readonly identity: string
  readonly leaseMs: number
  /** Absent on a normal admission; see {@link ConcurrencyReason}. */
  readonly reason?: ConcurrencyReason
  /** Set when the store was not used as configured: which failure policy answered. */
  readonly policy?: StoreErrorPolicy
  /** Gives the slot back. Idempotent; resolves once the store has been told (errors are reported, not thrown). */
  release(): Promise<void>
  /** True while this decision holds a lease: false once released or lost, and for any decision without one. */
  readonly held: boolean
}

/** One lease as the store sees it. */
export interface LeaseRequest {
  /** The full store key (prefix, hash-tagged identity, name, `:lease`). */
  readonly key: string
  /** Unique per lease. */
  readonly id: string
  readonly max: number
  readonly leaseMs: number
}

/** What the store reports for an acquisition. */
export interface LeaseResult {
  /** True when a slot was free and the lease was recorded. */
  readonly acquired: boolean
  /** Unexpired leases under the key after the call. */
  readonly active: number
}

/**
 * The optional lease methods of the store port (`MemoryStore` and `RedisStore` have them):
 * `limiter.acquire` needs all three. Each is atomic; time comes from the store.
 */
export interface LeaseStore {
  /** Drops expired leases, then records `id` expiring `leaseMs` from now if fewer than `max` remain. */
  acquireLease?(lease: LeaseRequest): Promise<LeaseResult> | LeaseResult
  /** Pushes an unexpired lease's expiry to `leaseMs` from now; false when it is gone (expired or released). */
  renewLease?(lease: LeaseRequest): Promise<boolean> | boolean
  /** Forgets the lease (nothing when it is gone). */
  releaseLease?(key: string, id: string): Promise<void> | void
}

/** Emitted after every acquisition and every release (when a listener is registered). */
export interface ConcurrencyEvent {
  readonly operation: 'acquire' | 'release' | 'lost'
  readonly decision: ConcurrencyDecision
  /** The store failure behind a degraded acquisition. */
  readonly error?: Error
}

/**
 * The key of one identity's leases of one name: `prefix{identity}:name:lease`. A rule's key ends
 * with `:` and an 8-character digest, so the two never collide; a changed `max` keeps the open
 * leases (they are requests running now).
 */
export function leaseKeySuffix(name: string): string {
  const id = ruleId(name, 'lease', 1, 1)
  return `${id.slice(0, id.lastIndexOf(':'))}:lease`
}
