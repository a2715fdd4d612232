/**
 * The blocked-caller cache under a flood, on Redis (one ioredis client shared by every contender):
 *
 * 1. One hot caller over its limit, 64 in flight: Redis script calls per 30 000 refused calls, with
 *    the cache and without it (Redis `INFO commandstats`, this bench's private server).
 * 2. The same flood: refused calls per second against rate-limiter-flexible's
 *    `inMemoryBlockOnConsumed` on the same Redis, in alternating rounds.
 * 3. 500 refused callers: script calls per caller per window.
 * 4. Mixed load, 90 % of callers refused and 10 % admitted: cache on against cache off.
 * 5. The admitted path, cache on (holding 900 blocks of other callers) against cache off, and the
 *    same path on two identical limiters without the cache (A/A): the noise floor of row 5.
 */
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { RateLimiterRedis } from 'rate-limiter-flexible'
import { createRateLimiter, type RateLimiter, type RateLimitRule, RedisStore } from '../src/index.js'
import { type BenchContext, type CompareResult, compare, printComparison, printTable } from './harness.js'

const IN_FLIGHT = 64
const silent = { warn() {}, error() {} }

/** Script calls Redis has answered so far (EVALSHA and EVAL). */
async function scriptCalls(client: Redis): Promise<number> {
  const info = await client.info('commandstats')
  let calls = 0
  for (const match of info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)) calls += Number(match[1])
  return calls
}

