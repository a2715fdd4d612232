import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimitDecision, RedisStore } from '../../src/index.js'
import type { RateLimitStore, StoreCall, StoreRule } from '../../src/types.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

/** A RedisStore that counts the checks reaching Redis. */
function countingStore(client: Redis) {
  const inner = new RedisStore({ client, logger: false })
  const counted = { checks: 0 }
  const store: RateLimitStore = {
    kind: 'redis',
    consume: (rules: readonly StoreRule[], cost: number) => {
      counted.checks++
      return inner.consume(rules, cost)
    },
    peek: (rules: readonly StoreRule[], cost: number) => {
      counted.checks++
      return inner.peek(rules, cost)
    },
    consumeMany: (calls: readonly StoreCall[]) => {
      counted.checks += calls.length
      return inner.consumeMany(calls)
    },
    refund: (rules: readonly StoreRule[], cost: number) => inner.refund(rules, cost),
    reset: (keys: readonly string[]) => inner.reset(keys),
  }
  return { store, counted }
}

const clients: Redis[] = []
beforeAll(async () => {
  for (let i = 0; i < 4; i++) clients.push(await ready(redisClient()))
})
afterAll(() => {
  for (const client of clients) client.disconnect()
})

describe('blocked-caller cache on Redis', () => {
  it('lets four limiters (four clients, four caches) sharing one Redis admit exactly the limit, and spares the store', async () => {
    const prefix = uniquePrefix('block')
    const rule = { name: 'hot', limit: 50, window: '1h' }
    const servers = clients.map((client) => ({ ...countingStore(client), client }))
    const limiters = servers.map(({ store }) =>
      createRateLimiter({ store, prefix, timeoutMs: 5_000, blockCache: true, logger: false }),
    )
    const decisions: RateLimitDecision[] = []
    const lane = async (limiter: (typeof limiters)[number]) => {
      for (let i = 0; i < 100; i++) decisions.push(await limiter.consume('user:hot', rule))
    }
    await Promise.all(limiters.flatMap((limiter) => Array.from({ length: 8 }, () => lane(limiter))))
    expect(decisions.filter((d) => d.policy !== undefined)).toHaveLength(0)
    expect(decisions.filter((d) => d.allowed)).toHaveLength(50)
    const cached = decisions.filter((d) => d.reason === 'cached').length
    const checks = servers.reduce((sum, s) => sum + s.counted.checks, 0)
    expect(cached + checks).toBe(3_200)
    // Past its first refusal, each limiter answers from memory: a lane's call in flight at most.
    expect(checks).toBeLessThanOrEqual(50 + 4 * 8 * 2)
    await Promise.all(limiters.map((limiter) => limiter.close()))
  })

  it('ends a cached refusal when the window frees up, with the wait counting down', async () => {
    const { store, counted } = countingStore(clients[0]!)
    const limiter = createRateLimiter({
      store,
      prefix: uniquePrefix('block'),
      blockCache: true,
      logger: false,
    })
    const rule = { name: 'short', limit: 2, window: 300 }
    expect((await limiter.consume('user:1', rule)).allowed).toBe(true)
    expect((await limiter.consume('user:1', rule)).allowed).toBe(true)
    const refused = await limiter.consume('user:1', rule)
    expect(refused).toMatchObject({ allowed: false, reason: 'limited' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const cached = await limiter.consume('user:1', rule)
    expect(cached).toMatchObject({ allowed: false, reason: 'cached', remaining: 0 })
    expect(cached.retryAfterMs).toBeLessThanOrEqual(refused.retryAfterMs - 45)
    expect(cached.retryAfterMs).toBeGreaterThan(0)
    expect(counted.checks).toBe(3)
    await new Promise((resolve) => setTimeout(resolve, cached.retryAfterMs + 5))
    expect(await limiter.consume('user:1', rule)).toMatchObject({ allowed: true })
    await limiter.close()
  })

  it('forgets the block on a reset in this process; a reset elsewhere is seen within maxBlockMs', async () => {
    const prefix = uniquePrefix('block')
    const rule = { name: 'quota', limit: 1, window: '1h' }
    const here = createRateLimiter({
      store: new RedisStore({ client: clients[0]!, logger: false }),
      prefix,
      blockCache: { maxBlockMs: 150 },
      logger: false,
    })
    const elsewhere = createRateLimiter({
      store: new RedisStore({ client: clients[1]!, logger: false }),
      prefix,
    })
    await here.consume('user:1', rule)
    expect((await here.consume('user:1', rule)).reason).toBe('limited')
    expect((await here.consume('user:1', rule)).reason).toBe('cached')
    await here.reset('user:1', rule)
    expect((await here.consume('user:1', rule)).allowed).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 2))
    expect((await here.consume('user:1', rule)).reason).toBe('limited')
    await elsewhere.reset('user:1', rule)
    expect((await here.consume('user:1', rule)).reason).toBe('cached') // stale, as documented
    await new Promise((resolve) => setTimeout(resolve, 160))
    expect((await here.consume('user:1', rule)).allowed).toBe(true)
    await Promise.all([here.close(), elsewhere.close()])
  })
})
