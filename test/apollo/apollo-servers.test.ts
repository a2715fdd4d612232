/**
 * `resolver-rate-limit/apollo` on real Apollo Server 4 and 5, served by `startStandaloneServer` and
 * by `expressMiddleware` (Express 5), called with `fetch` over HTTP, counting on Redis: the same
 * status, headers and extensions as `useRateLimitHeaders()` gives on graphql-yoga.
 */
import type { AddressInfo } from 'node:net'
import { ApolloServer as ApolloServer5 } from '@apollo/server'
import { startStandaloneServer as startStandalone5 } from '@apollo/server/standalone'
import { ApolloServer as ApolloServer4 } from '@apollo/server-4'
import { expressMiddleware as expressMiddleware4 } from '@apollo/server-4/express4'
import { startStandaloneServer as startStandalone4 } from '@apollo/server-4/standalone'
import { expressMiddleware as expressMiddleware5 } from '@as-integrations/express5'
import express from 'express'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { costBudgetApolloPlugin, rateLimitApolloPlugin } from '../../src/apollo/index.js'
import { costTypeDefs } from '../../src/graphql/index.js'
import { createIdentify, createRateLimiter, type RateLimitDecision, RedisStore } from '../../src/index.js'
import { limitedSchema } from '../graphql/fixtures.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

const sdl = /* GraphQL */ `
  type Query {
    search(q: String!): [String!] @rateLimit(limit: 2, window: "1m")
    strict: String! @rateLimit(limit: 1, window: "1m")
    ping: String @rateLimit(limit: 5, window: "1m")
    free: String
    books(first: Int!, available: Int): [Book!]! @listSize(slicingArguments: ["first"])
  }
  type Book { title: String! @cost(weight: "4") }
`

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

// biome-ignore lint/suspicious/noExplicitAny: the two majors' classes differ only in their types.
type AnyApolloServer = new (config: any) => { start(): Promise<void>; stop(): Promise<void> }
type Serve = (server: never) => Promise<{ url: string; close(): Promise<void> }>

/** Apollo's standalone server, with the one context line the README documents. */
function standalone(start: typeof startStandalone5 | typeof startStandalone4): Serve {
  return async (server) => {
    // The two majors' functions take the same options; their overloads differ only in types.
    const { url } = await (start as typeof startStandalone5)(server, {
      listen: { port: 0, host: '127.0.0.1' },
      context: async ({ req }) => ({ req }),
    })
    return { url, close: async () => {} }
  }
}

