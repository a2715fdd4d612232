/**
 * Calendar quotas and token buckets on a real Redis: TTLs, the hash-tagged key layout, and why an
 * app server's skewed clock cannot give a second quota (the script picks the period by `TIME`).
 */
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { resolveRule, TEST_PERIOD_MS } from '../../src/rules.js'
import { sleep } from '../../src/testing/store-contract.js'
import type { RateLimitRule } from '../../src/types.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

let client: Redis
const limiters: RateLimiter[] = []

beforeAll(async () => {
  client = await ready(redisClient())
})
afterEach(async () => {
  vi.restoreAllMocks()
  for (const limiter of limiters.splice(0)) await limiter.close()
})
afterAll(() => {
  client.disconnect()
})

function open(prefix: string): RateLimiter {
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    logger: false,
    onStoreError: 'closed',
  })
  limiters.push(limiter)
  return limiter
}

const keyOf = (prefix: string, identity: string, rule: RateLimitRule) =>
  `${prefix}{${identity}}:${resolveRule(rule).id}`

/** Waits until the wall clock is `from`–`to` ms into a period of `length` ms. */
async function waitForPhase(length: number, from: number, to: number): Promise<void> {
  while (Date.now() % length < from || Date.now() % length >= to) await sleep(5)
}

describe('calendar quota on Redis', () => {
  it('keeps one hash-tagged key per identity and quota, expiring at the end of the period', async () => {
    const prefix = uniquePrefix('quota')
    const limiter = open(prefix)
    const daily: RateLimitRule = { name: 'daily', limit: 10, period: 'day' }
    const decision = await limiter.consume('user:1', daily, { cost: 4 })
    const untilMidnight = 86_400_000 - (Date.now() % 86_400_000)
    expect(decision.resetMs).toBeGreaterThanOrEqual(untilMidnight - 50)
    expect(decision.resetMs).toBeLessThanOrEqual(untilMidnight + 50)
    const key = keyOf(prefix, 'user:1', daily)
    expect(await client.keys(`${prefix}*`)).toEqual([key])
    const ttl = await client.pttl(key)
    expect(ttl).toBeGreaterThan(untilMidnight - 1000)
    expect(ttl).toBeLessThanOrEqual(untilMidnight + 50)
  })

  it('counts in the period of Redis TIME whatever the app clock says: a skewed server shares the one quota', async () => {
    const now = Date.now
    /** One attempt inside one 1 s period of real time; undefined when the run crossed a boundary (a loaded machine). */
    const attempt = async (): Promise<boolean[] | undefined> => {
      const limiter = open(uniquePrefix('quota'))
      const quota = { name: 'skew', limit: 3, period: 'day', [TEST_PERIOD_MS]: 1000 } as RateLimitRule
      await waitForPhase(1000, 350, 400)
      const period = Math.floor(now() / 1000)
      // A server 700 ms ahead thinks the next period has begun …
      const ahead = vi.spyOn(Date, 'now').mockImplementation(() => now() + 700)
      const first = [await limiter.consume('user:1', quota), await limiter.consume('user:1', quota)]
      ahead.mockRestore()
      // … one 700 ms behind thinks the previous one is still on, and one on time: all count in TIME's.
      const behind = vi.spyOn(Date, 'now').mockImplementation(() => now() - 700)
      const second = [await limiter.consume('user:1', quota), await limiter.consume('user:1', quota)]
      behind.mockRestore()
      const third = await limiter.consume('user:1', quota)
      if (Math.floor(now() / 1000) !== period || now() % 1000 >= 950) return undefined
      return [...first, ...second, third].map((d) => d.allowed)
    }
    let answers: boolean[] | undefined
    for (let i = 0; i < 5 && answers === undefined; i++) answers = await attempt()
    expect(answers).toEqual([true, true, true, false, false])
  })

  it('refuses by policy, writing nothing, when TIME lies outside every period the client sent', async () => {
    const prefix = uniquePrefix('quota')
    const limiter = open(prefix)
    const quota = { name: 'far', limit: 3, period: 'day', [TEST_PERIOD_MS]: 1000 } as RateLimitRule
    const now = Date.now
    vi.spyOn(Date, 'now').mockImplementation(() => now() + 5000)
    const decision = await limiter.consume('user:1', quota)
    vi.restoreAllMocks()
    expect(decision).toMatchObject({ allowed: false, reason: 'store-unavailable', policy: 'closed' })
    expect(await client.keys(`${prefix}*`)).toEqual([])
  })

  it('crosses a boundary of Redis TIME: the quota is whole again in the next period', async () => {
    const prefix = uniquePrefix('quota')
    const limiter = open(prefix)
    const quota = { name: 'cross', limit: 2, period: 'day', [TEST_PERIOD_MS]: 400 } as RateLimitRule
    await waitForPhase(400, 50, 150)
    // Spend a period's quota; on a loaded machine a boundary may pass in between: spend the next one.
    let refused = await limiter.peek('user:1', quota)
    for (let i = 0; i < 3 && refused.allowed; i++) {
      await limiter.consume('user:1', quota, { cost: 2 })
      refused = await limiter.peek('user:1', quota)
    }
    expect(refused.allowed).toBe(false)
    expect(refused.retryAfterMs).toBeGreaterThan(0)
    expect(refused.retryAfterMs).toBeLessThanOrEqual(400)
    expect(refused.resetMs).toBe(refused.retryAfterMs)
    await sleep(refused.retryAfterMs + 2)
    expect(await limiter.consume('user:1', quota, { cost: 2 })).toMatchObject({ allowed: true, remaining: 0 })
  })
})

