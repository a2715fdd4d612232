import { describe, expect, it } from 'vitest'
import { createRateLimiter, RedisStore } from '../src/index.js'
import { ready, redisClient, uniquePrefix } from './helpers.js'

describe('smoke', () => {
  it('admits exactly the limit on Redis with the sliding log and the counter', async () => {
    const client = await ready(redisClient())
    const limiter = createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix: uniquePrefix() })
    for (const algorithm of ['sliding-log', 'sliding-window'] as const) {
      const rule = { name: `s-${algorithm}`, limit: 3, window: '1m', algorithm }
      const results = []
      for (let i = 0; i < 5; i++) results.push(await limiter.consume('user:1', rule))
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false])
      expect(results[3]!.reason).toBe('limited')
      if (algorithm === 'sliding-log') expect(results[3]!.retryAfterMs).toBeGreaterThan(59_000)
      else expect(results[3]!.retryAfterMs).toBeGreaterThan(20_000 - 1)
      expect(results[2]!.remaining).toBe(0)
      expect(results[0]!.remaining).toBe(2)
    }
    await limiter.close()
    client.disconnect()
  })
})

describe('consumeMany', () => {
  it('answers several independent requests in one pipeline with the same semantics as consume', async () => {
    const client = await ready(redisClient())
    const limiter = createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix: uniquePrefix() })
    const a = { name: 'A', limit: 1, window: '1m' }
    const b = { name: 'B', limit: 2, window: '1m' }
    const first = await limiter.consumeMany([
      { identity: 'user:1', rules: a },
      { identity: 'user:1', rules: b },
      { identity: 'user:1', rules: a },
      { identity: 'user:1', rules: b, cost: 5 },
    ])
    expect(first.map((d) => d.allowed)).toEqual([true, true, false, false])
    expect(first[3]!.reason).toBe('cost-exceeds-limit')
    expect(first[2]!.reason).toBe('limited')
    await client.script('FLUSH')
    const second = await limiter.consumeMany([
      { identity: 'user:1', rules: b },
      { identity: 'user:1', rules: b },
    ])
    expect(second.map((d) => d.allowed)).toEqual([true, false])
    await limiter.close()
    client.disconnect()
  })
})
