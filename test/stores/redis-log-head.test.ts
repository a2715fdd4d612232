/**
 * The sliding-log Lua reads the head of a log in steps (a few entries, then more, then a binary
 * search: `redis-log-script.ts`). Every boundary of those steps, held to the brute-force model: logs
 * with 0 to 16 expired entries before 1 to 14 live ones, every cost that is refused, and what an
 * admitted write leaves at the head. And a write after a newest entry ahead of Redis' clock.
 */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RateLimitRule } from '../../src/types.js'
import { ReferenceLog } from '../engine/reference-model.js'
import { limiterOn, ready, redisClient } from '../helpers.js'
import { packLogEntry as packed, redisTimeUs } from './packed-log.js'

const WINDOW_MS = 10_000
const LIMIT = 14

let client: Redis

beforeAll(async () => {
  client = await ready(redisClient())
})

afterAll(() => {
  client.disconnect()
})

/** Ages in ms, oldest first: `expired` past the window, then `live` within it (none near its edge). */
function ages(expired: number, live: number): number[] {
  const old = Array.from({ length: expired }, (_, i) => WINDOW_MS + 1_000 + (expired - i) * 10)
  const fresh = Array.from({ length: live }, (_, i) => 9_000 - i * 500)
  return [...old, ...fresh]
}

describe('the sliding-log head reads, at every step boundary', () => {
  it('finds the usage and the exact wait, and leaves at most 2 expired entries after a write', async () => {
    const limiter = limiterOn(client, 'log-head')
    const rule: RateLimitRule = { name: 'head', limit: LIMIT, window: WINDOW_MS, algorithm: 'sliding-log' }
    const [key] = limiter.keys('user:1', rule)
    const modelRule = { key: 'k', limit: LIMIT, windowMs: WINDOW_MS * 1000 }
    for (let expired = 0; expired <= 16; expired++) {
      for (let live = 1; live <= LIMIT; live++) {
        await client.del(key!)
        const t0 = await redisTimeUs(client)
        const model = new ReferenceLog()
        const list = ages(expired, live).map((age, i) => ({ at: t0 - age * 1000, total: 100 + i + 1 }))
        model.history.set(
          'k',
          list.map((e) => ({ at: e.at, cost: 1 })),
        )
        await client.rpush(key!, ...list.map((e) => packed(e.at, e.total, 1)))
        await client.pexpire(key!, 3 * WINDOW_MS)
        // Every refused cost: the wait is until the entry holding the last unit needed leaves.
        for (let cost = LIMIT - live + 1; cost <= LIMIT; cost++) {
          const expected = model.decide(t0, [modelRule], cost, false).rules[0]!
          const decision = await limiter.peek('user:1', rule, { cost })
          const t1 = await redisTimeUs(client)
          expect(decision.allowed, `${expired} expired, ${live} live, cost ${cost}`).toBe(false)
          expect(decision.rules[0]!.remaining).toBe(LIMIT - live)
          expect(decision.retryAfterMs).toBeGreaterThanOrEqual(
            Math.ceil((t0 + expected.retryAfterMs - t1) / 1000),
          )
          expect(decision.retryAfterMs).toBeLessThanOrEqual(Math.ceil(expected.retryAfterMs / 1000))
        }
        if (live === LIMIT) continue
        const admitted = await limiter.consume('user:1', rule)
        expect(admitted.allowed).toBe(true)
        expect(admitted.rules[0]!.remaining).toBe(LIMIT - live - 1)
        // Nothing live is trimmed; expired entries stay only while fewer than 3 have gathered.
        const length = await client.llen(key!)
        expect(length - (live + 1)).toBe(expired >= 3 ? 0 : expired)
      }
    }
    await limiter.close()
  }, 60_000)

  it('writes after a newest entry ahead of TIME (the clock went back): at its time, with its expiry', async () => {
    const limiter = limiterOn(client, 'log-ahead')
    const rule: RateLimitRule = { name: 'ahead', limit: LIMIT, window: WINDOW_MS, algorithm: 'sliding-log' }
    const [key] = limiter.keys('user:1', rule)
    const t0 = await redisTimeUs(client)
    // 5 entries of the last 9 s, then one 5 s ahead of Redis' clock.
    const times = [...ages(0, 5).map((age) => t0 - age * 1000), t0 + 5_000_000]
    await client.rpush(key!, ...times.map((at, i) => packed(at, 50 + i + 1, 1)))
    const decision = await limiter.consume('user:1', rule)
    expect(decision.allowed).toBe(true)
    expect(decision.rules[0]!.remaining).toBe(LIMIT - 7)
    const newest = (await client.lrangeBuffer(key!, -1, -1))[0]!
    expect([newest.readDoubleLE(0), newest.readDoubleLE(8), newest.readUInt32LE(16)]).toEqual([
      t0 + 5_000_000,
      57,
      1,
    ])
    expect(await client.pttl(key!)).toBeGreaterThan(WINDOW_MS + 4_000)
    await limiter.close()
  })
})