describe('token bucket on Redis', () => {
  it('keeps one timestamp per key, expiring when the bucket is full again', async () => {
    const prefix = uniquePrefix('bucket')
    const limiter = open(prefix)
    const bucket: RateLimitRule = { name: 'tb', limit: 1, window: '10s', algorithm: 'token-bucket', burst: 3 }
    expect(await limiter.consume('user:1', bucket, { cost: 2 })).toMatchObject({
      remaining: 1,
      resetMs: 20_000,
    })
    const key = keyOf(prefix, 'user:1', bucket)
    expect(await client.strlen(key)).toBe(8)
    const ttl = await client.pttl(key)
    expect(ttl).toBeGreaterThan(19_000)
    expect(ttl).toBeLessThanOrEqual(20_000)
    await limiter.refund('user:1', bucket, { cost: 2 })
    expect(await client.exists(key)).toBe(0)
  })

  it('refills a token a microsecond or faster without failing the script call it shares', async () => {
    // A bucket full again within 1 µs of an admission has a TTL that rounds to 0 ms; `SET … PX 0`
    // was an error that failed every check of the script call, other callers' included.
    const prefix = uniquePrefix('bucket-fast')
    const limiter = open(prefix)
    const fast: RateLimitRule = { name: 'fast', limit: 1_000_000, window: '1s', algorithm: 'token-bucket' }
    const faster: RateLimitRule = {
      name: 'faster',
      limit: 10_000_000,
      window: '1s',
      algorithm: 'token-bucket',
    }
    const other: RateLimitRule = { name: 'other', limit: 5, window: '1m' }
    const decisions = await limiter.consumeMany([
      { identity: 'user:1', rules: fast },
      { identity: 'user:1', rules: faster },
      { identity: 'user:1', rules: other },
    ])
    // onStoreError 'closed': a failed script call would refuse all three with a policy.
    for (const decision of decisions) expect(decision).toMatchObject({ allowed: true })
    for (const decision of decisions) expect(decision.policy).toBeUndefined()
    expect(decisions[2]!.remaining).toBe(4)
    for (const rule of [fast, faster]) {
      const ttl = await client.pttl(keyOf(prefix, 'user:1', rule))
      expect(ttl === -2 || (ttl >= 0 && ttl <= 1)).toBe(true)
    }
  })
})
