/**
 * API keys with plans, behind one load balancer.
 *
 *   npx tsx examples/api-key-plans.ts                        # in-memory store and key registry
 *   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/api-key-plans.ts   # Redis for both
 *
 * In your app, import from 'resolver-rate-limit' instead of '../src/index.js'.
 */
import { randomBytes } from 'node:crypto'
import {
  type ApiKeyLookup,
  type ApiKeyRecord,
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  definePlans,
  MemoryStore,
  type RateLimitRule,
  RedisStore,
  resolveCaller,
  rulesForCaller,
} from '../src/index.js'

// Rule limits are written for the free tier; plans scale or replace them by rule name.
const plans = definePlans({
  free: { name: 'free' },
  pro: { name: 'pro', scale: 10, limits: { 'Mutation.export': { limit: 20, window: '1h' } } },
  internal: { name: 'internal', unlimited: true },
})
const search: RateLimitRule = { name: 'Query.search', limit: 3, window: '1m' }

/** A key registry: Redis (digests only) when REDIS_URL is set, else a Map standing in for your database. */
async function keyRegistry() {
  if (process.env.REDIS_URL) {
    const { Redis } = await import('ioredis')
    const client = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, lazyConnect: true })
    await client.connect()
    const keys = createRedisApiKeys({ client, prefix: 'example:apikey:', plans })
    return {
      keys,
      client,
      issue: async (owner: string, plan: string) => (await keys.issue(owner, { plan, ttlMs: 60_000 })).key,
    }
  }
  const byKey = new Map<string, ApiKeyRecord>()
  const lookup: ApiKeyLookup = (key) => byKey.get(key) ?? null
  const issue = async (owner: string, plan: string) => {
    const key = `rk_${randomBytes(32).toString('base64url')}`
    byKey.set(key, { owner, plan })
    return key
  }
  return { keys: { lookup, pattern: /^rk_[\w-]{43}$/ }, client: undefined, issue }
}

const registry = await keyRegistry()
const limiter = createRateLimiter({
  store: registry.client ? new RedisStore({ client: registry.client }) : new MemoryStore(),
  prefix: 'example:rl:',
  // One load balancer in front of the app: believe the one X-Forwarded-For entry it appends.
  identify: createIdentify({
    trustProxy: 1,
    apiKeys: { lookup: registry.keys.lookup, pattern: registry.keys.pattern, plans },
  }),
})

/** What the GraphQL directive and the tRPC middleware do for each call. */
async function callSearch(headers: Record<string, string>): Promise<string> {
  // The load balancer (10.0.0.2) connects to the app and appends the client it saw.
  const forwarded = headers['x-forwarded-for']
  const req = {
    headers: { ...headers, 'x-forwarded-for': `${forwarded ? `${forwarded}, ` : ''}203.0.113.7` },
    socket: { remoteAddress: '10.0.0.2' },
  }
  const caller = await resolveCaller(limiter.identify, { req })
  const rules = rulesForCaller([search], caller)
  if (rules === null) return `${caller.id} (unlimited)`
  const decision = await limiter.consume(caller.id, rules)
  return `${caller.id.padEnd(28)} ${decision.allowed ? 'allowed' : `refused, retry in ${Math.ceil(decision.retryAfterMs / 1000)} s`} (${decision.remaining}/${decision.limit} left)`
}

const free = await registry.issue(`acct_free_${Date.now()}`, 'free')
const pro = await registry.issue(`acct_pro_${Date.now()}`, 'pro')
const internal = await registry.issue('acct_internal', 'internal')

console.log('free key, 4 calls (limit 3/min):')
for (let i = 0; i < 4; i++) console.log(' ', await callSearch({ 'x-api-key': free }))
console.log('pro key, 2 calls (limit 30/min):')
for (let i = 0; i < 2; i++) console.log(' ', await callSearch({ authorization: `Bearer ${pro}` }))
console.log('internal key:')
console.log(' ', await callSearch({ 'x-api-key': internal }))
console.log('random keys and a spoofed X-Forwarded-For: counted by the client IP, 3/min:')
for (let i = 0; i < 4; i++) {
  console.log(
    ' ',
    await callSearch({
      'x-api-key': `rk_${randomBytes(32).toString('base64url')}`,
      'x-forwarded-for': `6.6.6.${i}`,
    }),
  )
}

await limiter.close()
registry.client?.disconnect()
