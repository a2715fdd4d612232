import { describe, expect, it } from 'vitest'
import {
  type ConcurrencyEvent,
  createRateLimiter,
  type LeaseRequest,
  type LeaseResult,
  MemoryStore,
  type RateLimiterOptions,
  type StoreErrorEvent,
} from '../../src/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

/** A memory store whose lease calls fail (reject) or answer late while `mode` says so. */
class FlakyLeases extends MemoryStore {
  mode: 'ok' | 'fail' | 'late' = 'ok'
  late: Array<() => void> = []
  released: string[] = []

  override acquireLease(lease: LeaseRequest): LeaseResult {
    if (this.mode === 'fail') throw new Error('connection lost')
    return super.acquireLease(lease)
  }

  lateAcquire(lease: LeaseRequest): Promise<LeaseResult> {
    return new Promise((resolve) => this.late.push(() => resolve(super.acquireLease(lease))))
  }

  override releaseLease(key: string, id: string): void {
    this.released.push(id)
    super.releaseLease(key, id)
  }
}

function limiterOn(store: MemoryStore, options: RateLimiterOptions = {}) {
  const limiter = createRateLimiter({ store, logger: false, circuitBreaker: false, ...options })
  opened.push(limiter)
  return limiter
}

const limit = { name: 'job', max: 1 }

describe('limiter.acquire when the store fails', () => {
  it("refuses with 'closed', admits without a lease with 'open', and says which policy answered", async () => {
    const store = new FlakyLeases()
    store.mode = 'fail'
    const errors: StoreErrorEvent[] = []
    const closed = limiterOn(store, { onStoreError: 'closed' })
    closed.on('store-error', (e) => errors.push(e))
    expect(await closed.acquire('user:1', limit)).toMatchObject({
      allowed: false,
      reason: 'store-unavailable',
      policy: 'closed',
      held: false,
    })
    expect(errors.map((e) => e.error.message)).toEqual(['connection lost'])
    const open = limiterOn(store, { onStoreError: 'open' })
    expect(await open.acquire('user:1', limit)).toMatchObject({ allowed: true, policy: 'open', held: false })
    expect(await open.acquire('user:1', { ...limit, onStoreError: 'closed' })).toMatchObject({
      allowed: false,
      policy: 'closed',
    })
  })

  it("keeps max per app server with 'local': leases in an in-process store, released there", async () => {
    const store = new FlakyLeases()
    store.mode = 'fail'
    const limiter = limiterOn(store) // 'local' is the default
    const first = await limiter.acquire('user:1', limit)
    expect(first).toMatchObject({ allowed: true, policy: 'local', reason: 'store-unavailable', held: true })
    expect(await limiter.acquire('user:1', limit)).toMatchObject({ allowed: false, policy: 'local' })
    await first.release()
    expect(store.released).toEqual([]) // the local store took it back, not the failing one
    expect((await limiter.acquire('user:1', limit)).allowed).toBe(true)
  })

  it('answers by policy without asking the store while the circuit breaker is open', async () => {
    const store = new FlakyLeases()
    store.mode = 'fail'
    const limiter = createRateLimiter({
      store,
      logger: false,
      onStoreError: 'open',
      circuitBreaker: { failureThreshold: 1, probeIntervalMs: 60_000 },
    })
    opened.push(limiter)
    await limiter.acquire('user:1', limit)
    expect(limiter.storeState).toBe('down')
    expect(await limiter.acquire('user:1', limit)).toMatchObject({ reason: 'circuit-open', policy: 'open' })
  })

  it('gives back a lease the store granted after the deadline, as soon as its answer arrives', async () => {
    const store = new FlakyLeases()
    store.acquireLease = (lease) => store.lateAcquire(lease) as never
    const limiter = limiterOn(store, { onStoreError: 'closed', timeoutMs: 20 })
    const events: ConcurrencyEvent[] = []
    limiter.on('concurrency', (e) => events.push(e))
    const decision = await limiter.acquire('user:1', limit)
    expect(decision).toMatchObject({ allowed: false, reason: 'store-unavailable', policy: 'closed' })
    expect(events[0]?.error?.message).toMatch(/did not answer within 20 ms/)
    store.late.shift()!()
    await new Promise((resolve) => setTimeout(resolve, 0))
    expect(store.released).toHaveLength(1)
  })

  it('reports a failed release and leaves the lease to expire', async () => {
    const store = new FlakyLeases()
    const limiter = limiterOn(store)
    const errors: StoreErrorEvent[] = []
    limiter.on('store-error', (e) => errors.push(e))
    const held = await limiter.acquire('user:1', limit)
    store.releaseLease = () => {
      throw new Error('gone')
    }
    await expect(held.release()).resolves.toBeUndefined()
    expect(held.held).toBe(false)
    expect(errors.map((e) => e.error.message)).toEqual(['gone'])
  })
})
