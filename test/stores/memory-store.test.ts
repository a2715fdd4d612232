import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, RateLimitConfigError } from '../../src/index.js'
import { storeContract } from '../../src/testing/index.js'
import type { RateLimitRule, StoreRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'

storeContract(
  'memory store (manual clock)',
  async ({ prefix }) => {
    const clock = manualClock()
    const store = new MemoryStore({ clock })
    const limiter = createRateLimiter({ store, prefix })
    return {
      limiter,
      exactClock: true,
      advance: async (ms) => clock.advance(ms),
      cleanup: () => limiter.close(),
    }
  },
  { exactClock: true },
)

const log = (key: string, limit = 2, windowMs = 1000): StoreRule => ({
  key,
  algorithm: 'sliding-log',
  limit,
  windowMs,
})

describe('MemoryStore', () => {
  const stores: MemoryStore[] = []
  const make = (options: ConstructorParameters<typeof MemoryStore>[0]) => {
    const store = new MemoryStore(options)
    stores.push(store)
    return store
  }
  afterEach(() => {
    for (const store of stores.splice(0)) store.close()
  })

  it('evicts the least recently used key once maxKeys keys are held', () => {
    const store = make({ maxKeys: 3, clock: manualClock() })
    for (const key of ['a', 'b', 'c']) store.consume([log(key)], 1)
    store.consume([log('a')], 1) // a is used again: b is now the least recently used
    store.consume([log('d')], 1)
    expect(store.size).toBe(3)
    expect(store.peek([log('b')], 1).rules[0]!.used).toBe(1) // forgotten: only this peek
    expect(store.peek([log('a')], 2).rules[0]!.used).toBe(2) // kept: 2 recorded, refused peek
    expect(store.peek([log('c')], 1).rules[0]!.used).toBe(2)
  })

  it('keeps evicting the oldest key through thousands of arrivals, resets and sweeps', () => {
    const clock = manualClock()
    const store = make({ maxKeys: 8, clock, sweepIntervalMs: 0 })
    const held: string[] = [] // oldest first: keys only ever arrive, so the LRU order is arrival order
    let seed = 7
    const random = (n: number) => {
      seed = (seed * 48_271) % 2_147_483_647
      return seed % n
    }
    for (let i = 0; i < 5000; i++) {
      if (held.length > 0 && random(5) === 0) {
        store.reset([held.splice(random(held.length), 1)[0]!])
      } else {
        store.consume([log(`k${i}`)], 1)
        held.push(`k${i}`)
        if (held.length > 8) held.shift()
      }
      if (i % 1000 === 999) store.sweep() // nothing has expired: sweeping keeps every key
      expect(store.size).toBe(held.length)
    }
    for (const key of held) expect(store.peek([log(key)], 2).rules[0]!.used).toBe(1)
  })

  it('keeps a key that is hammered with refused requests while new keys keep arriving', () => {
    const store = make({ maxKeys: 10, clock: manualClock() })
    store.consume([log('hot', 1)], 1)
    for (let i = 0; i < 100; i++) {
      expect(store.consume([log('hot', 1)], 1).allowed).toBe(false)
      store.consume([log(`spray-${i}`)], 1)
    }
    expect(store.consume([log('hot', 1)], 1).allowed).toBe(false)
    expect(store.size).toBe(10)
  })

  it.each([1, 2])(
    'grows a log whose ring has wrapped, keeping its entries in order (first cost %i)',
    (first) => {
      const clock = manualClock()
      const store = make({ clock, sweepIntervalMs: 0 })
      const rule = log('wrap', 20, 100)
      for (let i = 0; i < 5; i++) store.consume([rule], 1)
      clock.advance(50)
      store.consume([rule], 1)
      clock.advance(50) // the first 5 leave: the log goes on mid-ring, and wraps around it
      store.consume([rule], first)
      for (let i = 1; i <= 7; i++) {
        clock.advance(1)
        expect(store.consume([rule], 1).allowed).toBe(true) // the last one grows the full, wrapped ring
      }
      // The oldest entries holding the 2 (3) units over the limit: t = 50 and t = 100.
      const refused = store.peek([rule], 13)
      expect(refused.rules[0]).toEqual({ used: 8 + first, retryAfterMs: 93, resetMs: 100 })
    },
  )

  it('drops expired keys on sweep and treats an expired key as empty when touched', () => {
    const clock = manualClock()
    const store = make({ clock, sweepIntervalMs: 0 })
    store.consume([log('old', 1, 1000)], 1)
    store.consume([{ key: 'counter', algorithm: 'sliding-window', limit: 1, windowMs: 1000 }], 1)
    clock.advance(999)
    store.sweep()
    expect(store.size).toBe(2)
    expect(store.consume([log('old', 1, 1000)], 1).allowed).toBe(false)
    clock.advance(1)
    expect(store.consume([log('old', 1, 1000)], 1).allowed).toBe(true)
    clock.advance(2000)
    store.sweep()
    expect(store.size).toBe(0)
  })

  it('sweeps on an unref’d timer that never keeps the process alive', () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length
    const before = timers()
    const ref = setInterval(() => {}, 60_000)
    expect(timers()).toBe(before + 1) // the probe sees a timer that would keep the process alive
    clearInterval(ref)
    make({ sweepIntervalMs: 10 })
    expect(timers()).toBe(before)
  })

  it('stops sweeping on close', async () => {
    const clock = manualClock()
    const store = make({ clock, sweepIntervalMs: 5 })
    store.consume([log('k', 1, 10)], 1)
    store.close()
    clock.advance(100)
    await new Promise((resolve) => setTimeout(resolve, 30))
    expect(store.size).toBe(1)
  })

  it('rejects invalid options, naming the option', () => {
    expect(() => new MemoryStore({ maxKeys: 0 })).toThrow(/`maxKeys`.*positive integer.*got 0/)
    expect(() => new MemoryStore({ maxKeys: 1.5 })).toThrow(RateLimitConfigError)
    expect(() => new MemoryStore({ sweepIntervalMs: -1 })).toThrow(/`sweepIntervalMs`/)
    expect(() => new MemoryStore({ clock: 5 as unknown as () => number })).toThrow(/`clock`/)
  })

  it('answers a store-level cost above the limit with an infinite wait instead of failing', () => {
    const store = make({ clock: manualClock() })
    const result = store.consume([log('big', 2)], 3)
    expect(result.allowed).toBe(false)
    expect(result.rules[0]!.retryAfterMs).toBe(Number.POSITIVE_INFINITY)
  })

  it('gives each check its own numbers when a decision listener checks again at once', async () => {
    // The engine reads the memory store's answer from an object the next check reuses.
    const limiter = createRateLimiter({ store: make({ clock: manualClock() }) })
    const rule: RateLimitRule = { name: 'r', limit: 5, window: '1m' }
    for (let i = 0; i < 3; i++) await limiter.consume('busy', rule)
    const inner: Array<Promise<unknown>> = []
    limiter.on('decision', ({ decision }) => {
      if (decision.identity === 'quiet') inner.push(limiter.consume('busy', [rule], { cost: 2 }))
    })
    const quiet = await limiter.consume('quiet', rule)
    expect(quiet).toMatchObject({ allowed: true, remaining: 4 })
    expect(await inner[0]).toMatchObject({ allowed: true, remaining: 0 })
    await limiter.close()
  })

  it('is the default store of createRateLimiter', async () => {
    const limiter = createRateLimiter()
    expect(limiter.store).toBeInstanceOf(MemoryStore)
    const rule: RateLimitRule = { limit: 1, window: '1m' }
    expect((await limiter.consume('user:1', rule)).allowed).toBe(true)
    expect((await limiter.consume('user:1', rule)).allowed).toBe(false)
    await limiter.close()
  })
})

describe('MemoryStore as the port says', () => {
  it("calls a subclass's or a spy's consume and peek: the engine's fast path never skips them", async () => {
    let consumes = 0
    let peeks = 0
    class CountingStore extends MemoryStore {
      override consume(rules: readonly StoreRule[], cost: number) {
        consumes++
        return super.consume(rules, cost)
      }
    }
    const store = new CountingStore()
    const originalPeek = store.peek.bind(store)
    store.peek = (rules, cost) => {
      peeks++
      return originalPeek(rules, cost)
    }
    const limiter = createRateLimiter({ store, logger: false })
    const rule = { name: 'r', limit: 2, window: '1m' }
    for (let i = 0; i < 3; i++) await limiter.consume('user:1', rule)
    expect(await limiter.peek('user:1', rule)).toMatchObject({ allowed: false })
    expect([consumes, peeks]).toEqual([3, 1])
    await limiter.close()
  })
})
