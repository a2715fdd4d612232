import { describe, expect, it } from 'vitest'
import {
  type ConcurrencyEvent,
  createRateLimiter,
  MemoryStore,
  RateLimitConfigError,
} from '../../src/index.js'
import { closeAfterEach, manualClock } from '../helpers.js'

const opened = closeAfterEach()

function limiterWith(clock = manualClock(), options: { shadow?: boolean } = {}) {
  const store = new MemoryStore({ clock })
  const limiter = createRateLimiter({ store, logger: false, ...options })
  opened.push(limiter)
  return { limiter, clock, store }
}

const exports = { name: 'Mutation.export', max: 2 }

describe('limiter.acquire on the memory store', () => {
  it('admits max holders at once and refuses the next one, holding nothing for it', async () => {
    const { limiter } = limiterWith()
    const first = await limiter.acquire('user:1', exports)
    const second = await limiter.acquire('user:1', exports)
    const third = await limiter.acquire('user:1', exports)
    expect([first.allowed, second.allowed, third.allowed]).toEqual([true, true, false])
    expect(first).toMatchObject({ limit: 2, remaining: 1, active: 1, held: true, name: 'Mutation.export' })
    expect(second).toMatchObject({ remaining: 0, active: 2, held: true })
    expect(third).toMatchObject({ allowed: false, reason: 'limited', remaining: 0, active: 2, held: false })
    expect(first.reason).toBeUndefined()
    expect(first.policy).toBeUndefined()
  })

  it('gives a slot back on release, once however often release is called', async () => {
    const { limiter } = limiterWith()
    const one = { name: 'one', max: 1 }
    const first = await limiter.acquire('user:1', one)
    await first.release()
    expect(first.held).toBe(false)
    const second = await limiter.acquire('user:1', one)
    expect(second.allowed).toBe(true)
    await Promise.all([first.release(), first.release()])
    expect((await limiter.acquire('user:1', one)).allowed).toBe(false)
    await (await limiter.acquire('user:1', one)).release() // a refusal's release does nothing
    expect((await limiter.acquire('user:1', one)).allowed).toBe(false)
  })

  it('counts per identity and per name; a changed max keeps the open leases', async () => {
    const { limiter } = limiterWith()
    await limiter.acquire('user:1', { name: 'a', max: 1 })
    expect((await limiter.acquire('user:2', { name: 'a', max: 1 })).allowed).toBe(true)
    expect((await limiter.acquire('user:1', { name: 'b', max: 1 })).allowed).toBe(true)
    const more = await limiter.acquire('user:1', { name: 'a', max: 3 })
    expect(more).toMatchObject({ allowed: true, active: 2, remaining: 1 })
  })

  it("frees a dead holder's slot after leaseMs on the store's clock", async () => {
    const clock = manualClock()
    const store = new MemoryStore({ clock })
    const holder = createRateLimiter({ store, logger: false })
    const other = createRateLimiter({ store, logger: false })
    opened.push(other)
    const limit = { name: 'job', max: 1, leaseMs: '10s' }
    expect((await holder.acquire('user:1', limit)).allowed).toBe(true)
    await holder.close() // the holder "dies": it stops renewing and never releases
    clock.advance(9_999)
    expect((await other.acquire('user:1', limit)).allowed).toBe(false)
    clock.advance(1)
    expect(await other.acquire('user:1', limit)).toMatchObject({ allowed: true, active: 1 })
  })

  it('renews a live holder in the background, so its lease outlives leaseMs', async () => {
    const store = new MemoryStore()
    const limiter = createRateLimiter({ store, logger: false })
    opened.push(limiter)
    // Renewed every 100 ms: a loaded machine may stall the loop for a while, not for 200 ms.
    const limit = { name: 'stream', max: 1, leaseMs: 300 }
    const held = await limiter.acquire('user:1', limit)
    await new Promise((resolve) => setTimeout(resolve, 800))
    expect((await limiter.acquire('user:1', limit)).allowed).toBe(false)
    expect(held.held).toBe(true)
    await held.release()
    expect((await limiter.acquire('user:1', limit)).allowed).toBe(true)
  })

  it('releases when the signal aborts, and at once when it had already aborted', async () => {
    const { limiter } = limiterWith()
    const controller = new AbortController()
    const limit = { name: 'req', max: 1 }
    const held = await limiter.acquire('user:1', { ...limit, signal: controller.signal })
    expect((await limiter.acquire('user:1', limit)).allowed).toBe(false)
    controller.abort()
    expect(held.held).toBe(false)
    await held.release()
    const next = await limiter.acquire('user:1', { ...limit, signal: AbortSignal.abort() })
    expect(next.allowed).toBe(true)
    expect(next.held).toBe(false)
    expect((await limiter.acquire('user:1', limit)).allowed).toBe(true)
  })

  it('admits what max would refuse in shadow mode, holding no lease, and says so', async () => {
    const { limiter } = limiterWith(manualClock(), { shadow: true })
    await limiter.acquire('user:1', { name: 's', max: 1 })
    expect(await limiter.acquire('user:1', { name: 's', max: 1 })).toMatchObject({
      allowed: true,
      reason: 'shadow',
      held: false,
    })
    const { limiter: strict } = limiterWith()
    await strict.acquire('user:1', { name: 's', max: 1, shadow: true })
    expect(await strict.acquire('user:1', { name: 's', max: 1, shadow: true })).toMatchObject({
      allowed: true,
      reason: 'shadow',
    })
  })

  it('emits a concurrency event for every acquisition and release', async () => {
    const { limiter } = limiterWith()
    const events: ConcurrencyEvent[] = []
    limiter.on('concurrency', (event) => events.push(event))
    const held = await limiter.acquire('user:1', { name: 'e', max: 1 })
    await limiter.acquire('user:1', { name: 'e', max: 1 })
    await held.release()
    await held.release()
    expect(events.map((e) => [e.operation, e.decision.allowed])).toEqual([
      ['acquire', true],
      ['acquire', false],
      ['release', true],
    ])
  })

  it('rejects bad limits and identities with a message naming the field', async () => {
    const { limiter } = limiterWith()
    const cases: Array<[unknown, RegExp]> = [
      [{ name: 'x', max: 0 }, /`max` of concurrency limit "x" to be an integer from 1 to 10000, got 0/],
      [{ name: 'x', max: 1.5 }, /`max`/],
      [{ name: 'x', max: 1, leaseMs: 'soon' }, /`leaseMs` of concurrency limit "x"/],
      [{ name: 'x', max: 1, leaseMs: 10 }, /from 50 ms to 1 day/],
      [{ name: '', max: 1 }, /`name`/],
      [{ name: 'x', max: 1, onStoreError: 'maybe' }, /`onStoreError`/],
      [{ name: 'x', max: 1, signal: {} }, /`signal`/],
      [null, /concurrency limit/],
    ]
    for (const [limit, message] of cases) {
      const error = await limiter.acquire('user:1', limit as never).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(RateLimitConfigError)
      expect((error as Error).message).toMatch(message)
    }
    await expect(limiter.acquire('', { max: 1 })).rejects.toMatchObject({ code: 'INVALID_IDENTITY' })
  })

  it('rejects with INVALID_OPTION on a store without leases', async () => {
    const memory = new MemoryStore()
    const store = {
      kind: 'custom',
      consume: memory.consume.bind(memory),
      peek: memory.peek.bind(memory),
      reset: memory.reset.bind(memory),
    }
    const limiter = createRateLimiter({ store, logger: false })
    opened.push(limiter)
    await expect(limiter.acquire('user:1', { max: 1 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/custom store has no acquireLease/),
    })
  })

  it('keeps leases apart from rate usage and drops them on reset of their key', async () => {
    const { limiter, store } = limiterWith()
    await limiter.acquire('user:1', { name: 'r', max: 1 })
    await limiter.consume('user:1', { name: 'r', limit: 1, window: '1m' })
    expect((await limiter.acquire('user:1', { name: 'r', max: 1 })).allowed).toBe(false)
    store.reset(['rl:{user:1}:r:lease'])
    expect((await limiter.acquire('user:1', { name: 'r', max: 1 })).allowed).toBe(true)
  })
})
