/**
 * The leases of concurrency limits in this process, for `MemoryStore`: per key, lease id → expiry
 * on the store's clock. Expired leases are dropped whenever their key is touched (and by the
 * store's sweep), so a holder that never releases gives its slot back after `leaseMs`.
 */
import type { LeaseRequest, LeaseResult } from '../leases.js'
import { OldestFirst } from '../oldest-first.js'

export class MemoryLeases {
  /** key → lease id → expiry (ms on the store's clock). Insertion order is the eviction order. */
  readonly #keys = new Map<string, Map<string, number>>()
  readonly #oldestKey = new OldestFirst(this.#keys)
  readonly #now: () => number
  readonly #maxKeys: number

  constructor(now: () => number, maxKeys: number) {
    this.#now = now
    this.#maxKeys = maxKeys
  }

  acquire(lease: LeaseRequest): LeaseResult {
    const now = this.#now()
    let leases = this.#live(lease.key, now)
    if (leases !== undefined && leases.size >= lease.max) return { acquired: false, active: leases.size }
    if (leases === undefined) {
      leases = new Map()
      this.#keys.set(lease.key, leases)
      // Bounded like the rate keys: a caller spraying identities evicts the oldest key.
      if (this.#keys.size > this.#maxKeys) this.#oldestKey.evict()
    }
    leases.set(lease.id, now + lease.leaseMs)
    return { acquired: true, active: leases.size }
  }

  renew(lease: LeaseRequest): boolean {
    const now = this.#now()
    const leases = this.#live(lease.key, now)
    if (leases === undefined || !leases.has(lease.id)) return false
    leases.set(lease.id, now + lease.leaseMs)
    return true
  }

  release(key: string, id: string): void {
    const leases = this.#keys.get(key)
    if (leases === undefined) return
    leases.delete(id)
    if (leases.size === 0) this.#keys.delete(key)
  }

  /** Unexpired leases under `key` (for tests and operators). */
  active(key: string): number {
    return this.#live(key, this.#now())?.size ?? 0
  }

  reset(key: string): void {
    this.#keys.delete(key)
  }

  /** Drops every expired lease now. */
  sweep(): void {
    const now = this.#now()
    for (const key of [...this.#keys.keys()]) this.#live(key, now)
  }

  /** The key's leases with the expired ones dropped; undefined when none is left. */
  #live(key: string, now: number): Map<string, number> | undefined {
    const leases = this.#keys.get(key)
    if (leases === undefined) return undefined
    for (const [id, expiresAt] of leases) if (expiresAt <= now) leases.delete(id)
    if (leases.size > 0) return leases
    this.#keys.delete(key)
    return undefined
  }
}