/** Apollo inside Express 5, with the same context line. */
function viaExpress(middleware: typeof expressMiddleware5 | typeof expressMiddleware4): Serve {
  return async (server) => {
    await (server as { start(): Promise<void> }).start()
    const app = express()
    app.use(
      '/graphql',
      express.json(),
      // biome-ignore lint/suspicious/noExplicitAny: the two majors' middleware types differ.
      (middleware as any)(server, { context: async ({ req }: { req: unknown }) => ({ req }) }),
    )
    const http = await new Promise<import('node:http').Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening))
    })
    return {
      url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`,
      close: () => new Promise((resolve) => http.close(() => resolve())),
    }
  }
}

const SERVERS: Array<[string, AnyApolloServer, Serve]> = [
  ['Apollo Server 5, startStandaloneServer', ApolloServer5, standalone(startStandalone5)],
  [
    'Apollo Server 5, expressMiddleware (@as-integrations/express5)',
    ApolloServer5,
    viaExpress(expressMiddleware5),
  ],
  ['Apollo Server 4, startStandaloneServer', ApolloServer4, standalone(startStandalone4)],
  [
    'Apollo Server 4, expressMiddleware (@apollo/server/express4)',
    ApolloServer4,
    viaExpress(expressMiddleware4),
  ],
]

interface Reply {
  status: number
  headers: Headers
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
  body: any
}

describe.each(SERVERS)('%s', (_, ApolloServer, serve) => {
  const decisions: RateLimitDecision[] = []
  let url: string
  let stop: () => Promise<void>

  beforeAll(async () => {
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: uniquePrefix('apollo'),
      identify: createIdentify({ trustProxy: 1 }),
      logger: false,
    })
    limiter.on('decision', ({ decision }) => decisions.push(decision))
    const schema = limitedSchema(limiter, `${costTypeDefs}\n${sdl}`, {
      Query: {
        search: (_: unknown, { q }: { q: string }) => [q, `${q}!`],
        strict: () => 's',
        ping: () => 'pong',
        free: () => 'free',
        books: (_: unknown, { first, available }: { first: number; available?: number }) =>
          Array.from({ length: Math.min(first, available ?? first) }, (_, i) => ({ title: `t${i}` })),
      },
    })
    const server = new ApolloServer({
      schema,
      plugins: [
        rateLimitApolloPlugin(),
        // minimumCost 0: an operation without lists costs nothing, so the field tests see only their limits.
        costBudgetApolloPlugin({
          limiter,
          limit: 100,
          window: '1h',
          maxCost: 60,
          minimumCost: 0,
          refund: true,
        }),
      ],
    })
    const served = await serve(server as never)
    url = served.url
    stop = async () => {
      await served.close()
      await server.stop()
    }
  })
  afterAll(() => stop())

  /** A client at `address`, behind one proxy (this test) that appends what it saw to X-Forwarded-For. */
  async function post(address: string, query: string, claimed?: string): Promise<Reply> {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-for': claimed ? `${claimed}, ${address}` : address,
      },
      body: JSON.stringify({ query }),
    })
    return { status: response.status, headers: response.headers, body: await response.json() }
  }

  it('sends RateLimit headers and extensions.rateLimit, then 429 with Retry-After once every root field is refused', async () => {
    const ok = await post('192.0.2.1', '{ search(q: "a") }')
    expect(ok.status).toBe(200)
    expect(ok.body.data).toEqual({ search: ['a', 'a!'] })
    expect(ok.headers.get('ratelimit-policy')).toBe('"Query.search";q=2;w=60')
    expect(ok.headers.get('ratelimit')).toBe('"Query.search";r=1;t=60')
    expect(ok.headers.get('retry-after')).toBeNull()
    expect(ok.body.extensions.rateLimit).toEqual({
      cost: 0,
      maxCost: 60,
      policies: [{ policy: 'Query.search', limit: 2, remaining: 1, reset: 60, window: 60 }],
    })
    expect(decisions.at(-1)!.identity).toBe('ip:192.0.2.1')

    expect((await post('192.0.2.1', '{ search(q: "b") }')).status).toBe(200)
    const refused = await post('192.0.2.1', '{ search(q: "c") }')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59)
    expect(refused.headers.get('ratelimit')).toMatch(/^"Query\.search";r=0;t=(59|60)$/)
    expect(refused.body.data).toEqual({ search: null })
    expect(refused.body.errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      policy: 'Query.search',
      limit: 2,
      remaining: 0,
    })
    expect(refused.body.errors[0].extensions.retryAfter).toBeGreaterThanOrEqual(59)
    expect(refused.body.errors[0].extensions.http).toBeUndefined()
    expect(refused.body.extensions.rateLimit.policies[0]).toMatchObject({
      policy: 'Query.search',
      remaining: 0,
    })
    expect(refused.body.extensions.rateLimit.policies[0].retryAfter).toBeGreaterThanOrEqual(59)
  })

  it('answers 200 with partial data, and no Retry-After, when some root fields still resolve', async () => {
    const mixed = await post('192.0.2.3', '{ a: search(q: "x") b: search(q: "y") c: search(q: "z") ping }')
    expect(mixed.status).toBe(200)
    expect(mixed.headers.get('retry-after')).toBeNull()
    expect(mixed.body.data).toEqual({ a: ['x', 'x!'], b: ['y', 'y!'], c: null, ping: 'pong' })
    expect(mixed.body.errors.map((e: { path: string[] }) => e.path)).toEqual([['c']])
    expect(mixed.headers.get('ratelimit')).toMatch(/^"Query\.search";r=0;t=\d+$/)
  })

  it('answers 429 when a refused non-null root field nulls the whole data', async () => {
    expect((await post('192.0.2.4', '{ strict }')).status).toBe(200)
    const refused = await post('192.0.2.4', '{ strict }')
    expect(refused.status).toBe(429)
    expect(refused.body.data).toBeNull()
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59)
  })

  it('sends no rate-limit headers for an operation that touched no limit', async () => {
    const free = await post('192.0.2.5', '{ free }')
    expect(free.status).toBe(200)
    expect(free.headers.get('ratelimit')).toBeNull()
    expect(free.body).toEqual({
      data: { free: 'free' },
      extensions: { rateLimit: { cost: 0, maxCost: 60, policies: [] } },
    })
  })

  it('charges the cost budget before execution, settles the actual cost, and refuses with 429 or 400', async () => {
    // books(first: 10): 10 × (Book 1 + title 4) = 50 charged; 2 books came back: 10 used, 40 given back.
    const first = await post('192.0.2.6', '{ books(first: 10, available: 2) { title } }')
    expect(first.status).toBe(200)
    expect(first.body.extensions.rateLimit).toEqual({
      cost: 50,
      actualCost: 10,
      maxCost: 60,
      // As on yoga: the state at the charge, before the refund.
      policies: [{ policy: 'GraphQL.cost', limit: 100, remaining: 50, reset: 3600, window: 3600 }],
    })
    expect(first.headers.get('ratelimit')).toBe('"GraphQL.cost";r=50;t=3600')

    const tooExpensive = await post('192.0.2.6', '{ books(first: 20) { title } }')
    expect(tooExpensive.status).toBe(400)
    expect(tooExpensive.body.errors[0].extensions).toEqual({
      code: 'QUERY_TOO_EXPENSIVE',
      cost: 100,
      maxCost: 60,
    })
    expect(tooExpensive.body.data).toBeUndefined()

    // 10 used, so 90 left: the next one fits (without the refund it would not).
    const second = await post('192.0.2.6', '{ books(first: 10) { title } }')
    expect(second.status).toBe(200)
    expect(second.body.extensions.rateLimit.policies[0].remaining).toBe(40)
    const spent = await post('192.0.2.6', '{ books(first: 10) { title } }')
    expect(spent.status).toBe(429)
    expect(spent.body.data).toBeUndefined()
    expect(spent.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 50, remaining: 40 })
    expect(spent.body.errors[0].extensions.http).toBeUndefined()
    expect(Number(spent.headers.get('retry-after'))).toBeGreaterThan(3500)
    expect(spent.headers.get('ratelimit')).toMatch(/^"GraphQL\.cost";r=40;t=\d+$/)
    expect(spent.body.extensions.rateLimit).toMatchObject({ cost: 50, maxCost: 60 })
  })

  it('identifies the client by the entry the trusted proxy appended; a forged X-Forwarded-For changes nothing', async () => {
    const statuses: number[] = []
    // The client forges a different leftmost entry each time; the proxy's entry stays last.
    for (let i = 1; i <= 3; i++)
      statuses.push((await post('192.0.2.7', '{ search(q: "f") }', `10.0.0.${i}`)).status)
    expect(statuses).toEqual([200, 200, 429])
    expect(decisions.at(-1)!.identity).toBe('ip:192.0.2.7')
    // Another client behind the same proxy keeps its own budget.
    expect((await post('192.0.2.8', '{ search(q: "f") }', '192.0.2.7')).status).toBe(200)
    expect(decisions.at(-1)!.identity).toBe('ip:192.0.2.8')
  })
})
