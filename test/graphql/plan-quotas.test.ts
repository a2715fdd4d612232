import { type GraphQLSchema, graphql } from 'graphql'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { planQuotas } from '../../src/identity/quotas.js'
import {
  type Caller,
  createRateLimiter,
  definePlans,
  type RateLimiter,
  type RateLimitStore,
  RedisStore,
  type StoreCall,
  type StoreRule,
} from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { codes, limitedSchema } from './fixtures.js'

/** A RedisStore that counts the checks it is asked (each `consume` or each call of a `consumeMany`). */
function countingStore(client: Redis) {
  const inner = new RedisStore({ client, logger: false })
  const counts = { roundTrips: 0, checks: 0 }
  const store: RateLimitStore = {
    kind: 'redis',
    consume(rules: readonly StoreRule[], cost: number) {
      counts.roundTrips++
      counts.checks++
      return inner.consume(rules, cost)
    },
    consumeMany(calls: readonly StoreCall[]) {
      counts.roundTrips++
      counts.checks += calls.length
      return inner.consumeMany(calls)
    },
    peek: (rules, cost) => inner.peek(rules, cost),
    reset: (keys) => inner.reset(keys),
  }
  return { store, counts }
}

const plans = definePlans({
  free: { quotas: [{ limit: 3, window: '1d' }] },
  pro: { scale: 10, quotas: [{ name: 'monthly', limit: 100, window: '30d' }] },
})

const fields = Array.from({ length: 20 }, (_, i) => `f${i}`)
const sdl = `type Query {
  ${fields.map((f) => `${f}: Int @rateLimit(limit: 100, window: "1m")`).join(' ')}
  once: Int @rateLimit(limit: 1, window: "1h")
  other: Int @rateLimit(limit: 100, window: "1m")
  open: Int
}`
const resolvers = {
  Query: {
    ...Object.fromEntries(fields.map((f, i) => [f, () => i])),
    once: () => 1,
    other: () => 2,
    open: () => 3,
  },
}
const twenty = `{ ${fields.join(' ')} }`

let client: Redis
const limiters: RateLimiter[] = []
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()))
  client.disconnect()
})

/** A schema whose every caller is the API-key customer `acct` on `plan`, identified sync or async. */
function setup(plan: 'free' | 'pro' = 'free', options: { async?: boolean; coalesce?: boolean } = {}) {
  const { store, counts } = countingStore(client)
  const limiter = createRateLimiter({ store, prefix: uniquePrefix('pq'), logger: false })
  limiters.push(limiter)
  const caller: Caller = { id: `key:acct-${plan}`, kind: 'api-key', owner: 'acct', plan: plans[plan] }
  const identify = options.async ? async () => caller : () => caller
  const schema = limitedSchema(limiter, sdl, resolvers, {
    identify,
    ...(options.coalesce === false ? { coalesce: false } : {}),
  })
  const quotaUsed = async () => (await limiter.usage(caller.id, planQuotas(plans[plan]))).used
  return { limiter, schema, counts, caller, quotaUsed }
}

const exec = (schema: GraphQLSchema, source: string) => graphql({ schema, source, contextValue: {} })

