/**
 * The refund part of the Redis script: what it writes (TTLs, packed entries, the counter in place)
 * and, on random sequences, the same answers as the memory store.
 */
import fc from 'fast-check'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, RedisStore } from '../../src/index.js'
import type { RateLimiter } from '../../src/limiter.js'
import { sleep } from '../../src/testing/store-contract.js'
import type { RateLimitRule } from '../../src/types.js'
import { ReferenceLog } from '../engine/reference-model.js'
import { manualClock, ready, redisClient, uniquePrefix } from '../helpers.js'
import { packLogEntry, redisTimeUs, unpackLogEntry } from './packed-log.js'

let client: Redis
const limiters: RateLimiter[] = []

beforeAll(async () => {
  client = await ready(redisClient())
})

afterAll(async () => {
  for (const limiter of limiters) await limiter.close()
  client.disconnect()
})

function limiterFor(prefix = uniquePrefix('refund')): RateLimiter {
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    logger: false,
  })
  limiters.push(limiter)
  return limiter
}

const log: RateLimitRule = { name: 'budget', limit: 10, window: '1m', algorithm: 'sliding-log' }
const counter: RateLimitRule = { name: 'budget', limit: 10, window: '1d', algorithm: 'sliding-window' }

function packedCounter(index: number, current: number, previous: number): Buffer {
  const value = Buffer.alloc(24)
  value.writeDoubleLE(index, 0)
  value.writeDoubleLE(current, 8)
  value.writeDoubleLE(previous, 16)
  return value
}

describe('RedisStore refund', () => {
  it('lowers a partly refunded log entry in place: same time, cost and running total lowered together', async () => {
    const limiter = limiterFor()
    const [key] = limiter.keys('user:1', log)
    await limiter.consume('user:1', log, { cost: 2 })
    await limiter.consume('user:1', log, { cost: 3 })
    const [first, second] = (await client.lrangeBuffer(key!, 0, -1)).map(unpackLogEntry)
    await limiter.refund('user:1', log, { cost: 1 })
    expect((await client.lrangeBuffer(key!, 0, -1)).map(unpackLogEntry)).toEqual([
      first,
      { timeUs: second!.timeUs, total: second!.total - 1, cost: 2 },
    ])
    await limiter.refund('user:1', log, { cost: 3 })
    expect((await client.lrangeBuffer(key!, 0, -1)).map(unpackLogEntry)).toEqual([
      { ...first!, cost: 1, total: first!.total - 1 },
    ])
  })

  it('keeps a TTL on every key: a log expires with its new newest entry, a counter keeps its own', async () => {
    const limiter = limiterFor()
    const [logKey, counterKey] = limiter.keys('user:1', [log, counter])
    await limiter.consume('user:1', [log, counter], { cost: 2 })
    await sleep(50)
    await limiter.consume('user:1', [log, counter], { cost: 2 })
    const counterTtl = await client.pttl(counterKey!)
    expect(await client.pttl(logKey!)).toBeGreaterThan(59_900)
    await limiter.refund('user:1', [log, counter], { cost: 2 })
    const logTtl = await client.pttl(logKey!)
    expect(logTtl).toBeGreaterThan(0)
    expect(logTtl).toBeLessThanOrEqual(60_000 - 50) // the first entry's expiry, not the refunded one's
    const after = await client.pttl(counterKey!)
    expect(after).toBeGreaterThan(counterTtl - 1_000)
    expect(after).toBeLessThanOrEqual(counterTtl)
  })

  it('deletes a log with no live units left and creates no key for a caller that used nothing', async () => {
    const limiter = limiterFor()
    const [logKey, counterKey] = limiter.keys('user:1', [log, counter])
    await limiter.refund('user:1', [log, counter], { cost: 5 })
    expect(await client.exists(logKey!, counterKey!)).toBe(0)
    await limiter.consume('user:1', log, { cost: 3 })
    await limiter.refund('user:1', log, { cost: 3 })
    expect(await client.exists(logKey!)).toBe(0)
  })

  it('leaves a counter untouched when its current window has no count, and lowers only the current count', async () => {
    const limiter = limiterFor()
    const [key] = limiter.keys('user:1', counter)
    const index = Math.floor((await redisTimeUs(client)) / 86_400_000_000)
    const stale = packedCounter(index - 1, 5, 0)
    await client.set(key!, stale, 'PX', 100_000_000)
    await limiter.refund('user:1', counter, { cost: 3 })
    expect(await client.getBuffer(key!)).toEqual(stale)
    await client.set(key!, packedCounter(index, 4, 6), 'PX', 100_000_000)
    await limiter.refund('user:1', counter, { cost: 5 })
    expect(await client.getBuffer(key!)).toEqual(packedCounter(index, 0, 6))
    expect(await client.pttl(key!)).toBeGreaterThan(99_000_000)
  })

  it('gives nothing back from log entries that have left the window', async () => {
    const limiter = limiterFor()
    const rule: RateLimitRule = { name: 'crafted', limit: 5, window: 10_000, algorithm: 'sliding-log' }
    const [key] = limiter.keys('user:1', rule)
    const model = new ReferenceLog()
    const now = await redisTimeUs(client)
    // Two expired entries (cost 2, 1), then three live ones (cost 1, 2, 1).
    const ages = [30_000, 12_000, 8_000, 5_000, 1_000]
    const costs = [2, 1, 1, 2, 1]
    let total = 0
    const entries = ages.map((age, i) => {
      total += costs[i]!
      const entry = packLogEntry(now - age * 1000, total, costs[i]!)
      model.history.set('k', [...(model.history.get('k') ?? []), { at: now - age * 1000, cost: costs[i]! }])
      return entry
    })
    await client.rpush(key!, ...entries)
    await client.pexpire(key!, 60_000)
    const refunded = await limiter.refund('user:1', rule, { cost: 3 })
    // The script read TIME between `now` and this second read: the entry aged by up to that much.
    const elapsedMs = ((await redisTimeUs(client)) - now) / 1000
    model.refund(now, [{ key: 'k', limit: 5, windowMs: 10_000_000 }], 3)
    // Live 4 − 3 = 1 left: one unit of the 8 s old entry; the expired ones are untouched.
    expect(refunded.remaining).toBe(4)
    // The 8 s old entry leaves the 10 s window 2 s after `now`, whatever the machine's load.
    expect(refunded.resetMs).toBeGreaterThanOrEqual(Math.floor(2_000 - elapsedMs))
    expect(refunded.resetMs).toBeLessThanOrEqual(2_000)
    expect(model.history.get('k')!.map((e) => e.cost)).toEqual([2, 1, 1])
    expect((await client.lrangeBuffer(key!, 0, -1)).map((e) => unpackLogEntry(e).cost)).toEqual([2, 1, 1])
    expect(await limiter.refund('user:1', rule, { cost: 3 })).toMatchObject({ remaining: 5, resetMs: 0 })
    expect(await client.exists(key!)).toBe(0)
  })
})

