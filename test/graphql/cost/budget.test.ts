import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { costTypeDefs, useCostBudget, useRateLimitExtensions } from '../../../src/graphql/cost/index.js'
import { useRateLimitHeaders } from '../../../src/graphql/yoga-plugin.js'
import {
  createRateLimiter,
  IdentityError,
  MemoryStore,
  type RateLimitDecision,
  type RateLimiter,
  type RateLimitStore,
  RedisStore,
} from '../../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../../helpers.js'
import { resolvers, typeDefs } from './fixture.js'

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

/** Counts resolver calls so a test can prove that a refused operation ran nothing. */
function countingSchema() {
  const calls = { viewer: 0 }
  const schema = makeExecutableSchema({
    typeDefs: [costTypeDefs, typeDefs],
    resolvers: {
      ...resolvers,
      Query: {
        ...resolvers.Query,
        viewer: () => {
          calls.viewer++
          return resolvers.Query.viewer()
        },
      },
    },
  })
  return { schema, calls }
}

type BudgetOptions = Omit<Parameters<typeof useCostBudget>[0], 'limiter'>

function server(budget: BudgetOptions, limiter?: RateLimiter) {
  const engine =
    limiter ??
    createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix: uniquePrefix('cost') })
  const { schema, calls } = countingSchema()
  const yoga = createYoga({
    schema,
    plugins: [useRateLimitHeaders(), useCostBudget({ limiter: engine, ...budget }), useRateLimitExtensions()],
    context: ({ request }) => ({ userId: request.headers.get('x-user') ?? undefined }),
    logging: false,
  })
  const post = async (query: string, user = 'alice', variables?: Record<string, unknown>) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': user },
      body: JSON.stringify({ query, variables }),
    })
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
    return { status: response.status, headers: response.headers, body: (await response.json()) as any }
  }
  return { post, calls, limiter: engine }
}

// viewer 1 + repositories (1 + edges 10 × (1 + Repository 2 + stars 3)) = 62
const EXPENSIVE = '{ viewer { repositories(first: 10) { edges { node { name stars } } } } }'
// viewer 1 + repositories (1 + edges 3 × 6) = 20
const CHEAP = '{ viewer { repositories(last: 3) { edges { node { name stars } } } } }'

