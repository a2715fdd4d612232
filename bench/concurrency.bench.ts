/**
 * Concurrency limits: one `acquire` + `release` round trip against one `consume` — the price of
 * counting what is open instead of what started — in memory and on Redis, same client, same load
 * (64 calls in flight over 1 000 identities), in alternating rounds. On Redis an acquire and a
 * release are one script call each (not batched with other checks), a consume is one check in a
 * shared script call; lease calls of one tick share a script call too.
 *
 * Then a GraphQL operation through `yoga.fetch` on Redis with one `@concurrencyLimit` field
 * against the same operation with one `@rateLimit` field (limits never reached).
 */
import { randomUUID } from 'node:crypto'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import { Redis } from 'ioredis'
import { concurrencyLimitDirective, rateLimitDirective } from '../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter, RedisStore } from '../src/index.js'
import { type BenchContext, type CompareResult, compare, printComparison } from './harness.js'

const KEYS = 1000
const IN_FLIGHT = 64
const identities = Array.from({ length: KEYS }, (_, i) => `user:${i}`)
const silent = { warn() {}, error() {} }
// Never refused at this load: both contenders do the full work of an admission.
const slots = { name: 'bench', max: 1000 }
const rule = { name: 'bench', limit: 1_000_000, window: '1s', algorithm: 'sliding-window' as const }

function contenders(limiter: RateLimiter) {
  return {
    'acquire+release': async (i: number) => {
      const slot = await limiter.acquire(identities[i % KEYS]!, slots)
      await slot.release()
    },
    consume: (i: number) => limiter.consume(identities[i % KEYS]!, rule),
  }
}

/** `yoga.fetch` of `{ f }` where `f` carries the given directive, on `limiter`. */
function graphqlFn(limiter: RateLimiter, directive: 'concurrency' | 'rate') {
  const rate = rateLimitDirective({ limiter })
  const concurrency = concurrencyLimitDirective({ limiter })
  const field =
    directive === 'rate' ? '@rateLimit(limit: 1000000, window: "1s")' : '@concurrencyLimit(max: 1000)'
  const schema = (directive === 'rate' ? rate : concurrency).transformer(
    makeExecutableSchema({
      typeDefs: [rate.typeDefs, concurrency.typeDefs, `type Query { f: Int ${field} }`],
      resolvers: { Query: { f: () => 1 } },
    }),
  )
  const yoga = createYoga<Record<string, unknown>, { user: { id: string } }>({
    schema,
    logging: false,
    context: ({ request }) => ({ user: { id: request.headers.get('x-user')! } }),
  })
  const body = JSON.stringify({ query: '{ f }' })
  return async (i: number) => {
    const response = await yoga.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': String(i % KEYS) },
      body,
    })
    const text = await response.text()
    if (response.status !== 200 || text.includes('"errors"')) throw new Error(`unexpected answer: ${text}`)
  }
}

export default async function concurrencyBench(ctx: BenchContext): Promise<void> {
  const options = { inFlight: IN_FLIGHT, quick: ctx.quick }
  const results: CompareResult[] = []
  const memory = createRateLimiter({ store: new MemoryStore({ maxKeys: 10 * KEYS }), logger: silent })
  results.push(await compare('memory store', contenders(memory), options))
  await memory.close()
  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false })
  await new Promise((resolve) => client.once('ready', resolve))
  const redis = createRateLimiter({
    store: new RedisStore({ client, logger: silent }),
    prefix: `bench-conc:${randomUUID().slice(0, 8)}:`,
    timeoutMs: 5_000,
    logger: silent,
  })
  results.push(
    await compare('Redis', contenders(redis), {
      ...options,
      ...(ctx.redisPid === undefined ? {} : { pid: ctx.redisPid }),
    }),
  )
  const graphql = await compare(
    'GraphQL operation, one limited field (Redis)',
    { '@concurrencyLimit': graphqlFn(redis, 'concurrency'), '@rateLimit': graphqlFn(redis, 'rate') },
    { ...options, ...(ctx.redisPid === undefined ? {} : { pid: ctx.redisPid }) },
  )
  await redis.close()
  client.disconnect()
  printComparison(
    'Concurrency limit: acquire + release vs one consume (64 in flight, 1 000 identities)',
    results,
    { cpu: true },
  )
  printComparison('GraphQL: one @concurrencyLimit field vs one @rateLimit field (yoga.fetch)', [graphql], {
    cpu: true,
  })
}
