/**
 * tRPC: one limited query served by the fetch adapter (`fetchRequestHandler` called directly with
 * `Request` objects, 64 in flight, callers spread over 1 000 users) with the limit on Redis,
 * against the same query without a limit (the middleware's whole cost) and against
 * @trpc-limiter/redis (rate-limiter-flexible's fixed window on node-redis) on the same Redis
 * server. Two more contenders separate the costs: our middleware on the memory store, and a no-op
 * middleware (`next()` only; tRPC's own per-middleware cost, paid by any middleware-based limiter).
 * "memory/no-op mw" is then the adapter's own cost (identify, engine, headers) without Redis.
 * The peer was checked to be measured on Redis: one EVAL per call, never its in-memory insurance
 * limiter (counted with INFO commandstats and a spy on RateLimiterMemory), same admitted/refused
 * counts as ours.
 * Contenders run in alternating rounds; the table shows medians and ratios.
 */
import { randomUUID } from 'node:crypto'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { createTrpcRedisLimiter } from '@trpc-limiter/redis'
import { Redis } from 'ioredis'
// node-redis 4 (a dev alias): rate-limiter-flexible 5, inside @trpc-limiter/redis, recognises a
// node-redis client by its v4 class name; with node-redis 5/6 every peer call would fail over to
// its in-memory insurance limiter, and the comparison would measure that instead of Redis.
import { createClient } from 'redis4'
import { createRateLimiter, RedisStore } from '../src/index.js'
import { rateLimit, rateLimitContext } from '../src/trpc/index.js'
import { type BenchContext, compare, perSecond, printTable } from './harness.js'

const USERS = 1000
const IN_FLIGHT = 64

interface Ctx {
  user: { id: string }
}

const SCENARIOS = [
  { label: 'mostly admitted (1000/1s per user)', limit: 1000, windowMs: 1000 },
  { label: 'mostly refused (10/1m per user)', limit: 10, windowMs: 60_000 },
]

/** The columns of both tables: throughput, then CPU per call. */
const COLUMNS = [
  'scenario',
  'ours',
  '@trpc-limiter/redis',
  'no limit',
  'ours, memory',
  'no-op mw',
  'ours/peer',
  'ours/no limit',
  'memory/no-op mw',
]

type Peer = (opts: unknown) => Promise<never>

/** The same query five times: limited by us (Redis, memory), by the peer, a no-op middleware, nothing. */
function makeRouter(ours: ReturnType<typeof rateLimit>, memory: ReturnType<typeof rateLimit>, peer: Peer) {
  // As in production (NODE_ENV=production): in development tRPC puts every error's stack in the
  // response, and formatting it (through tsx's source maps) would dominate every refusal, ours and
  // the peer's alike, hiding the limiters' own cost.
  const t = initTRPC.context<Ctx>().create({ isDev: false })
  return t.router({
    ours: t.procedure.use(ours).query(() => 'pong'),
    memory: t.procedure.use(memory).query(() => 'pong'),
    peer: t.procedure.use((opts) => peer(opts)).query(() => 'pong'),
    noop: t.procedure.use(({ next }) => next()).query(() => 'pong'),
    none: t.procedure.query(() => 'pong'),
  })
}

export default async function trpcBench(ctx: BenchContext): Promise<void> {
  const ioredis = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => ioredis.once('ready', resolve))
  const nodeRedis = createClient({ url: ctx.redisUrl, disableOfflineQueue: true })
  await nodeRedis.connect()
  const limiter = createRateLimiter({
    store: new RedisStore({ client: ioredis, logger: false }),
    prefix: `bench:${randomUUID().slice(0, 8)}:`,
    logger: false,
  })
  const inMemory = createRateLimiter({ logger: false })
  const run = randomUUID().slice(0, 8)
  const rows: string[][] = []
  const cpuRows: string[][] = []
  try {
    for (const s of SCENARIOS) {
      const ours = rateLimit({ limiter, limit: s.limit, window: s.windowMs, name: `bench-${s.limit}` })
      const peer = createTrpcRedisLimiter({
        redisClient: nodeRedis,
        max: s.limit,
        windowMs: s.windowMs,
        fingerprint: (c: Ctx) => `${run}:${s.limit}:${c.user.id}`,
      }) as unknown as Peer
      const memory = rateLimit({
        limiter: inMemory,
        limit: s.limit,
        window: s.windowMs,
        name: `bench-${s.limit}`,
      })
      const router = makeRouter(ours, memory, peer)
      // Only our contenders build their context with rateLimitContext (the response headers are
      // part of their cost); the others get the bare context they would have without us.
      const call =
        (path: string, ours = false) =>
        async (i: number) => {
          const req = new Request(`http://bench.test/trpc/${path}`, {
            headers: { 'x-user': String(i % USERS) },
          })
          const response = await fetchRequestHandler({
            endpoint: '/trpc',
            req,
            router,
            createContext: ours
              ? (opts) => ({ ...rateLimitContext(opts), user: { id: req.headers.get('x-user')! } })
              : () => ({ user: { id: req.headers.get('x-user')! } }),
          })
          await response.text()
        }
      const result = await compare(
        s.label,
        {
          ours: call('ours', true),
          '@trpc-limiter/redis': call('peer'),
          'no limit': call('none'),
          'ours, memory store': call('memory', true),
          'no-op middleware': call('noop'),
        },
        { inFlight: IN_FLIGHT, quick: ctx.quick, ...(ctx.redisPid ? { pid: ctx.redisPid } : {}) },
      )
      const m = result.medians
      const c = result.cpuPerCall
      const us = (name: string) => `${c[name]!.toFixed(1)} µs`
      cpuRows.push([
        s.label,
        us('ours'),
        us('@trpc-limiter/redis'),
        us('no limit'),
        us('ours, memory store'),
        us('no-op middleware'),
        `${(c['@trpc-limiter/redis']! / c.ours!).toFixed(2)}×`,
        `${(c['no limit']! / c.ours!).toFixed(2)}×`,
        `${(c['no-op middleware']! / c['ours, memory store']!).toFixed(2)}×`,
      ])
      rows.push([
        s.label,
        perSecond(m.ours!),
        perSecond(m['@trpc-limiter/redis']!),
        perSecond(m['no limit']!),
        perSecond(m['ours, memory store']!),
        perSecond(m['no-op middleware']!),
        `${(m.ours! / m['@trpc-limiter/redis']!).toFixed(2)}×`,
        `${(m.ours! / m['no limit']!).toFixed(2)}×`,
        `${(m['ours, memory store']! / m['no-op middleware']!).toFixed(2)}×`,
      ])
    }
  } finally {
    await limiter.close()
    await inMemory.close()
    ioredis.disconnect()
    await nodeRedis.quit()
  }
  printTable(
    `tRPC fetch adapter, one query per request — ${IN_FLIGHT} in flight over ${USERS} users, Redis`,
    COLUMNS,
    rows,
  )
  printTable(
    'CPU per call (this process + the private redis-server; steadier than throughput on a busy machine) and calls per CPU second, as ratios',
    COLUMNS,
    cpuRows,
  )
}