describe('useCostBudget over HTTP with Redis', () => {
  it('consumes each operation’s cost and refuses the whole operation once the budget cannot pay', async () => {
    const { post, calls } = server({ limit: 100, window: '1h' })
    const first = await post(EXPENSIVE)
    expect(first.status).toBe(200)
    expect(first.body.errors).toBeUndefined()
    expect(first.body.extensions.rateLimit).toEqual({
      cost: 62,
      policies: [{ policy: 'GraphQL.cost', limit: 100, remaining: 38, reset: 3600, window: 3600 }],
    })
    expect(first.headers.get('ratelimit')).toBe('"GraphQL.cost";r=38;t=3600')
    expect(calls.viewer).toBe(1)

    const refused = await post(EXPENSIVE)
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500)
    expect(refused.body.data).toBeUndefined()
    expect(refused.body.errors).toHaveLength(1)
    expect(refused.body.errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      cost: 62,
      remaining: 38,
      limit: 100,
      policy: 'GraphQL.cost',
    })
    expect(refused.body.errors[0].extensions.retryAfter).toBeGreaterThan(3500)
    expect(refused.body.errors[0].message).toMatch(/costs 62 points and 38 of 100 are left/)
    expect(calls.viewer).toBe(1)

    // A refused operation consumed nothing: a cheaper one still fits in the 38 left.
    const cheap = await post(CHEAP)
    expect(cheap.status).toBe(200)
    expect(cheap.body.extensions.rateLimit.policies[0].remaining).toBe(18)
    expect(calls.viewer).toBe(2)
  })

  it('keeps one budget per caller', async () => {
    const { post } = server({ limit: 70, window: '1h' })
    expect((await post(EXPENSIVE, 'alice')).status).toBe(200)
    expect((await post(EXPENSIVE, 'alice')).status).toBe(429)
    const bob = await post(EXPENSIVE, 'bob')
    expect(bob.status).toBe(200)
    expect(bob.body.extensions.rateLimit.policies[0].remaining).toBe(8)
  })

  it('refuses an operation above maxCost as too expensive, with HTTP 400, without consuming budget', async () => {
    const { post, calls } = server({ limit: 1000, window: '1h', maxCost: 80 })
    const big = await post(
      'query($n: Int) { viewer { repositories(first: $n) { nodes { id } } } }',
      'alice',
      { n: 100 },
    )
    expect(big.status).toBe(400)
    expect(big.body.errors[0].extensions).toEqual({ code: 'QUERY_TOO_EXPENSIVE', cost: 202, maxCost: 80 })
    expect(big.body.extensions.rateLimit).toEqual({ cost: 202, maxCost: 80, policies: [] })
    expect(calls.viewer).toBe(0)
    const next = await post(EXPENSIVE)
    expect(next.body.extensions.rateLimit.policies[0].remaining).toBe(1000 - 62)
  })

  it('refuses an operation that costs more than the whole budget as too expensive, never as “wait”', async () => {
    const { post } = server({ limit: 50, window: '1h' })
    const response = await post(EXPENSIVE)
    expect(response.status).toBe(400)
    expect(response.body.errors[0].extensions).toMatchObject({
      code: 'QUERY_TOO_EXPENSIVE',
      cost: 62,
      maxCost: 50,
    })
    expect(response.headers.get('retry-after')).toBeNull()
  })

  it('answers a missing required slicing argument with INVALID_SLICING_ARGUMENTS and HTTP 400', async () => {
    const { post, calls } = server({ limit: 100, window: '1h' })
    const response = await post('{ viewer { repositories { totalCount } } }')
    expect(response.status).toBe(400)
    expect(response.body.errors[0].extensions.code).toBe('INVALID_SLICING_ARGUMENTS')
    expect(calls.viewer).toBe(0)
  })

  it('charges mutations their base cost', async () => {
    const { post } = server({ limit: 100, window: '1h' })
    const response = await post('mutation { addStar(input: { repositoryId: "1" }) { id } }')
    // 10 (mutation) + Repository 2 + AddStarInput 1
    expect(response.body.extensions.rateLimit.cost).toBe(13)
    expect(response.body.data.addStar.id).toBe('r7')
  })

  it('reports the actual cost from the list sizes returned when refund is "report"', async () => {
    const { post } = server({ limit: 100, window: '1h', refund: 'report' })
    // The resolver returns 3 of the 10 repositories asked for: 1 + 1 + 3 × 6 = 20
    const response = await post(EXPENSIVE)
    expect(response.body.extensions.rateLimit).toMatchObject({ cost: 62, actualCost: 20 })
    expect(response.body.extensions.rateLimit.policies[0].remaining).toBe(38)
  })

  it('refuses refund: true at build time when the store cannot give units back, and bad options', () => {
    const inner = new MemoryStore({ sweepIntervalMs: 0 })
    const noRefund: RateLimitStore = {
      kind: 'custom',
      consume: (rules, cost) => inner.consume(rules, cost),
      peek: (rules, cost) => inner.peek(rules, cost),
      reset: (keys) => inner.reset(keys),
    }
    const custom = createRateLimiter({ store: noRefund, logger: false })
    expect(() => useCostBudget({ limiter: custom, limit: 10, window: '1h', refund: true })).toThrow(
      /store \(kind "custom"\) has no refund\(rules, cost\)/,
    )
    expect(() => useCostBudget({ limiter: custom, limit: 10, window: '1h', refund: 'report' })).not.toThrow()
    const limiter = createRateLimiter({ logger: false })
    expect(() => useCostBudget({ limiter, limit: 10, window: '1h', refund: true })).not.toThrow()
    expect(() => useCostBudget({ limiter, limit: 10, window: '1h', refund: 'yes' as never })).toThrow(
      /`refund`/,
    )
    expect(() => useCostBudget({ limiter, limit: 0, window: '1h' })).toThrow(/`limit`/)
    expect(() => useCostBudget({ limiter, limit: 10, window: '1h', maxCost: 0 })).toThrow(/`maxCost`/)
    expect(() => useCostBudget({ limiter, limit: 10, window: '1h', defaultListSize: -1 })).toThrow(
      /`defaultListSize`/,
    )
  })
})

describe('useCostBudget and identity', () => {
  it('answers an identify refusal with its code and HTTP status, running nothing', async () => {
    const limiter = createRateLimiter({ logger: false })
    const identify = () => {
      throw new IdentityError('API_KEY_REQUIRED', 'An API key is required')
    }
    const { post, calls } = server({ limit: 100, window: '1h', identify }, limiter)
    const response = await post(EXPENSIVE)
    expect(response.status).toBe(401)
    expect(response.body.errors[0].extensions.code).toBe('API_KEY_REQUIRED')
    expect(calls.viewer).toBe(0)
  })

  it('scales the budget with the caller’s plan, by the budget’s name', async () => {
    const limiter = createRateLimiter({ logger: false })
    const pro = { name: 'pro', limits: { 'GraphQL.cost': { limit: 1000, window: '1h' } } }
    const identify = (ctx: { userId?: string }) => ({
      id: `user:${ctx.userId}`,
      kind: 'user' as const,
      plan: pro,
    })
    const { post } = server({ limit: 100, window: '1h', identify }, limiter)
    const response = await post(EXPENSIVE)
    expect(response.body.extensions.rateLimit.policies[0]).toMatchObject({ limit: 1000, remaining: 938 })
  })
})

