/**
 * Plan quotas: what a plan quota adds to a request.
 *
 * 1. Engine: a check of a per-field rule plus a plan quota (two rules, one atomic script call) against
 *    the same rule alone, on Redis and in memory — 64 in flight over 1 000 API-key owners, every
 *    call admitted (limits far above what a run uses), so both do the full write.
 * 2. GraphQL: an operation of 10 limited fields for a caller whose plan has a quota (the first field
 *    carries the quota, the other nine follow in a second round trip) against the same operation
 *    for a caller without quotas (one round trip), on Redis.
 *
 * Contenders run in alternating rounds (see `harness.ts`); the ratio is with-quota ÷ without.
 */
import { randomUUID } from 'node:crypto'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { graphql } from 'graphql'
import { Redis } from 'ioredis'
import { rateLimitDirective } from '../src/graphql/index.js'
import { planQuotas } from '../src/identity/quotas.js'
import { type Caller, createRateLimiter, definePlans, type RateLimiter, RedisStore } from '../src/index.js'
import { type BenchContext, compare, printComparison } from './harness.js'

const OWNERS = 1000
const field = { name: 'Query.search', limit: 1_000_000, window: '1h', algorithm: 'sliding-window' as const }
const plans = definePlans({
  paid: { quotas: [{ limit: 1_000_000, window: '1d', algorithm: 'sliding-window' }] },
  plain: {},
})
const withQuota = [field, ...planQuotas(plans.paid)]

function engineContenders(limiter: RateLimiter) {
  return {
    'rule + quota': (i: number) => limiter.consume(`key:owner${i % OWNERS}`, withQuota),
    'rule alone': (i: number) => limiter.consume(`key:owner${i % OWNERS}`, field),
  }
}

const FIELDS = Array.from({ length: 10 }, (_, i) => `f${i}`)

function graphqlContenders(limiter: RateLimiter) {
  const { typeDefs, transformer } = rateLimitDirective({
    limiter,
    identify: (ctx: { caller: Caller }) => ctx.caller,
  })
  const sdl = `type Query { ${FIELDS.map((f) => `${f}: Int @rateLimit(limit: 1000000, window: "1h")`).join(' ')} }`
  const resolvers = { Query: Object.fromEntries(FIELDS.map((f, i) => [f, () => i])) }
  const schema = transformer(makeExecutableSchema({ typeDefs: [typeDefs, sdl], resolvers }))
  const source = `{ ${FIELDS.join(' ')} }`
  const callers = (plan: 'paid' | 'plain') =>
    Array.from(
      { length: OWNERS },
      (_, i): Caller => ({ id: `key:${plan}${i}`, kind: 'api-key', plan: plans[plan] }),
    )
  const paid = callers('paid')
  const plain = callers('plain')
  return {
    'plan with a quota': (i: number) =>
      graphql({ schema, source, contextValue: { caller: paid[i % OWNERS] } }),
    'plan without': (i: number) => graphql({ schema, source, contextValue: { caller: plain[i % OWNERS] } }),
  }
}

export default async function quotasBench(ctx: BenchContext): Promise<void> {
  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => client.once('ready', resolve))
  const prefix = `bench:${randomUUID().slice(0, 8)}:`
  const redis = createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix, logger: false })
  const memory = createRateLimiter({ logger: false })
  const options = { quick: ctx.quick, ...(ctx.redisPid ? { pid: ctx.redisPid } : {}) }
  try {
    const results = [
      await compare('engine, Redis', engineContenders(redis), options),
      await compare('engine, memory', engineContenders(memory), { quick: ctx.quick }),
    ]
    printComparison(
      'Plan quota: per-field rule + quota in one check vs the rule alone (64 in flight)',
      results,
      {
        cpu: true,
      },
    )
    const operation = await compare('10 limited fields, Redis', graphqlContenders(redis), options)
    printComparison('Plan quota in GraphQL: one operation of 10 limited fields (64 in flight)', [operation], {
      cpu: true,
    })
  } finally {
    await redis.close()
    await memory.close()
    client.disconnect()
  }
}
