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