describe('Redis refunds against the memory store, with windows longer than the run', () => {
  const L1: RateLimitRule = { name: 'L1', limit: 6, window: '1h', algorithm: 'sliding-log' }
  const W1: RateLimitRule = { name: 'W1', limit: 9, window: '1d', algorithm: 'sliding-window' }
  const SETS = [[L1], [W1], [L1, W1]]
  const step = fc.record({
    set: fc.nat(SETS.length - 1),
    cost: fc.integer({ min: 1, max: 7 }),
    identity: fc.nat(1),
    op: fc.constantFrom('consume', 'consume', 'refund', 'peek') as fc.Arbitrary<
      'consume' | 'refund' | 'peek'
    >,
  })

  it('answers every consume, peek and refund as the memory store does', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), async (steps) => {
        const redis = limiterFor()
        const memory = createRateLimiter({
          store: new MemoryStore({ clock: manualClock(1_700_000_000_000 + 43_200_000), sweepIntervalMs: 0 }),
        })
        // All steps in one tick: one batch, applied in call order.
        const call = (limiter: RateLimiter, s: (typeof steps)[number]) =>
          limiter[s.op](`user:${s.identity}`, SETS[s.set]!, { cost: s.cost })
        const fromRedis = await Promise.all(steps.map((s) => call(redis, s)))
        for (const [i, s] of steps.entries()) {
          const want = await call(memory, s)
          const got = fromRedis[i]!
          expect([got.allowed, got.reason, got.rules.map((r) => r.remaining)]).toEqual([
            want.allowed,
            want.reason,
            want.rules.map((r) => r.remaining),
          ])
        }
        await memory.close()
      }),
      { numRuns: 60 },
    )
  })
})
