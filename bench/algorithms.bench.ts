/**
 * The four algorithms against each other: `consume` throughput of the token bucket and the calendar
 * quota against the sliding log and the counter, in memory and on Redis (64 calls in flight over
 * 1 000 keys, alternating rounds, medians), and a check of a rule plus a monthly quota (one script
 * call) against the rule plus a second window rule and the rule alone. Ratios are against the
 * first row measured in the same run; on a loaded machine read the CPU per call, steadier.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import {
  createRateLimiter,
  MemoryStore,
  type RateLimiter,
  type RateLimitRule,
  RedisStore,
} from '../src/index.js'
import { type BenchContext, compare, perSecond, printTable } from './harness.js'

const KEYS = 1000
const IN_FLIGHT = 64
const identities = Array.from({ length: KEYS }, (_, i) => `user:${i}`)
const silent = { warn() {}, error() {} }

/** Rules that admit most of the load at Redis speeds (1 000 a second per key). */
const RULES: Record<string, RateLimitRule | RateLimitRule[]> = {
  'sliding log': { name: 'bench', limit: 1000, window: '1s' },
  counter: { name: 'bench', limit: 1000, window: '1s', algorithm: 'sliding-window' },
  'token bucket': { name: 'bench', limit: 1000, window: '1s', algorithm: 'token-bucket' },
  'calendar quota (month)': {
    name: 'bench',
    limit: 1_000_000_000,
    period: 'month',
    timeZone: 'Europe/Berlin',
  },
}

/** A rule plus a monthly quota, against the same rule plus a second window rule, and alone. */
const PAIR: Record<string, RateLimitRule | RateLimitRule[]> = {
  'sliding log + monthly quota': [
    RULES['sliding log'] as RateLimitRule,
    { name: 'month', limit: 1_000_000_000, period: 'month' },
  ],
  'sliding log + 30-day counter': [
    RULES['sliding log'] as RateLimitRule,
    { name: 'month', limit: 1_000_000_000, window: '30d', algorithm: 'sliding-window' },
  ],
  'sliding log alone': RULES['sliding log']!,
}

async function run(
  title: string,
  ctx: BenchContext,
  rules: Record<string, RateLimitRule | RateLimitRule[]>,
  open: () => RateLimiter,
  pid?: number,
): Promise<void> {
  const limiter = open()
  const contenders = Object.fromEntries(
    Object.entries(rules).map(([label, rule]) => [
      label,
      (i: number) => limiter.consume(identities[i % KEYS]!, rule),
    ]),
  )
  const result = await compare(title, contenders, {
    inFlight: IN_FLIGHT,
    quick: ctx.quick,
    ...(pid === undefined ? {} : { pid }),
  })
  const base = Object.values(result.medians)[0]!
  printTable(
    title,
    ['rule', 'consume (median)', `ratio to ${Object.keys(rules)[0]}`, 'CPU/call'],
    Object.keys(rules).map((label) => [
      label,
      perSecond(result.medians[label]!),
      `${(result.medians[label]! / base).toFixed(2)}×`,
      `${result.cpuPerCall[label]!.toFixed(2)} µs`,
    ]),
  )
  await limiter.close()
}

export default async function algorithmsBench(ctx: BenchContext): Promise<void> {
  const memory = () => createRateLimiter({ store: new MemoryStore({ maxKeys: 10 * KEYS }), logger: silent })
  await run(`Algorithms in memory — ${IN_FLIGHT} in flight over ${KEYS} keys`, ctx, RULES, memory)
  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => client.once('ready', resolve))
  const redis = () =>
    createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: `bench-algos:${randomUUID().slice(0, 8)}:`,
      logger: silent,
    })
  const counted = ctx.redisPid ? 'CPU: Node + redis-server' : 'CPU: Node only'
  await run(`Algorithms on Redis (${counted})`, ctx, RULES, redis, ctx.redisPid)
  await run(
    `A rule plus a monthly quota in one script call, on Redis (${counted})`,
    ctx,
    PAIR,
    redis,
    ctx.redisPid,
  )
  client.disconnect()
}