/** Runs `total` calls of `fn`, `IN_FLIGHT` at a time; returns the milliseconds taken. */
async function run(total: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0
  const started = performance.now()
  const lane = async () => {
    while (next < total) {
      try {
        await fn(next++)
      } catch {
        // rate-limiter-flexible rejects refused calls
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
  return performance.now() - started
}

function limiterOn(client: Redis, blockCache: boolean): RateLimiter {
  return createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: `bench-block:${randomUUID().slice(0, 8)}:`,
    logger: silent,
    // Counting, not timing: on a loaded machine a timeout would hand calls to the failure policy.
    timeoutMs: 10_000,
    circuitBreaker: false,
    blockCache,
  })
}

/** Spends `identity`'s budget so that every later call is refused. */
async function spend(limiter: RateLimiter, identity: string, rule: RateLimitRule): Promise<void> {
  for (let i = 0; i < rule.limit; i++) await limiter.consume(identity, rule)
}

const hot: RateLimitRule = { name: 'flood', limit: 10, window: '1m' }

async function scriptCallsPerFlood(client: Redis, quick: boolean): Promise<string[][]> {
  const total = quick ? 5_000 : 30_000
  const rows: string[][] = []
  for (const cache of [true, false]) {
    const limiter = limiterOn(client, cache)
    await spend(limiter, 'user:hot', hot)
    const before = await scriptCalls(client)
    const ms = await run(total, () => limiter.consume('user:hot', hot))
    const calls = (await scriptCalls(client)) - before - 1 // the INFO itself is not a script
    rows.push([
      `cache ${cache ? 'on' : 'off'}`,
      `${total}`,
      `${calls + 1}`,
      `${Math.round(total / (ms / 1000))}/s`,
    ])
    await limiter.close()
  }
  const theirs = new RateLimiterRedis({
    storeClient: client,
    points: 10,
    duration: 60,
    keyPrefix: `bench-rlf-block:${randomUUID().slice(0, 8)}`,
    inMemoryBlockOnConsumed: 10,
  })
  await run(20, () => theirs.consume('user:hot'))
  const before = await scriptCalls(client)
  const ms = await run(total, () => theirs.consume('user:hot'))
  const calls = (await scriptCalls(client)) - before
  rows.push([
    'rate-limiter-flexible (inMemoryBlockOnConsumed)',
    `${total}`,
    `${calls}`,
    `${Math.round(total / (ms / 1000))}/s`,
  ])
  return rows
}

async function manyCallers(client: Redis, quick: boolean): Promise<string[][]> {
  const callers = 500
  const rule: RateLimitRule = { name: 'many', limit: 5, window: quick ? '2s' : '5s' }
  const windowMs = quick ? 2_000 : 5_000
  const rows: string[][] = []
  for (const cache of [true, false]) {
    const limiter = limiterOn(client, cache)
    await Promise.all(Array.from({ length: callers }, (_, c) => spend(limiter, `user:${c}`, rule)))
    const before = await scriptCalls(client)
    const started = performance.now()
    let done = 0
    const lane = async () => {
      while (performance.now() - started < windowMs * 0.9) {
        // Refused: every caller has spent its budget for this window (calls stop before it ends).
        await limiter.consume(`user:${done++ % callers}`, rule)
      }
    }
    await Promise.all(Array.from({ length: IN_FLIGHT }, lane))
    const calls = (await scriptCalls(client)) - before
    rows.push([`cache ${cache ? 'on' : 'off'}`, `${done}`, `${calls}`, (calls / callers).toFixed(2)])
    await limiter.close()
  }
  return rows
}

async function ratios(client: Redis, quick: boolean): Promise<CompareResult[]> {
  const options = { inFlight: IN_FLIGHT, quick }
  const results: CompareResult[] = []
  // 2. The flood against rate-limiter-flexible's in-memory block.
  const ours = limiterOn(client, true)
  await spend(ours, 'user:hot', hot)
  const theirs = new RateLimiterRedis({
    storeClient: client,
    points: 10,
    duration: 60,
    keyPrefix: `bench-rlf-block:${randomUUID().slice(0, 8)}`,
    inMemoryBlockOnConsumed: 10,
  })
  await run(20, () => theirs.consume('user:hot'))
  results.push(
    await compare(
      'flood: one hot caller, all refused',
      {
        ours: () => ours.consume('user:hot', hot),
        'rate-limiter-flexible': () => theirs.consume('user:hot'),
      },
      options,
    ),
  )
  // 4. Mixed: 900 refused callers, 100 admitted ones (a limit they never reach).
  const open: RateLimitRule = { name: 'open', limit: 1_000_000, window: '1m', algorithm: 'sliding-window' }
  const on = limiterOn(client, true)
  const off = limiterOn(client, false)
  const again = limiterOn(client, false)
  for (const limiter of [on, off, again])
    await Promise.all(Array.from({ length: 900 }, (_, c) => spend(limiter, `user:${c}`, hot)))
  const mixed = (limiter: RateLimiter) => (i: number) =>
    i % 10 === 0
      ? limiter.consume(`user:${900 + ((i / 10) % 100)}`, open)
      : limiter.consume(`user:${i % 900}`, hot)
  results.push(
    await compare(
      'mixed: 90 % refused, 10 % admitted',
      { 'cache on': mixed(on), 'cache off': mixed(off) },
      options,
    ),
  )
  // 5. Admitted only, while the cache holds the blocks of the 900 refused callers above.
  const admitted = (limiter: RateLimiter) => (i: number) => limiter.consume(`user:${900 + (i % 100)}`, open)
  // More rounds than the rest: the difference sought is a few per cent.
  const fine = { ...options, rounds: quick ? 2 : 9 }
  results.push(
    await compare(
      'admitted path (cache holding 900 blocks)',
      { 'cache on': admitted(on), 'cache off': admitted(off) },
      fine,
    ),
  )
  // The same comparison between two identical limiters without the cache: this bench's noise floor.
  results.push(
    await compare(
      'A/A: admitted path, cache off against cache off',
      { 'cache on': admitted(again), 'cache off': admitted(off) },
      fine,
    ),
  )
  for (const limiter of [ours, on, off, again]) await limiter.close()
  return results
}

export default async function blockCacheBench(ctx: BenchContext): Promise<void> {
  const client = new Redis(ctx.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
  await new Promise((resolve) => client.once('ready', resolve))
  printTable(
    `Flood: one hot caller over its limit (10 per minute), ${IN_FLIGHT} in flight — Redis script calls`,
    ['contender', 'refused calls', 'script calls', 'throughput'],
    await scriptCallsPerFlood(client, ctx.quick),
  )
  printTable(
    `Flood: 500 refused callers (5 per window), ${IN_FLIGHT} in flight, for 90 % of one window`,
    ['contender', 'refused calls', 'script calls', 'per caller per window'],
    await manyCallers(client, ctx.quick),
  )
  const [flood, ...cacheOnOff] = await ratios(client, ctx.quick)
  printComparison(
    `Flood on Redis against rate-limiter-flexible's in-memory block — ${IN_FLIGHT} in flight (CPU: Node)`,
    [flood!],
    { cpu: true },
  )
  printComparison(
    `Blocked-caller cache on against off, on Redis — ${IN_FLIGHT} in flight (CPU: Node)`,
    cacheOnOff,
    { cpu: true },
  )
  client.disconnect()
}
