import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  definePlans,
  type LivePlans,
  livePlans,
  type PlanDefinition,
  planQuotas,
  quotaUsage,
  RateLimitConfigError,
  type RateLimiter,
  type RateLimitRule,
  RedisStore,
  resolveCaller,
  rulesForCaller,
} from '../../src/index.js'
import { manualClock, ready, redisClient, uniquePrefix } from '../helpers.js'

let redis: Redis
const limiters: RateLimiter[] = []
const live: LivePlans[] = []
beforeAll(async () => {
  redis = await ready(redisClient())
})
afterAll(async () => {
  for (const plans of live) plans.close()
  await Promise.all(limiters.map((l) => l.close()))
  redis.disconnect()
})

const search: RateLimitRule = { name: 'Query.search', limit: 2, window: '1m' }
const ctx = (key: string) => ({
  req: { headers: { 'x-api-key': key }, socket: { remoteAddress: '203.0.113.9' } },
})

function redisLimiter(): RateLimiter {
  const limiter = createRateLimiter({
    store: new RedisStore({ client: redis, logger: false }),
    prefix: uniquePrefix('prt'),
    logger: false,
  })
  limiters.push(limiter)
  return limiter
}

const plans = definePlans({
  free: { quotas: [{ name: 'daily', limit: 2, window: '1d' }] },
  pro: { scale: 10, quotas: [{ name: 'daily', limit: 5, window: '1d' }] },
})

describe('definePlans with quotas', () => {
  it('names each plan after its key and each quota quota:<plan>:<index> unless named', () => {
    const defined = definePlans({
      basic: {
        quotas: [
          { limit: 10, window: '1h' },
          { name: 'm', limit: 99, window: '30d' },
        ],
      },
    })
    expect(defined.basic.name).toBe('basic')
    expect(planQuotas(defined.basic).map((q) => q.name)).toEqual(['quota:basic:0', 'm'])
    const named = { x: { name: 'x' } }
    expect(definePlans(named)).toBe(named)
  })

  it.each([
    [{ quotas: 'many' }, /`quotas` of plan "p" to be an array/],
    [{ quotas: [{ limit: 0, window: '1d' }] }, /Invalid `quotas` of plan "p"\[0\]: .*`limit`/],
    [{ quotas: [{ limit: 5, window: 'soon' }] }, /Invalid `quotas` of plan "p"\[0\]: .*`window`/],
    [{ quotas: [null] }, /`quotas` of plan "p"\[0\] to be a rule/],
    [{ unlimited: true, quotas: [{ limit: 5, window: '1d' }] }, /both `unlimited` and carry `quotas`/],
    [{ quotas: Array.from({ length: 17 }, () => ({ limit: 1, window: '1d' })) }, /at most 16/],
  ])('refuses a plan whose quotas cannot work: %j', (plan, message) => {
    expect(() => definePlans({ p: plan as PlanDefinition })).toThrow(RateLimitConfigError)
    expect(() => definePlans({ p: plan as PlanDefinition })).toThrow(message)
  })
})

describe('quotaUsage', () => {
  it('reports used, remaining and reset of each quota, by caller or by account, recording nothing', async () => {
    const limiter = redisLimiter()
    const keys = createRedisApiKeys({ client: redis, prefix: uniquePrefix('prt-keys'), plans })
    const { key } = await keys.issue('acct_u', { plan: 'free' })
    const identify = createIdentify({
      apiKeys: { lookup: keys.lookup, pattern: keys.pattern },
      logger: false,
    })
    const caller = await resolveCaller(identify, ctx(key))
    const quotas = planQuotas(plans.free)
    expect(rulesForCaller([search], caller)).toEqual([search, ...quotas])
    await limiter.consume(caller.id, rulesForCaller([search], caller)!)
    const byCaller = await quotaUsage(limiter, caller)
    expect(byCaller).toMatchObject({ identity: caller.id, plan: 'free' })
    expect(byCaller.quotas).toHaveLength(1)
    expect(byCaller.quotas[0]).toMatchObject({ used: 1, remaining: 1, limit: 2, rule: { name: 'daily' } })
    expect(byCaller.quotas[0]!.resetsAt).toBeGreaterThan(Date.now() + 23 * 3_600_000)
    const byAccount = await quotaUsage(limiter, { owner: 'acct_u', plan: plans.free })
    expect(byAccount).toMatchObject({
      identity: caller.id,
      plan: 'free',
      quotas: [{ used: 1, remaining: 1 }],
    })
    expect((await quotaUsage(limiter, caller)).quotas[0]!.used).toBe(1)
    expect(await quotaUsage(limiter, { owner: 'acct_u', plan: undefined })).toMatchObject({ quotas: [] })
  })
})

