// Type-checked by test/reach/commonjs.test.ts as a CommonJS file (this package is "type":
// "commonjs"), under `module: node16` and `nodenext`: every entry resolves through its "require"
// types, and tRPC's context keeps `rateLimit` with @trpc/server's own CommonJS declarations.

import { ApolloServer } from '@apollo/server'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { initTRPC, type TRPCError } from '@trpc/server'
import { Redis } from 'ioredis'
import { createClient } from 'redis'
import {
  createIdentify,
  createRateLimiter,
  MemoryStore,
  type RateLimitDecision,
  RedisStore,
  ResolverRateLimitError,
} from 'resolver-rate-limit'
import { costBudgetApolloPlugin, rateLimitApolloPlugin } from 'resolver-rate-limit/apollo'
import { rateLimitDirective, useRateLimitHeaders } from 'resolver-rate-limit/graphql'
import { prometheusMetrics } from 'resolver-rate-limit/metrics'
import { getRateLimitDecision, rateLimit, type rateLimitContext } from 'resolver-rate-limit/trpc'

const limiter = createRateLimiter({ store: new MemoryStore() })
new RedisStore({ client: new Redis({ lazyConnect: true, enableOfflineQueue: false }) })
new RedisStore({ client: createClient({ disableOfflineQueue: true }) })

const t = initTRPC.context<ReturnType<typeof rateLimitContext> & { user?: { id: string } }>().create()
export const router = t.router({
  search: t.procedure.use(rateLimit({ limiter, limit: 10, window: '1m' })).query(({ ctx }) => {
    const decision: RateLimitDecision | null = ctx.rateLimit
    // @ts-expect-error ctx.rateLimit is a decision, not `any`: a lost context type would accept this.
    ctx.rateLimit.notAField
    return { remaining: decision?.remaining ?? null, user: ctx.user?.id }
  }),
})

export function onError(error: TRPCError): number | undefined {
  return getRateLimitDecision(error)?.retryAfterMs
}

const { typeDefs, transformer } = rateLimitDirective({ limiter })
export const schema = transformer(
  makeExecutableSchema({
    typeDefs: [typeDefs, 'type Query { search: String @rateLimit(limit: 3, window: "1m") }'],
  }),
)
export const plugins = [useRateLimitHeaders()]
export const identify = createIdentify({ trustProxy: 1 })
export const metrics = prometheusMetrics
export const isResolverRateLimitError = (error: unknown): boolean => error instanceof ResolverRateLimitError
export const apollo = new ApolloServer<{ req?: unknown }>({
  schema,
  plugins: [rateLimitApolloPlugin(), costBudgetApolloPlugin({ limiter, limit: 100, window: '1h' })],
})
