/**
 * Memory per tracked identity × rule: Redis `MEMORY USAGE` of the keys the script writes (exact:
 * SAMPLES 0), and the heap the memory store holds per key, for every algorithm (the sliding log at
 * several fills).
 * rate-limiter-flexible's fixed-window key is shown for scale.
 *
 * Then the memory store's throughput in the scenario of issue 14: limit 100 per minute, 40 calls
 * per key over 1 000 keys (every call admitted; a fresh set of 1 000 keys every 40 000 calls),
 * 64 in flight, against rate-limiter-flexible's `RateLimiterMemory`, in alternating rounds.
 */
import { randomUUID } from 'node:crypto'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible'
import { createRateLimiter, MemoryStore, type RateLimitRule, RedisStore } from '../src/index.js'
import { type BenchContext, compare, printComparison, printTable } from './harness.js'

interface Case {
  label: string
  rule: RateLimitRule
  /** Requests recorded per key (each of cost 1). */
  fill: number
}

const CASES: Case[] = [
  { label: 'sliding log, limit 10, full', rule: { name: 'm', limit: 10, window: '1h' }, fill: 10 },
  { label: 'sliding log, limit 100, full', rule: { name: 'm', limit: 100, window: '1h' }, fill: 100 },
  { label: 'sliding log, limit 1000, full', rule: { name: 'm', limit: 1000, window: '1h' }, fill: 1000 },
  {
    label: 'sliding-window counter (any limit)',
    rule: { name: 'm', limit: 1000, window: '1h', algorithm: 'sliding-window' },
    fill: 50,
  },
  {
    label: 'token bucket (any limit or burst)',
    rule: { name: 'm', limit: 1000, window: '1h', algorithm: 'token-bucket', burst: 2000 },
    fill: 50,
  },
  { label: 'calendar quota (any limit)', rule: { name: 'm', limit: 100_000, period: 'month' }, fill: 50 },
]

/** Runs full garbage collections until freed array buffers are gone too, for heap measurements. */
function collector(): () => Promise<void> {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  return async () => {
    for (let i = 0; i < 3; i++) {
      gc()
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
}

async function redisBytes(client: Redis, c: Case, identities: number): Promise<number> {
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: `mem:${randomUUID().slice(0, 8)}:`,
  })
  const keys: string[] = []
  for (let i = 0; i < identities; i++) {
    const identity = `user:${i}`
    for (let n = 0; n < c.fill; n += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, c.fill - n) }, () => limiter.consume(identity, c.rule)),
      )
    }
    keys.push(limiter.keys(identity, c.rule)[0]!)
  }
  let total = 0
  for (const key of keys) total += Number(await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))
  await client.del(...keys)
  await limiter.close()
  return total / keys.length
}

async function heapBytes(c: Case, identities: number, gc: () => Promise<void>): Promise<number> {
  const store = new MemoryStore({ maxKeys: identities * 2, sweepIntervalMs: 0 })
  const limiter = createRateLimiter({ store })
  const warm = `warm:${c.label}`
  for (let n = 0; n < c.fill; n++) await limiter.consume(warm, c.rule)
  await gc()
  // The log's ring buffers are typed arrays: their bytes live outside the JS heap.
  const used = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers
  const before = used()
  for (let i = 0; i < identities; i++) {
    for (let n = 0; n < c.fill; n++) await limiter.consume(`user:${i}`, c.rule)
  }
  await gc()
  const bytes = (used() - before) / identities
  await limiter.close()
  return bytes
}

/** Key of call `n`: 40 calls per key over 1 000 keys, then the next 1 000 keys. */
function fortyPerKey(): (i: number) => string {
  let calls = 0
  return () => {
    const n = calls++
    return `g${Math.floor(n / 40_000)}:user:${Math.floor(n / 40) % 1000}`
  }
}

async function memoryThroughput(ctx: BenchContext): Promise<void> {
  const rule: RateLimitRule = { name: 'm', limit: 100, window: '1m' }
  const ours = createRateLimiter({ store: new MemoryStore({ sweepIntervalMs: 0 }), logger: false })
  const theirs = new RateLimiterMemory({ points: 100, duration: 60, keyPrefix: 'm' })
  const ourKey = fortyPerKey()
  const theirKey = fortyPerKey()
  const result = await compare(
    'limit 100/min, 40 calls per key over 1 000 keys',
    {
      ours: (i) => ours.consume(ourKey(i), rule),
      'rate-limiter-flexible': (i) => theirs.consume(theirKey(i)),
    },
    { inFlight: 64, quick: ctx.quick },
  )
  printComparison('consume() in memory, all admitted — 64 in flight (CPU: this process)', [result], {
    cpu: true,
  })
  await ours.close()
}

export default async function memoryBench(ctx: BenchContext): Promise<void> {
  await memoryThroughput(ctx)
  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => client.once('ready', resolve))
  const gc = collector()
  const rows: string[][] = []
  for (const c of CASES) {
    const identities = ctx.quick ? 20 : c.fill >= 1000 ? 100 : 500
    const redis = await redisBytes(client, c, identities)
    const heap = await heapBytes(c, ctx.quick ? 200 : 2000, gc)
    const isLog = c.rule.period === undefined && (c.rule.algorithm ?? 'sliding-log') === 'sliding-log'
    const perRequest = isLog ? `${(redis / c.fill).toFixed(1)} B` : '-'
    rows.push([c.label, `${Math.round(redis)} B`, perRequest, `~${Math.round(heap)} B`])
  }
  const theirs = new RateLimiterRedis({
    storeClient: client,
    points: 1000,
    duration: 3600,
    keyPrefix: `mem-rlf:${randomUUID().slice(0, 8)}`,
  })
  await theirs.consume('user:0')
  const rlfKey = `${theirs.keyPrefix}:user:0`
  rows.push([
    'rate-limiter-flexible fixed window',
    `${await client.call('MEMORY', 'USAGE', rlfKey, 'SAMPLES', '0')} B`,
    '-',
    '-',
  ])
  await client.del(rlfKey)
  printTable(
    'Memory per tracked identity × rule (Redis MEMORY USAGE, SAMPLES 0; memory store: heap per key)',
    ['state', 'Redis per key', 'Redis per request', 'memory store per key'],
    rows,
  )
  client.disconnect()
}
