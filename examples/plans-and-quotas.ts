/**
 * An API sold by plan: free and pro, each with daily or monthly quotas on the whole API, a usage
 * endpoint for the customer's dashboard, and an upgrade that takes effect without a restart.
 *
 *   npx tsx examples/plans-and-quotas.ts                                    # in-memory store and keys
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/plans-and-quotas.ts   # Redis for both
 *
 * GraphQL on graphql-yoga (called with `yoga.fetch`, no port needed). In your app, import from
 * 'resolver-rate-limit' and 'resolver-rate-limit/graphql' instead of '../src/…'.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import { rateLimitDirective, useRateLimitHeaders } from '../src/graphql/index.js'
import {
  type ApiKeyRecord,
  type Caller,
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  livePlans,
  MemoryStore,
  type PlanDefinition,
  quotaUsage,
  RedisStore,
} from '../src/index.js'

// Plans come from a source you control (a table, a config service); this object stands in for it.
// Free: 5 operations a day and 100 a month. Pro: 10 000 a month, and at most 20 a second.
// (Calendar quotas — `period: 'day' | 'month'` — work the same way as these sliding windows.)
const planSource: Record<string, PlanDefinition> = {
  free: {
    quotas: [
      { name: 'daily', limit: 5, window: '1d' },
      { name: 'monthly', limit: 100, window: '30d' },
    ],
  },
  pro: {
    scale: 10,
    quotas: [
      { name: 'pro-monthly', limit: 10_000, window: '30d' },
      { name: 'burst', limit: 20, window: '1s' },
    ],
  },
}
// Reloaded every minute; a bad edit is refused and logged once, the last valid plans stay in force.
const plans = await livePlans(() => planSource, { intervalMs: 60_000 })

const redis = process.env.REDIS_URL
  ? new (await import('ioredis')).Redis(process.env.REDIS_URL, {
      enableOfflineQueue: false,
      lazyConnect: true,
    })
  : undefined
await redis?.connect()

/** Keys: the Redis registry, or a Map standing in for your database. */
function keyRegistry() {
  if (redis) {
    const keys = createRedisApiKeys({
      client: redis,
      prefix: `example:quota-keys:${randomUUID().slice(0, 8)}:`,
      plans,
    })
    return {
      lookup: keys.lookup,
      issue: (owner: string) => keys.issue(owner, { plan: 'free' }),
      setPlan: keys.setPlan,
    }
  }
  const byId = new Map<string, ApiKeyRecord>()
  return {
    lookup: (key: string) => byId.get(key) ?? null,
    issue: async (owner: string) => {
      const key = `rk_${randomBytes(32).toString('base64url')}`
      byId.set(key, { owner, plan: 'free' })
      return { key, id: key }
    },
    setPlan: async (id: string, plan: string) =>
      Boolean(byId.get(id) && byId.set(id, { ...byId.get(id)!, plan })),
  }
}
const registry = keyRegistry()

const limiter = createRateLimiter({
  store: redis ? new RedisStore({ client: redis }) : new MemoryStore(),
  prefix: `example:quotas:${randomUUID().slice(0, 8)}:`, // a fresh budget per run of this example
})
// cacheTtlMs: how soon a plan change reaches callers (30 s by default; 0 here, to show it at once).
const identify = createIdentify({
  apiKeys: { lookup: registry.lookup, plans, cacheTtlMs: 0 },
  requireApiKey: true,
})

const typeDefs = /* GraphQL */ `
  type Query {
    search(q: String!): [String!] @rateLimit(limit: 30, window: "1m")
    profile: String @rateLimit(limit: 30, window: "1m")
    "The caller's quotas, for a usage page: not limited, so it still answers when a quota is spent."
    usage: [QuotaState!]!
  }
  type QuotaState { name: String!, used: Int!, remaining: Int!, limit: Int!, resetsAt: String! }
`
const resolvers = {
  Query: {
    search: (_: unknown, { q }: { q: string }) => [`${q} 1`, `${q} 2`],
    profile: () => 'acct',
    usage: async (_: unknown, __: unknown, ctx: object) => {
      const caller = (await identify(ctx)) as Caller
      const { quotas } = await quotaUsage(limiter, caller)
      return quotas.map((q) => ({ ...q, name: q.rule.name, resetsAt: new Date(q.resetsAt).toISOString() }))
    },
  },
}
const { typeDefs: directive, transformer } = rateLimitDirective({ limiter, identify })
const schema = transformer(makeExecutableSchema({ typeDefs: [directive, typeDefs], resolvers }))
const yoga = createYoga({ schema, plugins: [useRateLimitHeaders()] })

async function ask(key: string, query: string) {
  const response = await yoga.fetch('http://api.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ query }),
  })
  const body = (await response.json()) as {
    data?: unknown
    errors?: Array<{ extensions: Record<string, unknown> }>
  }
  return { status: response.status, rateLimit: response.headers.get('ratelimit'), ...body }
}

async function printUsage(key: string) {
  const { data } = await ask(key, '{ usage { name used remaining limit } }')
  for (const q of (data as { usage: Array<Record<string, unknown>> }).usage) {
    console.log(`  usage ${q.name}: ${q.used} used, ${q.remaining} of ${q.limit} left`)
  }
}

const { key, id } = await registry.issue(`acct_${randomUUID().slice(0, 8)}`)
console.log('free key: 6 operations, each with two limited fields (quota: 5 a day, once per operation):')
for (let i = 1; i <= 6; i++) {
  const { status, rateLimit, errors } = await ask(key, '{ search(q: "graphql") profile }')
  const quota = errors?.[0]?.extensions.quota as { name: string } | undefined
  console.log(
    `  operation ${i}: HTTP ${status}  ${quota ? `refused by quota "${quota.name}"` : 'ok'}  RateLimit: ${rateLimit}`,
  )
}
await printUsage(key)

await registry.setPlan(id, 'pro')
console.log('upgraded to pro (setPlan, no restart):')
const after = await ask(key, '{ search(q: "graphql") profile }')
console.log(`  operation 7: HTTP ${after.status}  ${after.errors ? 'refused' : 'ok'}`)
await printUsage(key)

plans.close()
await limiter.close()
redis?.disconnect()
