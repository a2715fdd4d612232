/**
 * Floods that the limiter withstands, kept as regressions at hostile scale (the unit tests use a
 * handful of aliases or calls): thousands of aliases of one limited field spread over concurrent
 * operations of one caller, and a tRPC batch of a thousand calls in one HTTP request. Each must
 * admit exactly `limit`, answer every refusal as a rate-limit error, and never a server error.
 */
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { limitedSchema } from '../graphql/fixtures.js'
import { limiterOn, ready, redisClient } from '../helpers.js'
import { makeRouter, redisLimiter, startStandalone } from '../trpc/fixtures.js'

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

describe('an alias flood on Redis', () => {
  it('admits exactly the limit across 4 concurrent operations of 1 000 aliases each', async () => {
    const limiter = limiterOn(client, 'alias-flood')
    let runs = 0
    const schema = limitedSchema(limiter, 'type Query { hit: Int @rateLimit(limit: 37, window: "1m") }', {
      Query: { hit: () => ++runs },
    })
    const yoga = createYoga({ schema, logging: false, context: () => ({ userId: 'mallory' }) })
    const query = `{ ${Array.from({ length: 1_000 }, (_, i) => `a${i}: hit`).join(' ')} }`
    const responses = await Promise.all(
      Array.from({ length: 4 }, () =>
        yoga.fetch('http://localhost/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        }),
      ),
    )
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as Array<{
      errors: Array<{ extensions: { code: string } }>
    }>
    expect(runs).toBe(37)
    const codes = new Set(bodies.flatMap((b) => b.errors.map((e) => e.extensions.code)))
    expect(codes).toEqual(new Set(['RATE_LIMITED']))
    expect(bodies.reduce((n, b) => n + b.errors.length, 0)).toBe(4_000 - 37)
    await limiter.close()
  })
})

describe('a tRPC batch of 1 000 calls in one request', () => {
  it('admits exactly the limit of each procedure and answers every other call TOO_MANY_REQUESTS', async () => {
    const redis = await redisLimiter()
    const server = await startStandalone(makeRouter(redis.limiter))
    try {
      // `a` and `b`: 2 per minute each; 500 calls of each in one GET.
      const path = Array.from({ length: 1_000 }, (_, i) => (i % 2 ? 'a' : 'b')).join(',')
      const response = await fetch(`${server.url}/${path}?batch=1`, { headers: { 'x-user': 'mallory' } })
      const calls = (await response.json()) as Array<{ result?: unknown; error?: { data: { code: string } } }>
      expect(calls).toHaveLength(1_000)
      expect(calls.filter((c) => c.result !== undefined)).toHaveLength(4)
      expect(new Set(calls.flatMap((c) => c.error?.data.code ?? []))).toEqual(new Set(['TOO_MANY_REQUESTS']))
    } finally {
      await server.close()
      await redis.close()
    }
  })
})
