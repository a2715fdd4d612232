/**
 * A hostile network: the store is out of reach for a moment, and the `'local'` policy (the
 * default) hands out leases from an in-process store, up to `max` per identity on this server.
 * When the store answers again, those leases are still held (a subscription opened during the
 * blip stays open for hours) but the store does not know them: unless they are counted, the same
 * caller gets `max` more slots from the store — 2 × max on one server, more with every blip.
 */
import { describe, expect, it } from 'vitest'
import { createRateLimiter, type LeaseRequest, type LeaseResult, MemoryStore } from '../../src/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

/** A store whose lease calls fail while `down`. */
class Blinking extends MemoryStore {
  down = false

  override acquireLease(lease: LeaseRequest): LeaseResult {
    if (this.down) throw new Error('connection lost')
    return super.acquireLease(lease)
  }
}

const job = { name: 'job', max: 2 }

describe("leases the 'local' policy handed out during a store outage", () => {
  it('still count towards max once the store answers again, until they are released', async () => {
    const store = new Blinking()
    const limiter = createRateLimiter({ store, logger: false, circuitBreaker: false })
    opened.push(limiter)
    limiter.on('store-error', () => {})
    store.down = true
    const during = [await limiter.acquire('u', job), await limiter.acquire('u', job)]
    expect(during.map((d) => [d.allowed, d.policy])).toEqual([
      [true, 'local'],
      [true, 'local'],
    ])
    store.down = false
    // Refused by the local leases alone (policy 'local'), without asking the store.
    expect(await limiter.acquire('u', job)).toMatchObject({ allowed: false, active: 2, policy: 'local' })
    await during[0]!.release()
    const after = await limiter.acquire('u', job)
    expect(after).toMatchObject({ allowed: true, active: 2 })
    expect(after.policy).toBeUndefined()
    expect(await limiter.acquire('u', job)).toMatchObject({ allowed: false, active: 2 })
    await during[1]!.release()
    expect((await limiter.acquire('u', job)).allowed).toBe(true)
    // Another identity was never affected.
    expect((await limiter.acquire('v', job)).allowed).toBe(true)
  })
})

describe('a local lease whose signal had already aborted', () => {
  it('leaves the count of local leases exact', async () => {
    const store = new Blinking()
    const limiter = createRateLimiter({ store, logger: false, circuitBreaker: false })
    opened.push(limiter)
    limiter.on('store-error', () => {})
    store.down = true
    const kept = [await limiter.acquire('u', job), await limiter.acquire('u', job)]
    const aborted = await limiter.acquire('u', { ...job, signal: AbortSignal.abort() })
    expect(aborted.held).toBe(false)
    await kept[0]!.release()
    const refill = await limiter.acquire('u', { ...job, signal: AbortSignal.abort() })
    expect(refill).toMatchObject({ allowed: true, policy: 'local', held: false })
    await new Promise((resolve) => setTimeout(resolve, 0))
    store.down = false
    // One local lease is still open: the recovered store admits one more, not two.
    expect((await limiter.acquire('u', job)).allowed).toBe(true)
    expect(await limiter.acquire('u', job)).toMatchObject({ allowed: false, active: 2 })
  })
})
