import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import {
  costTypeDefs,
  rateLimitDirective,
  useCostBudget,
  useRateLimitExtensions,
  useRateLimitHeaders,
} from '../../src/graphql/index.js'
import {
  createRateLimiter,
  logShadowDecisions,
  MemoryStore,
  type RateLimitDecision,
  type RateLimiter,
} from '../../src/index.js'
import { manualClock } from '../helpers.js'

const typeDefs = /* GraphQL */ `
  type Query {
    search(q: String!): [String!]! @rateLimit(limit: 1, window: "1m", shadow: true) @listSize(assumedSize: 2)
    strict: String @rateLimit(limit: 1, window: "1m")
    free: String
  }
`

function server(limiter: RateLimiter, plugins: object[] = []) {
  const { typeDefs: rateLimitTypeDefs, transformer } = rateLimitDirective({ limiter })
  const schema = transformer(
    makeExecutableSchema({
      typeDefs: [rateLimitTypeDefs, costTypeDefs, typeDefs],
      resolvers: {
        Query: {
          search: (_: unknown, { q }: { q: string }) => [q, q],
          strict: () => 'ok',
          free: () => 'free',
        },
      },
    }),
  )
  const yoga = createYoga({
    schema,
    plugins: [useRateLimitHeaders(), ...plugins, useRateLimitExtensions()],
    context: () => ({ userId: '7' }),
    logging: false,
  })
  return async (query: string) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    })
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
    return { status: response.status, headers: response.headers, body: (await response.json()) as any }
  }
}

const memoryLimiter = (shadow = false) =>
  createRateLimiter({ store: new MemoryStore({ clock: manualClock() }), shadow, logger: false })

describe('shadow mode through GraphQL', () => {
  it('a @rateLimit(shadow: true) field is never refused, and every decision and log line says it would have been', async () => {
    const limiter = memoryLimiter()
    const decisions: RateLimitDecision[] = []
    limiter.on('decision', ({ decision }) => decisions.push(decision))
    const lines: string[] = []
    logShadowDecisions(limiter, { warn: (line: string) => lines.push(line) })
    const post = server(limiter)
    const responses = [
      await post('{ search(q: "a") }'),
      await post('{ search(q: "b") }'),
      await post('{ search(q: "c") }'),
    ]
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200])
    expect(responses.map((r) => r.body.data.search[0])).toEqual(['a', 'b', 'c'])
    expect(responses.every((r) => r.body.errors === undefined)).toBe(true)
    expect(decisions.map((d) => d.reason)).toEqual([undefined, 'shadow', 'shadow'])
    expect(lines).toHaveLength(2)
    expect(lines[0]).toContain('would have refused user:7 on "Query.search" (1 per 1m)')
    const [policy] = responses[2]!.body.extensions.rateLimit.policies
    expect(policy).toMatchObject({ policy: 'Query.search', limit: 1, remaining: 0, window: 60, shadow: true })
    expect(policy.retryAfter).toBeGreaterThanOrEqual(59)
    expect(responses[2]!.headers.get('ratelimit')).toMatch(/^"Query.search";r=0;t=6\d$/)
    expect(responses[2]!.headers.get('retry-after')).toBeNull()
  })

  it('keeps enforcing the limits that are not in shadow', async () => {
    const post = server(memoryLimiter())
    expect((await post('{ strict }')).body.data.strict).toBe('ok')
    const refused = await post('{ strict }')
    expect(refused.status).toBe(429)
    expect(refused.body.errors[0].extensions.code).toBe('RATE_LIMITED')
  })

  it('a limiter in shadow refuses no field at all', async () => {
    const limiter = memoryLimiter(true)
    const decisions: RateLimitDecision[] = []
    limiter.on('decision', ({ decision }) => decisions.push(decision))
    const post = server(limiter)
    const responses = [await post('{ strict }'), await post('{ strict }')]
    expect(responses.map((r) => [r.status, r.body.data.strict])).toEqual([
      [200, 'ok'],
      [200, 'ok'],
    ])
    expect(decisions.map((d) => d.reason)).toEqual([undefined, 'shadow'])
  })
})

describe('extensions.rateLimit with fields and the cost budget together', () => {
  it('lists every policy the operation touched and the operation’s cost', async () => {
    const limiter = memoryLimiter()
    const post = server(limiter, [useCostBudget({ limiter, limit: 50, window: '1h' })])
    // cost: search is a list of 2 (assumedSize) strings = 0; strict and free are scalars → minimum 1
    const response = await post('{ search(q: "x") strict free }')
    expect(response.body.errors).toBeUndefined()
    const { rateLimit } = response.body.extensions
    expect(rateLimit.cost).toBe(1)
    const byName = Object.fromEntries(rateLimit.policies.map((p: { policy: string }) => [p.policy, p]))
    expect(Object.keys(byName).sort()).toEqual(['GraphQL.cost', 'Query.search', 'Query.strict'])
    expect(byName['GraphQL.cost']).toEqual({
      policy: 'GraphQL.cost',
      limit: 50,
      remaining: 49,
      reset: 3600,
      window: 3600,
    })
    expect(byName['Query.strict']).toEqual({
      policy: 'Query.strict',
      limit: 1,
      remaining: 0,
      reset: 60,
      window: 60,
    })
    expect(byName['Query.search']).toEqual({
      policy: 'Query.search',
      limit: 1,
      remaining: 0,
      reset: 60,
      window: 60,
      shadow: true,
    })
    // The second time: strict is refused (and says when it returns), the budget goes on.
    const again = (await post('{ strict free }')).body
    expect(again.data).toEqual({ strict: null, free: 'free' })
    const strict = again.extensions.rateLimit.policies.find(
      (p: { policy: string }) => p.policy === 'Query.strict',
    )
    expect(strict.remaining).toBe(0)
    expect(strict.retryAfter).toBeGreaterThanOrEqual(60)
  })

  it('adds nothing to a response that touched no limit', async () => {
    const post = server(memoryLimiter())
    const response = await post('{ free }')
    expect(response.body).toEqual({ data: { free: 'free' } })
  })
})