describe('useCostBudget in shadow mode', () => {
  it('refuses nothing, even over budget or maxCost, while every decision reports what would have happened', async () => {
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: uniquePrefix('shadow'),
    })
    const decisions: RateLimitDecision[] = []
    limiter.on('decision', ({ decision }) => decisions.push(decision))
    const { post, calls } = server({ limit: 100, window: '1h', maxCost: 50, shadow: true }, limiter)
    const responses = [await post(EXPENSIVE), await post(EXPENSIVE), await post(EXPENSIVE)]
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    expect(responses.every((r) => r.body.errors === undefined && r.body.data.viewer)).toBe(true)
    expect(calls.viewer).toBe(3)
    expect(decisions.map((d) => [d.allowed, d.reason])).toEqual([
      [true, undefined],
      [true, 'shadow'],
      [true, 'shadow'],
    ])
    // The refused (shadow) operation recorded nothing: 38 points are still left, it needed 62.
    const [policy] = responses[1]!.body.extensions.rateLimit.policies
    expect(policy).toMatchObject({
      policy: 'GraphQL.cost',
      limit: 100,
      remaining: 38,
      window: 3600,
      shadow: true,
    })
    expect(policy.retryAfter).toBeGreaterThan(3500)
    expect(responses[1]!.headers.get('retry-after')).toBeNull()
  })
})

describe('useCostBudget with refund: true on Redis', () => {
  const budget = { name: 'GraphQL.cost', limit: 100, window: '1h' }

  it.each(['sliding-log', 'sliding-window'] as const)(
    'gives the points a response did not use back before it is sent (%s): the next operation can spend them',
    async (algorithm) => {
      const { post, limiter } = server({ ...budget, algorithm, refund: true })
      const rule = { ...budget, algorithm }
      const first = await post(EXPENSIVE)
      expect(first.status).toBe(200)
      // Charged 62 before execution (reported as such); 3 of 10 repositories came back: 20 used.
      expect(first.body.extensions.rateLimit).toMatchObject({ cost: 62, actualCost: 20 })
      expect(first.body.extensions.rateLimit.policies[0].remaining).toBe(38)
      expect(await limiter.peek('user:alice', rule)).toMatchObject({ remaining: 79 })
      // Without the refund only 38 would be left and this would be refused.
      const second = await post(EXPENSIVE)
      expect(second.status).toBe(200)
      expect(second.body.extensions.rateLimit.policies[0].remaining).toBe(18)
      expect(await limiter.peek('user:alice', rule, { cost: 60 })).toMatchObject({
        allowed: true,
        remaining: 0,
      })
      const third = await post(EXPENSIVE)
      expect(third.status).toBe(429)
      expect(third.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', remaining: 60 })
      // Nothing is given back to other callers, and an operation that used its estimate keeps it.
      expect(await limiter.peek('user:bob', rule)).toMatchObject({ remaining: 99 })
      expect((await post(CHEAP, 'bob')).body.extensions.rateLimit).toMatchObject({ cost: 20, actualCost: 20 })
      expect(await limiter.peek('user:bob', rule)).toMatchObject({ remaining: 79 })
    },
  )

  it('gives nothing back for a shadow admission over budget, which recorded nothing', async () => {
    const { post, limiter } = server({ ...budget, limit: 70, shadow: true, refund: true })
    const rule = { ...budget, limit: 70 }
    await post(EXPENSIVE) // recorded 62, refunded 42: 20 used
    expect(await limiter.peek('user:alice', rule)).toMatchObject({ remaining: 49 })
    const over = await post(EXPENSIVE) // 20 + 62 > 70: admitted in shadow, nothing recorded
    expect(over.status).toBe(200)
    expect(over.body.extensions.rateLimit).toMatchObject({ cost: 62, actualCost: 20 })
    expect(await limiter.peek('user:alice', rule)).toMatchObject({ remaining: 49 })
  })

  it('answers the operation normally and keeps the charge when the refund fails', async () => {
    class NoRefunds extends RedisStore {
      override refund(): Promise<never> {
        return Promise.reject(new Error("READONLY You can't write against a read only replica"))
      }
    }
    const limiter = createRateLimiter({
      store: new NoRefunds({ client, logger: false }),
      prefix: uniquePrefix('refund-fails'),
      logger: false,
    })
    const { post } = server({ ...budget, refund: true }, limiter)
    const response = await post(EXPENSIVE)
    expect(response.status).toBe(200)
    expect(response.body.errors).toBeUndefined()
    expect(response.body.data.viewer).toBeTruthy()
    expect(response.body.extensions.rateLimit).toMatchObject({ cost: 62, actualCost: 20 })
    expect(await limiter.peek('user:alice', budget)).toMatchObject({ remaining: 37 })
  })
})
