import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useRateLimitHeaders } from '../../src/graphql/index.js'
import {
  createRateLimiter,
  type RateLimitStore,
  RedisStore,
  type StoreCall,
  type StoreRule,
} from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { limitedSchema, run } from './fixtures.js'

/** A RedisStore that counts the round trips it makes. */
function countingStore(client: Redis) {
  const inner = new RedisStore({ client, logger: false })
  const counts = { consume: 0, consumeMany: 0, checks: 0 }
  const store: RateLimitStore = {
    kind: 'redis',
    consume(rules: readonly StoreRule[], cost: number) {
      counts.consume++
      counts.checks++
      return inner.consume(rules, cost)
    },
    consumeMany(calls: readonly StoreCall[]) {
      counts.consumeMany++
      counts.checks += calls.length
      return inner.consumeMany(calls)
    },
    peek: (rules, cost) => inner.peek(rules, cost),
    reset: (keys) => inner.reset(keys),
  }
  return { store, counts, roundTrips: () => counts.consume + counts.consumeMany }
}

const fields = Array.from({ length: 20 }, (_, i) => `f${i}`)
const sdl = `type Query { ${fields.map((f) => `${f}: Int @rateLimit(limit: 100, window: "1m")`).join(' ')} item: Item }
  type Item { ${fields.map((f) => `${f}: Int @rateLimit(limit: 100, window: "1m")`).join(' ')} }`
const resolvers = {
  Query: { ...Object.fromEntries(fields.map((f, i) => [f, () => i])), item: () => ({}) },
  Item: Object.fromEntries(fields.map((f, i) => [f, () => i])),
}
const query = `{ ${fields.join(' ')} }`

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

describe('coalescing the checks of one operation', () => {
  it('sends the 20 checks of a 20-field query to Redis in one round trip', async () => {
    const { store, counts, roundTrips } = countingStore(client)
    const limiter = createRateLimiter({ store, prefix: uniquePrefix('co'), logger: false })
    const schema = limitedSchema(limiter, sdl, resolvers)
    const result = await run(schema, query)
    expect(result.errors).toBeUndefined()
    expect(counts).toEqual({ consume: 0, consumeMany: 1, checks: 20 })
    // One more level: the root field, then its 20 children in a second round trip.
    await run(schema, `{ item { ${fields.join(' ')} } }`)
    expect(roundTrips()).toBe(2)
    expect(counts.checks).toBe(40)
  })

  it('sends each check alone with coalesce: false', async () => {
    const { store, counts } = countingStore(client)
    const limiter = createRateLimiter({ store, prefix: uniquePrefix('co'), logger: false })
    const schema = limitedSchema(limiter, sdl, resolvers, { coalesce: false })
    await run(schema, query)
    expect(counts).toEqual({ consume: 20, consumeMany: 0, checks: 20 })
  })

  it('keeps every decision its own inside one pipeline, through yoga.fetch', async () => {
    const { store, roundTrips } = countingStore(client)
    const limiter = createRateLimiter({ store, prefix: uniquePrefix('co'), logger: false })
    const tight = `type Query { a: Int @rateLimit(limit: 1, window: "1m") b: Int @rateLimit(limit: 3, window: "1m") c: Int }`
    const yoga = createYoga({
      schema: limitedSchema(limiter, tight, { Query: { a: () => 1, b: () => 2, c: () => 3 } }),
      plugins: [useRateLimitHeaders()],
      context: { user: { id: 'zoe' } },
      logging: false,
    })
    const post = async () =>
      (await (
        await yoga.fetch('http://yoga/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: '{ a1: a a2: a b1: b b2: b c }' }),
        })
      ).json()) as { data: unknown }
    expect((await post()).data).toEqual({ a1: 1, a2: null, b1: 2, b2: 2, c: 3 })
    expect(roundTrips()).toBe(1)
    expect((await post()).data).toEqual({ a1: null, a2: null, b1: 2, b2: null, c: 3 })
    expect(roundTrips()).toBe(2)
  })

  it('keeps concurrent operations to at most one round trip each', async () => {
    const { store, counts } = countingStore(client)
    const limiter = createRateLimiter({ store, prefix: uniquePrefix('co'), logger: false })
    const schema = limitedSchema(limiter, sdl, resolvers)
    const results = await Promise.all(['u1', 'u2', 'u3'].map((user) => run(schema, query, user)))
    expect(results.every((r) => r.errors === undefined)).toBe(true)
    expect(counts.consume).toBe(0)
    expect(counts.consumeMany).toBeLessThanOrEqual(3)
    expect(counts.checks).toBe(60)
  })

  it("settles one caller's fields as soon as that caller's checks are answered, not when the whole tick's are", async () => {
    // Bob's store call is held; Alice's operation, started in the same tick, must not wait for it
    // (one consumeMany for both settles only with Bob's answer).
    let release!: () => void
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const inner = new RedisStore({ client, logger: false })
    const store: RateLimitStore = {
      kind: 'redis',
      consume: (rules, cost) => inner.consume(rules, cost),
      async consumeMany(calls: readonly StoreCall[]) {
        if (calls.some((call) => call.rules.some((rule) => rule.key.includes('bob')))) await held
        return inner.consumeMany(calls)
      },
      peek: (rules, cost) => inner.peek(rules, cost),
      reset: (keys) => inner.reset(keys),
    }
    const limiter = createRateLimiter({ store, prefix: uniquePrefix('co'), logger: false })
    const schema = limitedSchema(limiter, sdl, resolvers)
    const bob = run(schema, query, 'bob')
    const alice = run(schema, query, 'alice')
    // Bob's held call ends by the limiter's deadline at the latest; Alice must be done before.
    const first = await Promise.race([alice.then(() => 'alice'), bob.then(() => 'bob')])
    release()
    expect(first).toBe('alice')
    expect((await bob).errors).toBeUndefined()
    expect((await alice).errors).toBeUndefined()
  })
})
