/**
 * `consume` throughput: resolver-rate-limit against rate-limiter-flexible on the same Redis, the
 * same ioredis client and the same load (64 calls in flight over 1 000 keys), in memory and on
 * Redis, in alternating rounds. rate-limiter-flexible counts a fixed window; ours is an exact
 * sliding log (or the weighted counter), so parity means the script and the hot path are lean.
 *
 * Two ratios: wall-clock throughput (what a caller sees, but swayed by whatever else the machine
 * runs) and calls per CPU second (Node, plus the private redis-server on Redis), steadier on a
 * shared machine.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible'
import { createRateLimiter, MemoryStore, type RateLimitRule, RedisStore } from '../src/index.js'
import { type BenchContext, type CompareResult, compare, printComparison } from './harness.js'

const KEYS = 1000
const IN_FLIGHT = 64

interface Scenario {
  label: string
  rule: RateLimitRule
  /** rate-limiter-flexible's equivalent: points per duration in seconds. */
  points: number
  duration: number
}

/**
 * The same traffic for both: 1000 per second per key is all admitted at Redis speeds and partly
 * refused at in-memory speeds (over 1000 calls per second per key); 10 per minute is mostly refused.
 */
const SCENARIOS: Scenario[] = [
  {
    label: 'sliding log, 1000 per 1 s',
    rule: { name: 'bench', limit: 1000, window: '1s' },
    points: 1000,
    duration: 1,
  },
  {
    label: 'sliding log, 10 per 1 min (mostly refused)',
    rule: { name: 'bench', limit: 10, window: '1m' },
    points: 10,
    duration: 60,
  },
  {
    label: 'counter, 1000 per 1 s',
    rule: { name: 'bench', limit: 1000, window: '1s', algorithm: 'sliding-window' },
    points: 1000,
    duration: 1,
  },
]

const identities = Array.from({ length: KEYS }, (_, i) => `user:${i}`)
const silent = { warn() {}, error() {} }

export default async function engineBench(ctx: BenchContext): Promise<void> {
  const options = { inFlight: IN_FLIGHT, quick: ctx.quick }
  const memory: CompareResult[] = []
  for (const s of SCENARIOS) {
    const limiter = createRateLimiter({ store: new MemoryStore({ maxKeys: 10 * KEYS }), logger: silent })
    const theirs = new RateLimiterMemory({ points: s.points, duration: s.duration, keyPrefix: 'bench' })
    memory.push(
      await compare(
        s.label,
        {
          ours: (i) => limiter.consume(identities[i % KEYS]!, s.rule),
          'rate-limiter-flexible': (i) => theirs.consume(identities[i % KEYS]!),
        },
        options,
      ),
    )
    await limiter.close()
  }
  printComparison(
    `consume() in memory — ${IN_FLIGHT} in flight over ${KEYS} keys (CPU: this process)`,
    memory,
    { cpu: true },
  )

  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => client.once('ready', resolve))
  const redis: CompareResult[] = []
  for (const s of SCENARIOS) {
    const run = randomUUID().slice(0, 8)
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: `bench:${run}:`,
      logger: silent,
    })
    const theirs = new RateLimiterRedis({
      storeClient: client,
      points: s.points,
      duration: s.duration,
      keyPrefix: `bench-rlf:${run}`,
    })
    redis.push(
      await compare(
        s.label,
        {
          ours: (i) => limiter.consume(identities[i % KEYS]!, s.rule),
          'rate-limiter-flexible': (i) => theirs.consume(identities[i % KEYS]!),
        },
        { ...options, ...(ctx.redisPid ? { pid: ctx.redisPid } : {}) },
      ),
    )
    await limiter.close()
  }
  const counted = ctx.redisPid ? 'Node + redis-server' : 'Node only: REDIS_URL is not ours to measure'
  printComparison(
    `consume() on Redis (one ioredis client shared by both) — ${IN_FLIGHT} in flight over ${KEYS} keys (CPU: ${counted})`,
    redis,
    { cpu: true },
  )
  client.disconnect()
}
