// A CommonJS program using every entry of resolver-rate-limit with require(). Run by
// test/reach/commonjs.test.ts against the packed package; prints one line per check.
'use strict'
const assert = require('node:assert/strict')
const { graphql } = require('graphql')
const { makeExecutableSchema } = require('@graphql-tools/schema')
const { initTRPC, TRPCError } = require('@trpc/server')
const { createRateLimiter, ResolverRateLimitError, RateLimitConfigError } = require('resolver-rate-limit')
const { rateLimitDirective } = require('resolver-rate-limit/graphql')
const { getRateLimitDecision, TRPCRateLimitedCause, rateLimit } = require('resolver-rate-limit/trpc')
const { prometheusMetrics } = require('resolver-rate-limit/metrics')
const { storeContract } = require('resolver-rate-limit/testing')
const { rateLimitApolloPlugin } = require('resolver-rate-limit/apollo')
const { ApolloServer } = require('@apollo/server')

const rule = { name: 'search', limit: 2, window: '1m' }

async function main() {
  // One copy of the code: require() and import() give the same module, so the same classes.
  const esm = await import('resolver-rate-limit')
  assert.equal(esm.ResolverRateLimitError, ResolverRateLimitError)
  assert.equal((await import('resolver-rate-limit/trpc')).rateLimit, rateLimit)
  assert.equal(typeof prometheusMetrics, 'function')
  assert.equal(typeof storeContract, 'function')
  console.log('one copy: require and import share ResolverRateLimitError')

  const limiter = createRateLimiter()
  const decisions = []
  for (let i = 0; i < 3; i++) decisions.push(await limiter.consume('user:1', rule))
  console.log(`engine: ${decisions.map((d) => (d.allowed ? 'allowed' : `refused ${d.reason}`)).join(', ')}`)
  try {
    createRateLimiter({ timeoutMs: -1 })
  } catch (error) {
    console.log(
      `config error: ${error instanceof RateLimitConfigError && error instanceof esm.RateLimitConfigError}`,
    )
  }

  // GraphQL: the application's graphql (CommonJS) and the directive share one graphql realm.
  const { typeDefs, transformer } = rateLimitDirective({ limiter: createRateLimiter() })
  const schema = transformer(
    makeExecutableSchema({
      typeDefs: [typeDefs, 'type Query { search: String @rateLimit(limit: 1, window: "1m") }'],
      resolvers: { Query: { search: () => 'found' } },
    }),
  )
  const ctx = { req: { headers: {}, socket: { remoteAddress: '203.0.113.5' } } }
  const first = await graphql({ schema, source: '{ search }', contextValue: ctx })
  const second = await graphql({ schema, source: '{ search }', contextValue: ctx })
  console.log(
    `graphql: ${first.data.search}, then ${second.errors[0].extensions.code} retryAfter=${second.errors[0].extensions.retryAfter}`,
  )

  // Apollo Server: the application's @apollo/server (CommonJS) runs the plugin.
  const apollo = new ApolloServer({
    schema: transformer(
      makeExecutableSchema({
        typeDefs: [typeDefs, 'type Query { ping: String @rateLimit(limit: 1, window: "1m") }'],
        resolvers: { Query: { ping: () => 'pong' } },
      }),
    ),
    plugins: [rateLimitApolloPlugin()],
  })
  const statuses = []
  for (let i = 0; i < 2; i++) {
    const response = await apollo.executeOperation({ query: '{ ping }' }, { contextValue: { ...ctx } })
    statuses.push(`${response.http.status ?? 200} ${response.http.headers.get('ratelimit')}`)
  }
  await apollo.stop()
  console.log(`apollo: ${statuses.join(', then ')}`)

  // tRPC: the application's @trpc/server (CommonJS) runs the middleware.
  const t = initTRPC.context().create()
  const router = t.router({
    search: t.procedure
      .use(rateLimit({ limiter: createRateLimiter(), limit: 1, window: '1m' }))
      .query(({ ctx }) => ctx.rateLimit.remaining),
    guarded: t.procedure
      .use(
        rateLimit({
          limiter: createRateLimiter(),
          limit: 1,
          window: '1m',
          // The application's own TRPCError (CommonJS class) passes through the middleware.
          identify: () => {
            throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in first' })
          },
        }),
      )
      .query(() => 'secret'),
  })
  const caller = t.createCallerFactory(router)({ req: ctx.req })
  const remaining = await caller.search()
  const refused = await caller.search().catch((error) => error)
  const decision = getRateLimitDecision(refused)
  console.log(
    `trpc: remaining ${remaining}, then ${refused.code} (${refused.name}), cause is TRPCRateLimitedCause: ${refused.cause instanceof TRPCRateLimitedCause}, retry ${Math.ceil(decision.retryAfterMs / 1000)} s`,
  )
  const unauthorized = await caller.guarded().catch((error) => error)
  console.log(
    `trpc identify: ${unauthorized.code} "${unauthorized.message}" instanceof TRPCError: ${unauthorized instanceof TRPCError}`,
  )
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
