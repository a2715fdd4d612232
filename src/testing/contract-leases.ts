/**
 * Store contract cases for concurrency limits: the optional lease methods (`acquireLease`,
 * `renewLease`, `releaseLease`), through `limiter.acquire` and, for expiry, on the store itself
 * (a holder that stops renewing is a lease nobody renews).
 */
import { expect, it } from 'vitest'
import type { LeaseRequest, LeaseStore } from '../leases.js'
import { type CaseContext, SHORT } from './contract-kit.js'

/** A lease request on the store itself, under the case's prefix. */
function lease(prefix: string, id: string, max = 1, leaseMs = SHORT): LeaseRequest {
  return { key: `${prefix}{user:1}:direct:lease`, id, max, leaseMs }
}

export function leaseCases(context: CaseContext, prefixOf: (limiterKey: string) => string): void {
  const { open } = context
  it('admits max leases per identity and name at once, refuses the next, and frees a slot on release', async () => {
    const { limiter } = await open()
    const limit = { name: 'jobs', max: 2 }
    const first = await limiter.acquire('user:1', limit)
    const second = await limiter.acquire('user:1', limit)
    const third = await limiter.acquire('user:1', limit)
    expect([first.allowed, second.allowed, third.allowed]).toEqual([true, true, false])
    expect(third).toMatchObject({ reason: 'limited', active: 2, remaining: 0 })
    expect((await limiter.acquire('user:2', limit)).allowed).toBe(true)
    expect((await limiter.acquire('user:1', { name: 'other', max: 1 })).allowed).toBe(true)
    await first.release()
    await first.release()
    expect(await limiter.acquire('user:1', limit)).toMatchObject({ allowed: true, active: 2 })
    expect((await limiter.acquire('user:1', limit)).allowed).toBe(false)
  })

  leaseStoreCases(context, prefixOf)
}

/** The store's lease methods themselves: expiry, renewal, release by id. */
function leaseStoreCases({ open }: CaseContext, prefixOf: (limiterKey: string) => string): void {
  it('lets an unrenewed lease expire after leaseMs, and renews a live one', async () => {
    const subject = await open()
    const store = subject.limiter.store as LeaseStore
    const prefix = prefixOf(subject.limiter.keys('user:1', { limit: 1, window: 1 })[0]!)
    // Real time on Redis: past the first expiry (1.1 leases after the start), with 0.4 of a lease
    // to spare before the renewed one, so a slow machine's late timers do not decide the case.
    const leaseMs = 2 * SHORT
    const a = lease(prefix, 'a', 1, leaseMs)
    const b = lease(prefix, 'b', 1, leaseMs)
    expect(await store.acquireLease!(a)).toEqual({ acquired: true, active: 1 })
    expect(await store.acquireLease!(b)).toEqual({ acquired: false, active: 1 })
    await subject.advance(leaseMs / 2)
    expect(await store.renewLease!(a)).toBe(true)
    await subject.advance(leaseMs * 0.6)
    expect((await store.acquireLease!(b)).acquired).toBe(false) // renewed: still live
    await subject.advance(leaseMs)
    expect(await store.renewLease!(a)).toBe(false) // expired: gone
    expect(await store.acquireLease!(b)).toEqual({ acquired: true, active: 1 })
  })

  it('releases only the lease named, and nothing for an unknown id', async () => {
    const subject = await open()
    const store = subject.limiter.store as LeaseStore
    const prefix = prefixOf(subject.limiter.keys('user:1', { limit: 1, window: 1 })[0]!)
    await store.acquireLease!(lease(prefix, 'a', 2))
    await store.acquireLease!(lease(prefix, 'b', 2))
    await store.releaseLease!(lease(prefix, 'a').key, 'unknown')
    expect((await store.acquireLease!(lease(prefix, 'c', 2))).acquired).toBe(false)
    await store.releaseLease!(lease(prefix, 'a').key, 'a')
    await store.releaseLease!(lease(prefix, 'a').key, 'a')
    expect(await store.acquireLease!(lease(prefix, 'c', 2))).toEqual({ acquired: true, active: 2 })
    expect(await store.renewLease!(lease(prefix, 'a', 2))).toBe(false)
  })
}
