import { randomUUID } from 'node:crypto'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  definePlans,
  RateLimitConfigError,
  type RateLimitRule,
  RedisStore,
  resolveCaller,
  rulesForCaller,
} from '../../src/index.js'
import { manualClock, ready, redisClient, uniquePrefix } from '../helpers.js'

let redis: Redis
beforeAll(async () => {
  redis = await ready(redisClient())
})
afterAll(() => redis.disconnect())

async function scanAll(pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500)
    cursor = next
    found.push(...batch)
  } while (cursor !== '0')
  return found
}

const plans = definePlans({ free: { name: 'free' }, pro: { name: 'pro', scale: 4 } })
const rule: RateLimitRule = { name: 'Query.search', limit: 2, window: '1m' }
const ctx = (headers: Record<string, string | undefined>) => ({
  req: { headers, socket: { remoteAddress: '203.0.113.50' } },
})

describe('createRedisApiKeys', () => {
  it('issues keys that the lookup accepts, and revokes them by key, by id and by owner', async () => {
    const keys = createRedisApiKeys({ client: redis, prefix: uniquePrefix('keys'), plans })
    const a = await keys.issue('acct_1', { plan: 'pro' })
    const b = await keys.issue('acct_1', { limits: { 'Query.search': { limit: 7 } } })
    const c = await keys.issue(42)
    expect(a.key).toMatch(keys.pattern)
    expect(a.id).toMatch(/^[\w-]{43}$/)
    expect(await keys.lookup(a.key)).toEqual({ owner: 'acct_1', plan: plans.pro })
    expect(await keys.lookup(b.key)).toEqual({ owner: 'acct_1', limits: { 'Query.search': { limit: 7 } } })
    expect(await keys.lookup('rk_not-a-key')).toBeNull()
    expect(await keys.revoke(a.key)).toBe(true)
    expect(await keys.revoke(a.key)).toBe(false)
    expect(await keys.lookup(a.key)).toBeNull()
    expect(await keys.revokeId(c.id)).toBe(true)
    expect(await keys.lookup(c.key)).toBeNull()
    const d = await keys.issue('acct_1')
    expect(await keys.revokeOwner('acct_1')).toBe(2)
    expect(await keys.lookup(b.key)).toBeNull()
    expect(await keys.lookup(d.key)).toBeNull()
  })

  it('lets a key expire after ttlMs', async () => {
    const keys = createRedisApiKeys({ client: redis, prefix: uniquePrefix('keys') })
    const { key } = await keys.issue('acct_ttl', { ttlMs: 50 })
    expect(await keys.lookup(key)).not.toBeNull()
    await new Promise((resolve) => setTimeout(resolve, 120))
    expect(await keys.lookup(key)).toBeNull()
  })

  it('reports a corrupt record as a lookup failure, so identify counts the caller by IP', async () => {
    const prefix = uniquePrefix('keys')
    const keys = createRedisApiKeys({ client: redis, prefix })
    const { key, id } = await keys.issue('acct_corrupt')
    await redis.set(`${prefix}k:${id}`, 'not json')
    await expect(keys.lookup(key)).rejects.toThrow(/not valid JSON/)
    const identify = createIdentify({ apiKeys: { lookup: keys.lookup }, logger: false })
    expect(await identify(ctx({ 'x-api-key': key }))).toEqual({ id: 'ip:203.0.113.50', kind: 'ip' })
  })

  it('validates its options and issue arguments', () => {
    expect(() => createRedisApiKeys({ client: {} as never })).toThrow(RateLimitConfigError)
    expect(() => createRedisApiKeys({ client: redis, prefix: 'a{b}' })).toThrow(/`prefix`/)
    expect(() => createRedisApiKeys({ client: redis, keyPrefix: 'sk-' })).toThrow(/`keyPrefix`/)
    const keys = createRedisApiKeys({ client: redis, prefix: uniquePrefix('keys') })
    return Promise.all([
      expect(keys.issue('')).rejects.toThrow(/`owner`/),
      expect(keys.issue('a', { ttlMs: 0 })).rejects.toThrow(/`ttlMs`/),
      expect(keys.issue('a', { limits: { x: { limit: -1 } } })).rejects.toThrow(/limits.*x.*limit/),
    ])
  })

  it('never stores an API key in clear: after a run, no Redis key name or value under the prefixes contains one', async () => {
    const keyPrefix = uniquePrefix('keys')
    const limitPrefix = uniquePrefix('limits')
    const keys = createRedisApiKeys({ client: redis, prefix: keyPrefix, plans })
    const limiter = createRateLimiter({
      store: new RedisStore({ client: redis, logger: false }),
      prefix: limitPrefix,
      logger: false,
    })
    const byOwner = createIdentify({
      apiKeys: { lookup: keys.lookup, pattern: keys.pattern, plans, clock: manualClock() },
    })
    const byKey = createIdentify({ apiKeys: { lookup: keys.lookup, plans, budget: 'key' } })
    const issued = await Promise.all([
      keys.issue('acct_a', { plan: 'pro' }),
      keys.issue('acct_a', { plan: 'pro' }),
      keys.issue('acct_b'),
    ])
    const presented = [...issued.map((k) => k.key), `rk_${'A'.repeat(43)}`, `junk-${randomUUID()}`]
    const allowed: Record<string, number> = {}
    for (const identify of [byOwner, byKey]) {
      for (const key of presented) {
        for (let i = 0; i < 10; i++) {
          const headers = i % 2 ? { authorization: `Bearer ${key}` } : { 'x-api-key': key }
          const caller = await resolveCaller(identify, ctx(headers))
          const decision = await limiter.consume(caller.id, rulesForCaller([rule], caller)!)
          expect(decision.policy, 'the decision came from Redis').toBeUndefined()
          if (decision.allowed) allowed[caller.id] = (allowed[caller.id] ?? 0) + 1
        }
      }
    }
    // By owner: acct_a spends one pro budget (8) across both keys, acct_b 2, unknown keys share the IP's 2.
    // By key: 8, 8 and 2; the IP budget is already spent.
    expect(Object.values(allowed).sort((x, y) => x - y)).toEqual([2, 2, 2, 8, 8, 8])
    const limitKeys = await scanAll(`${limitPrefix}*`)
    expect(limitKeys.length).toBeGreaterThanOrEqual(6)
    const names = [...(await scanAll(`${keyPrefix}*`)), ...limitKeys]
    const values = await Promise.all(
      names.map(async (name) =>
        (await redis.type(name)) === 'string'
          ? ((await redis.get(name)) ?? '')
          : ((await redis.call('DUMP', name)) as string),
      ),
    )
    for (const key of presented) {
      const secret = key.slice(3)
      for (const text of [...names, ...values]) expect(text.includes(secret)).toBe(false)
    }
    await limiter.close()
  })
})
