/**
 * `@rateLimit` on a graphql-yoga server (`node:http`), with a client that shows what callers see.
 *
 *   npx tsx examples/graphql-yoga.ts                                    # in-memory store
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/graphql-yoga.ts   # Redis
 *
 * Starts a server on a free port, searches until refused, sends a query that is partly refused,
 * prints each response's status, headers and errors, and exits. In your app, import from
 * 'resolver-rate-limit' and 'resolver-rate-limit/graphql' instead of '../src/…'.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import { rateLimitDirective, useRateLimitHeaders } from '../src/graphql/index.js'
import { createRateLimiter, MemoryStore, RedisStore } from '../src/index.js'

const typeDefs = /* GraphQL */ `
  # Every Query field without its own limit: 10 per minute per caller, each field its own budget.
  type Query @rateLimit(limit: 10, window: "1m") {
    # Burst and sustained, checked atomically.
    search(q: String!): [String!] @rateLimit(limit: 3, window: "10s") @rateLimit(limit: 100, window: "1h")
    # Two fields, one budget.
    trending: [String!] @rateLimit(limit: 5, window: "1m", bucket: "feeds")
    latest: [String!] @rateLimit(limit: 5, window: "1m", bucket: "feeds")
    ping: String
  }
  type Mutation {
    # Each call costs 2 of 10 per hour.
    publish(text: String!): Boolean @rateLimit(limit: 10, window: "1h", cost: 2)
  }
`
const resolvers = {
  Query: {
    search: (_: unknown, { q }: { q: string }) => [`${q} 1`, `${q} 2`],
    trending: () => ['graphql'],
    latest: () => ['trpc'],
    ping: () => 'pong',
  },
  Mutation: { publish: () => true },
}

// One limiter per process; Redis when several servers must share the counts.
const redis = process.env.REDIS_URL
  ? new (await import('ioredis')).Redis(process.env.REDIS_URL, {
      enableOfflineQueue: false,
      lazyConnect: true,
    })
  : undefined
await redis?.connect()
const limiter = createRateLimiter({
  store: redis ? new RedisStore({ client: redis }) : new MemoryStore(),
  prefix: `example:yoga:${randomUUID().slice(0, 8)}:`, // a fresh budget per run of this example
})

const { typeDefs: rateLimitTypeDefs, transformer } = rateLimitDirective({ limiter })
const schema = transformer(makeExecutableSchema({ typeDefs: [rateLimitTypeDefs, typeDefs], resolvers }))
// No context function needed: on node:http yoga puts `req` in the context, and the default identify
// counts a logged-in user (ctx.user.id), else a valid API key, else the client IP.
const yoga = createYoga({ schema, plugins: [useRateLimitHeaders()] })
const server = createServer(yoga)
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`

/** Sends one operation and prints status, headers and errors. */
async function ask(query: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  })
  const body = (await response.json()) as {
    data?: unknown
    errors?: Array<{ message: string; extensions?: { code?: string } }>
  }
  const h = (name: string) => response.headers.get(name) ?? '-'
  console.log(`  HTTP ${response.status}  RateLimit: ${h('ratelimit')}  Retry-After: ${h('retry-after')}`)
  console.log(`    data: ${JSON.stringify(body.data)}`)
  for (const error of body.errors ?? []) console.log(`    ${error.extensions?.code}: ${error.message}`)
}

console.log('search until refused (3 per 10 s):')
for (let i = 0; i < 4; i++) await ask('{ search(q: "yoga") }')
console.log('search is spent but ping is not: partial data, HTTP 200, no Retry-After:')
await ask('{ search(q: "again") ping }')
console.log('trending and latest share one budget of 5; each alias counts:')
await ask('{ a: trending b: latest c: trending d: latest e: trending f: latest }')
console.log('publish costs 2 of 10 per hour:')
for (let i = 0; i < 6; i++) await ask('mutation { publish(text: "hello") }')

server.close()
await limiter.close()
redis?.disconnect()
