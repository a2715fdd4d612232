/**
 * GraphQL operations through `yoga.fetch` on Redis: an operation touching 1 and 20 limited fields,
 * against the same schema without limits and against graphql-rate-limit-directive (a
 * rate-limiter-flexible `RateLimiterRedis`, fixed window) on the same Redis and the same ioredis
 * client, in alternating rounds. 1 000 callers, limits high enough that every call is admitted, so
 * every contender does its full work. Ours checks an exact sliding log and coalesces the checks
 * of one tick into one pipeline; theirs makes one round trip per field. CPU per operation counts
 * Node and the private redis-server (Node only with REDIS_URL): steadier than throughput on a busy
 * machine, and fair to both (theirs makes Redis do 20 round trips). The floor (graphql-floor.ts)
 * is no limiter: a promise per field and one bare `INCR` per field in one script call per
 * operation — how far any Redis-backed field limiter could get ahead of theirs here.
 */
import { randomUUID } from 'node:crypto'
import { makeExecutableSchema } from '@graphql-tools/schema'
import type { GraphQLSchema } from 'graphql'
import { rateLimitDirective as theirDirective } from 'graphql-rate-limit-directive'
import { createYoga } from 'graphql-yoga'
import { Redis } from 'ioredis'
import { type IRateLimiterStoreOptions, RateLimiterRedis } from 'rate-limiter-flexible'
import { RATE_LIMIT_SDL, rateLimitDirective, useRateLimitHeaders } from '../src/graphql/index.js'
import { createRateLimiter, RedisStore } from '../src/index.js'
import { floorSchema } from './graphql-floor.js'
import {
  type BenchContext,
  type BenchFn,
  type CompareResult,
  compare,
  perSecond,
  printTable,
} from './harness.js'

const CALLERS = 1000
const IN_FLIGHT = 64
const LIMIT = 1000
const silent = { warn() {}, error() {} }

const fieldNames = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`)
const resolvers = { Query: Object.fromEntries(fieldNames(20).map((f, i) => [f, () => i])) }

/** The same 20 fields, each limited with the given directive text (or not at all). */
function sdl(directive: string): string {
  return `type Query { ${fieldNames(20)
    .map((f) => `${f}: Int ${directive}`)
    .join(' ')} }`
}

type Context = { user: { id: string } }

function yogaFn(schema: GraphQLSchema, fields: number, plugins: object[] = []): BenchFn {
  const yoga = createYoga<Record<string, unknown>, Context>({
    schema,
    plugins,
    logging: false,
    context: ({ request }) => ({ user: { id: request.headers.get('x-user')! } }),
  })
  const body = JSON.stringify({ query: `{ ${fieldNames(fields).join(' ')} }` })
  return async (i) => {
    const response = await yoga.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': String(i % CALLERS) },
      body,
    })
    const text = await response.text()
    if (response.status !== 200 || text.includes('"errors"')) throw new Error(`unexpected answer: ${text}`)
  }
}

/** Turns rejections into a visible failure: a benchmark of errors measures nothing. */
function strict(fn: BenchFn, failures: { count: number; last?: unknown }): BenchFn {
  return (i) =>
    fn(i).catch((error: unknown) => {
      failures.count++
      failures.last = error
    })
}

export default async function graphqlBench(ctx: BenchContext): Promise<void> {
  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => client.once('ready', resolve))
  const run = randomUUID().slice(0, 8)

  // A generous deadline: on a loaded machine a 200 ms timeout would answer some checks from the
  // in-process fallback, which is cheaper and would flatter us. Degraded answers are counted below.
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: silent }),
    prefix: `bench:gql:${run}:`,
    logger: silent,
    timeoutMs: 5_000,
  })
  let degraded = 0
  limiter.on('decision', ({ decision }) => {
    if (decision.policy) degraded++
  })
  const ours = rateLimitDirective({ limiter })
  const oursSchema = ours.transformer(
    makeExecutableSchema({
      typeDefs: [ours.typeDefs, sdl(`@rateLimit(limit: ${LIMIT}, window: "1m")`)],
      resolvers,
    }),
  )
  const theirs = theirDirective<Context, IRateLimiterStoreOptions>({
    keyGenerator: (_args, _source, _fieldArgs, context, info) =>
      `${context.user.id}:${info.parentType.name}.${info.fieldName}`,
    limiterClass: RateLimiterRedis,
    limiterOptions: { storeClient: client, keyPrefix: `bench:grld:${run}` },
  })
  const theirSchema = theirs.rateLimitDirectiveTransformer(
    makeExecutableSchema({
      typeDefs: [theirs.rateLimitDirectiveTypeDefs, sdl(`@rateLimit(limit: ${LIMIT}, duration: 60)`)],
      resolvers,
    }),
  )
  const plainSchema = makeExecutableSchema({ typeDefs: [RATE_LIMIT_SDL, sdl('')], resolvers })
  const floor = floorSchema(plainSchema, client, `bench:floor:${run}:`, (c) => (c as Context).user.id)

  const failures = { count: 0 as number, last: undefined as unknown }
  const results: CompareResult[] = []
  for (const fields of [1, 20]) {
    results.push(
      await compare(
        `${fields} limited field${fields > 1 ? 's' : ''}`,
        {
          ours: strict(yogaFn(oursSchema, fields, [useRateLimitHeaders()]), failures),
          'graphql-rate-limit-directive': strict(yogaFn(theirSchema, fields), failures),
          'no limits': strict(yogaFn(plainSchema, fields), failures),
          floor: strict(yogaFn(floor, fields), failures),
        },
        { inFlight: IN_FLIGHT, quick: ctx.quick, ...(ctx.redisPid ? { pid: ctx.redisPid } : {}) },
      ),
    )
  }
  printTable(
    `GraphQL operations through yoga.fetch on Redis — ${IN_FLIGHT} in flight, ${CALLERS} callers, every call admitted`,
    [
      'operation',
      'ours',
      'graphql-rate-limit-directive',
      'no limits',
      'ours ÷ theirs',
      'ours ÷ no limits',
      'floor ÷ theirs',
      ctx.redisPid ? 'CPU/op (Node + Redis) ours' : 'Node CPU/op ours',
      'theirs',
      'theirs ÷ ours',
      'floor',
      'theirs ÷ floor',
    ],
    results.map((r) => {
      const m = r.medians
      const cpu = r.cpuPerCall
      return [
        r.label,
        perSecond(m.ours!),
        perSecond(m['graphql-rate-limit-directive']!),
        perSecond(m['no limits']!),
        `${(m.ours! / m['graphql-rate-limit-directive']!).toFixed(2)}×`,
        `${(m.ours! / m['no limits']!).toFixed(2)}×`,
        `${(m.floor! / m['graphql-rate-limit-directive']!).toFixed(2)}×`,
        `${cpu.ours!.toFixed(0)} µs`,
        `${cpu['graphql-rate-limit-directive']!.toFixed(0)} µs`,
        `${(cpu['graphql-rate-limit-directive']! / cpu.ours!).toFixed(2)}×`,
        `${cpu.floor!.toFixed(0)} µs`,
        `${(cpu['graphql-rate-limit-directive']! / cpu.floor!).toFixed(2)}×`,
      ]
    }),
  )
  if (degraded > 0)
    console.log(`WARNING: ${degraded} of our checks were answered by the failure policy, not Redis`)
  if (failures.count > 0)
    console.log(`WARNING: ${failures.count} calls failed, last: ${String(failures.last)}`)
  await limiter.close()
  client.disconnect()
}