describe('plan quotas in GraphQL', () => {
  it('uses the quota once for an operation of 20 limited fields, in two round trips', async () => {
    const { schema, counts, quotaUsed } = setup()
    const result = await exec(schema, twenty)
    expect(result.errors).toBeUndefined()
    expect(await quotaUsed()).toBe(1)
    // The carrier (its rule and the quota), then the other 19 together.
    expect(counts).toEqual({ roundTrips: 2, checks: 20 })
  })

  it.each([
    ['synchronous identify, coalesced', {}],
    ['asynchronous identify, coalesced', { async: true }],
    ['coalesce: false', { coalesce: false }],
  ])('refuses every limited field once the quota is spent (%s)', async (_, options) => {
    const { schema, quotaUsed } = setup('free', options)
    for (let i = 0; i < 3; i++) expect((await exec(schema, twenty)).errors).toBeUndefined()
    const over = await exec(schema, `{ ${fields.join(' ')} open }`)
    expect(codes(over)).toEqual(fields.map(() => 'RATE_LIMITED'))
    expect(over.data?.open).toBe(3) // a field without @rateLimit is not a limited request
    expect(await quotaUsed()).toBe(3)
  })

  it('marks a refusal by the quota in extensions.quota, and not a refusal by the field rule', async () => {
    const { schema } = setup()
    expect((await exec(schema, '{ once }')).errors).toBeUndefined()
    const byField = await exec(schema, '{ once }')
    expect(byField.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'Query.once' })
    expect(byField.errors?.[0]?.extensions?.quota).toBeUndefined()
    await exec(schema, '{ other }')
    await exec(schema, '{ other }')
    const byQuota = await exec(schema, '{ other }')
    const extensions = byQuota.errors?.[0]?.extensions as Record<string, unknown>
    expect(extensions).toMatchObject({ code: 'RATE_LIMITED', policy: 'quota:free:0' })
    expect(extensions.quota).toMatchObject({ name: 'quota:free:0', limit: 3 })
    const resetsAt = Date.parse((extensions.quota as { resetsAt: string }).resetsAt)
    expect(resetsAt).toBeGreaterThan(Date.now() + 23 * 3_600_000)
    expect(byQuota.errors?.[0]?.message).toMatch(/^Quota "quota:free:0" exceeded/)
  })

  it('does not use the quota when the field rule refuses, and passes the quota on to the next field', async () => {
    const { schema, quotaUsed } = setup()
    expect((await exec(schema, '{ once }')).errors).toBeUndefined()
    expect(await quotaUsed()).toBe(1)
    expect(codes(await exec(schema, '{ once }'))).toEqual(['RATE_LIMITED'])
    expect(await quotaUsed()).toBe(1) // the refused field recorded nothing under the quota
    // `once` carries the quota first and is refused by its own rule: `other` carries it next.
    const mixed = await exec(schema, '{ once other }')
    expect(codes(mixed)).toEqual(['RATE_LIMITED'])
    expect(mixed.data).toEqual({ once: null, other: 2 })
    expect(await quotaUsed()).toBe(2)
  })

  it('records nothing under a field rule when the quota refuses', async () => {
    const { schema, limiter, caller } = setup()
    for (let i = 0; i < 3; i++) expect((await exec(schema, '{ other }')).errors).toBeUndefined()
    const fieldRule = { name: 'Query.once', limit: 1, window: '1h' }
    expect(codes(await exec(schema, '{ once }'))).toEqual(['RATE_LIMITED'])
    expect((await limiter.usage(caller.id, fieldRule)).used).toBe(0)
  })

  it('names a quota by the name the plan gave it and does not scale it with the plan', async () => {
    const { schema, limiter, caller } = setup('pro')
    await exec(schema, twenty)
    const usage = await limiter.usage(caller.id, planQuotas(plans.pro))
    expect(usage).toMatchObject({ used: 1, limit: 100, rule: { name: 'monthly' } })
  })

  it('leaves callers without quotas on one round trip', async () => {
    const { store, counts } = countingStore(client)
    const limiter = createRateLimiter({ store, prefix: uniquePrefix('pq'), logger: false })
    limiters.push(limiter)
    const schema = limitedSchema(limiter, sdl, resolvers, { identify: () => 'user:plain' })
    expect((await exec(schema, twenty)).errors).toBeUndefined()
    expect(counts).toEqual({ roundTrips: 1, checks: 20 })
  })
})

describe('plan quotas in GraphQL, hostile documents', () => {
  it('bounds the round trips of an operation whose fields are refused by their own rules, using the quota once', async () => {
    const { schema, counts, quotaUsed } = setup('free')
    expect((await exec(schema, '{ once }')).errors).toBeUndefined()
    counts.roundTrips = 0
    counts.checks = 0
    const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: once`).join(' ')
    const result = await exec(schema, `{ ${aliases} other }`)
    expect(codes(result)).toEqual(Array.from({ length: 50 }, () => 'RATE_LIMITED'))
    expect(result.data?.other).toBe(2)
    expect(await quotaUsed()).toBe(2) // `{ once }`, then this operation: once
    // 4 carriers refused by their own rules, the quota alone, that field's own rule, then the rest.
    expect(counts.roundTrips).toBeLessThanOrEqual(8)
  })
})
