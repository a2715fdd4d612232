/**
 * Mercurius (GraphQL on Fastify), rate-limited per field with `@rateLimit`, with the `RateLimit`
 * headers, HTTP 429 + `Retry-After` and `extensions.rateLimit` from the server-neutral helpers:
 * `trackRateLimits()` in the context, `rateLimitResponse()` in Mercurius' `onResolution` hook.
 *
 *   npx tsx examples/mercurius.ts                                        (memory store)
 *   REDIS_URL=redis://localhost:6379 npx tsx examples/mercurius.ts       (ioredis)
 *
 * Starts Fastify on a free port, calls it over HTTP as a proxy on this host would (appending the
 * client's address to X-Forwarded-For), prints what the client saw, and exits. In your app, import
 * from 'resolver-rate-limit' and 'resolver-rate-limit/graphql'.
 */
import { randomUUID } from 'node:crypto'
import { makeExecutableSchema } from '@graphql-tools/schema'
import Fastify from 'fastify'
import mercurius from 'mercurius'
import { rateLimitDirective, rateLimitResponse, trackRateLimits } from '../src/graphql/index.js'
import { createIdentify, createRateLimiter, MemoryStore, RedisStore } from '../src/index.js'

// ---- server ----
const redis = process.env.REDIS_URL
  ? new (await import('ioredis')).Redis(process.env.REDIS_URL, { enableOfflineQueue: false })
  : undefined
redis?.on('error', (error: Error) => console.error(`redis: ${error.message}`))
if (redis) await new Promise((resolve) => redis.once('ready', resolve)) // until then: answered in-process

const limiter = createRateLimiter({
  store: redis ? new RedisStore({ client: redis }) : new MemoryStore(),
  prefix: `example:mercurius:${randomUUID().slice(0, 8)}:`, // a fresh budget per run of this example
  // The proxy runs on this host: a connection from loopback is the proxy, and the address it
  // appended to X-Forwarded-For is the client (Fastify's own trustProxy is not consulted).
  identify: createIdentify({ trustProxy: 'loopback' }),
})

const { typeDefs: rateLimitTypeDefs, transformer } = rateLimitDirective({ limiter })
const schema = transformer(
  makeExecutableSchema({
    typeDefs: [
      rateLimitTypeDefs,
      /* GraphQL */ `
        type Query {
          search(q: String!): [String!] @rateLimit(limit: 2, window: "10s")
          ping: String
        }
      `,
    ],
    resolvers: { Query: { search: (_: unknown, { q }: { q: string }) => [`${q}…`], ping: () => 'pong' } },
  }),
)

const app = Fastify()
await app.register(mercurius, {
  schema,
  // `req`: the Node request, for the client IP; trackRateLimits(): where the decisions go.
  context: (request) => ({ req: request.raw, ...trackRateLimits() }),
})
// After Mercurius formatted the result and chose its status: headers, 429, extensions.rateLimit.
app.graphql.addHook('onResolution', async (execution, context) => {
  const { status, headers, extension } = rateLimitResponse(execution, context)
  if (status) context.reply.code(status)
  context.reply.headers(headers)
  if (extension) execution.extensions = { ...execution.extensions, rateLimit: extension }
})
const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/graphql`

// ---- clients, as the proxy forwards them ----
async function query(address: string, source: string, forged?: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-forwarded-for': forged ? `${forged}, ${address}` : address,
    },
    body: JSON.stringify({ query: source }),
  })
  const h = (name: string) => response.headers.get(name) ?? '-'
  const body = (await response.json()) as {
    data?: unknown
    errors?: Array<{ extensions?: { code?: string; retryAfter?: number } }>
    extensions?: unknown
  }
  console.log(`  HTTP ${response.status}  RateLimit: ${h('ratelimit')}  Retry-After: ${h('retry-after')}`)
  console.log(`    data: ${JSON.stringify(body.data)}`)
  for (const error of body.errors ?? [])
    console.log(`    ${error.extensions?.code}: retryAfter=${error.extensions?.retryAfter}`)
  if (body.extensions) console.log(`    extensions: ${JSON.stringify(body.extensions)}`)
}

console.log('client 203.0.113.7 (forging a new X-Forwarded-For entry each time):')
for (let i = 1; i <= 3; i++) await query('203.0.113.7', '{ search(q: "mercurius") }', `10.9.9.${i}`)
console.log('client 203.0.113.7, one refused field beside one that resolves:')
await query('203.0.113.7', '{ search(q: "again") ping }')
console.log('client 203.0.113.8:')
await query('203.0.113.8', '{ search(q: "mercurius") }')

await app.close()
await limiter.close()
redis?.disconnect()
