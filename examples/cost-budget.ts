/**
 * A GitHub-style cost budget: 5 000 points per hour per caller, priced from @cost / @listSize,
 * with limit state in `extensions.rateLimit`, and a new per-field limit rolled out in shadow mode.
 *
 *   npx tsx examples/cost-budget.ts                                      # in-memory store
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/cost-budget.ts     # Redis
 *
 * In your app, import from 'resolver-rate-limit' and 'resolver-rate-limit/graphql' instead of '../src/…'.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import {
  costTypeDefs,
  rateLimitDirective,
  useCostBudget,
  useRateLimitExtensions,
  useRateLimitHeaders,
} from '../src/graphql/index.js'
import { createRateLimiter, logShadowDecisions, MemoryStore, RedisStore } from '../src/index.js'

const typeDefs = /* GraphQL */ `
  type Repository @cost(weight: "2") {
    name: String!
    stars: Int
  }
  type RepositoryEdge { cursor: String! node: Repository! }
  type RepositoryConnection { totalCount: Int! edges: [RepositoryEdge!]! }
  type User {
    login: String!
    repositories(first: Int, last: Int): RepositoryConnection!
      @listSize(slicingArguments: ["first", "last"], sizedFields: ["edges"])
  }
  type Query {
    viewer: User!
    # A new limit, watched in shadow before it is enforced.
    search(q: String!): [Repository!]! @rateLimit(limit: 2, window: "1m", shadow: true) @listSize(assumedSize: 20)
  }
`

const repos = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `repo${i}`, stars: i }))
const resolvers = {
  Query: { viewer: () => ({ login: 'octocat' }), search: () => repos(2) },
  User: {
    repositories: (_: unknown, args: { first?: number; last?: number }) => {
      const nodes = repos(Math.min(args.first ?? args.last ?? 0, 3))
      return { totalCount: nodes.length, edges: nodes.map((node) => ({ cursor: node.name, node })) }
    },
  },
}

async function main(): Promise<void> {
  const redis = process.env.REDIS_URL ? new (await import('ioredis')).Redis(process.env.REDIS_URL) : undefined
  const store = redis ? new RedisStore({ client: redis }) : new MemoryStore()
  const limiter = createRateLimiter({ store, prefix: 'example:cost:' })
  const stopLogging = logShadowDecisions(limiter, console) // "would have refused …" lines

  const { typeDefs: rateLimitTypeDefs, transformer } = rateLimitDirective({ limiter })
  const schema = transformer(
    makeExecutableSchema({ typeDefs: [rateLimitTypeDefs, costTypeDefs, typeDefs], resolvers }),
  )
  const yoga = createYoga({
    schema,
    plugins: [
      useRateLimitHeaders(),
      useCostBudget({ limiter, limit: 5000, window: '1h', maxCost: 1000 }),
      useRateLimitExtensions(),
    ],
    context: ({ request }) => ({ userId: request.headers.get('x-user') ?? undefined }),
  })

  const ask = async (query: string) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'octocat' },
      body: JSON.stringify({ query }),
    })
    const body = (await response.json()) as { errors?: Array<{ extensions?: unknown }>; extensions?: unknown }
    console.log(
      response.status,
      response.headers.get('ratelimit'),
      JSON.stringify(body.extensions ?? body.errors?.[0]?.extensions),
    )
  }

  // viewer 1 + repositories (1 + 10 edges × (edge 1 + Repository 2)) = 32 points
  await ask('{ viewer { repositories(first: 10) { edges { node { name stars } } } } }')
  // 1 + 1 + 100 × 3 = 302 points
  await ask('{ viewer { repositories(last: 100) { totalCount edges { cursor node { name } } } } }')
  // 1 000 × 3 + 2 = 3 002 points: above maxCost, refused with QUERY_TOO_EXPENSIVE (HTTP 400), nothing consumed
  await ask('{ viewer { repositories(first: 1000) { edges { node { name } } } } }')
  // The shadow limit on search (2 per minute) never refuses; the third call logs "would have refused".
  for (let i = 0; i < 3; i++) await ask('{ search(q: "graphql") { name } }')

  stopLogging()
  await limiter.close()
  redis?.disconnect()
}

await main()