describe('plans that change at run time', () => {
  it('setPlan and setLimits reach the caller within the API-key cache TTL, keeping the key and its expiry', async () => {
    const prefix = uniquePrefix('prt-keys')
    const keys = createRedisApiKeys({ client: redis, prefix, plans })
    const { key, id } = await keys.issue('acct_s', { plan: 'free', ttlMs: 600_000 })
    const clock = manualClock()
    const identify = createIdentify({
      apiKeys: { lookup: keys.lookup, pattern: keys.pattern, cacheTtlMs: 30_000, clock },
      logger: false,
    })
    expect((await resolveCaller(identify, ctx(key))).plan).toBe(plans.free)
    expect(await keys.setPlan(id, 'pro')).toBe(true)
    expect((await resolveCaller(identify, ctx(key))).plan).toBe(plans.free) // cached
    clock.advance(30_001)
    const moved = await resolveCaller(identify, ctx(key))
    expect(moved.plan).toBe(plans.pro)
    expect(rulesForCaller([search], moved)![0]!.limit).toBe(20)
    expect(await keys.setLimits(id, { daily: { limit: 50 } })).toBe(true)
    clock.advance(30_001)
    const custom = await resolveCaller(identify, ctx(key))
    expect((await quotaUsage(redisLimiter(), custom)).quotas[0]).toMatchObject({ limit: 50 })
    expect(await redis.pttl(`${prefix}k:${id}`)).toBeGreaterThan(590_000)
    expect(await keys.setLimits(id, null)).toBe(true)
    expect(await keys.setPlan(id, null)).toBe(true)
    expect(await keys.lookup(key)).toEqual({ owner: 'acct_s' })
  })

  it('setPlan refuses an unknown plan name and never recreates a revoked key', async () => {
    const prefix = uniquePrefix('prt-keys')
    const keys = createRedisApiKeys({ client: redis, prefix, plans })
    const { id } = await keys.issue('acct_r', { plan: 'free' })
    await expect(keys.setPlan(id, 'Pro')).rejects.toThrow(/did you mean "pro"/)
    await expect(keys.setLimits(id, { daily: { limit: 0 } })).rejects.toThrow(/`limits`\["daily"\]\.limit/)
    await keys.revokeId(id)
    expect(await keys.setPlan(id, 'pro')).toBe(false)
    expect(await redis.exists(`${prefix}k:${id}`)).toBe(0)
    expect(await keys.setPlan('not-an-id', 'pro')).toBe(false)
  })

  it('livePlans reloads plans on an interval; a bad load is refused, logged once, and traffic keeps the last valid plans', async () => {
    let source: Record<string, PlanDefinition> = {
      free: { quotas: [{ name: 'daily', limit: 2, window: '1d' }] },
    }
    const logger = { warn: vi.fn(), error: vi.fn(), info: vi.fn() }
    const plansNow = await livePlans(() => source, { intervalMs: 20, logger })
    live.push(plansNow)
    const keys = createRedisApiKeys({ client: redis, prefix: uniquePrefix('prt-keys'), plans: plansNow })
    const { key } = await keys.issue('acct_l', { plan: 'free' })
    const identify = createIdentify({
      apiKeys: { lookup: keys.lookup, pattern: keys.pattern, cacheTtlMs: 0 },
      logger: false,
    })
    const limitOf = async () => planQuotas((await resolveCaller(identify, ctx(key))).plan!)[0]!.limit
    expect(await limitOf()).toBe(2)
    source = { free: { quotas: [{ name: 'daily', limit: 7, window: '1d' }] } }
    await vi.waitFor(async () => expect(await limitOf()).toBe(7), { timeout: 2_000, interval: 10 })
    source = { free: { quotas: [{ name: 'daily', limit: -1, window: '1d' }] } }
    expect(await plansNow.reload()).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 100)) // several refused reloads
    expect(await limitOf()).toBe(7)
    expect(logger.error).toHaveBeenCalledTimes(1)
    expect(logger.error.mock.calls[0]![0]).toMatch(/last valid plans stay in force.*`limit`/)
    source = { free: { quotas: [{ name: 'daily', limit: 9, window: '1d' }] } }
    expect(await plansNow.reload()).toBe(true)
    expect(await limitOf()).toBe(9)
    expect(logger.info).toHaveBeenCalledTimes(1)
  })

  it('livePlans throws when its first load is invalid, and validates its options', async () => {
    await expect(livePlans(() => ({ free: { scale: -1 } }))).rejects.toThrow(/`scale` of plan "free"/)
    await expect(livePlans(() => ({}), { intervalMs: 0 })).rejects.toThrow(/`intervalMs`/)
  })
})
