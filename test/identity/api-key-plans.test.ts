/**
 * A plan name that no plan answers to (issue 12): `issue(owner, { plan: 'Free' })` used to be
 * accepted, and every request with that key then failed as a server error (GraphQL) or a permanent
 * 429 (tRPC). The registry now checks the name when the key is issued, and a record that still
 * cannot work is refused with API_KEY_MISCONFIGURED (403) and logged once, never a 500.
 */
import { initTRPC, TRPCError } from '@trpc/server'
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  definePlans,
  IdentityError,
  MemoryStore,
  RateLimitConfigError,
} from '../../src/index.js'
import { rateLimit } from '../../src/trpc/index.js'
import { limitedSchema } from '../graphql/fixtures.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

let redis: Redis
beforeAll(async () => {
  redis = await ready(redisClient())
})
afterAll(() => redis.disconnect())

const plans = definePlans({ free: { name: 'free' }, pro: { name: 'pro', scale: 4 } })
const ctx = (key: string) => ({
  req: { headers: { 'x-api-key': key }, socket: { remoteAddress: '203.0.113.9' } },
})

describe('issuing a key with a plan', () => {
  it('refuses a plan name the registry does not know, naming the known ones and the likely one', async () => {
    const prefix = uniquePrefix('plans')
    const keys = createRedisApiKeys({ client: redis, prefix, plans })
    const error = await keys.issue('acct_1', { plan: 'Free' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RateLimitConfigError)
    expect((error as Error).message).toBe(
      'Expected `plan` to be one of: free, pro; got "Free" (did you mean "free"?)',
    )
    const [, stored] = await redis.scan('0', 'MATCH', `${prefix}*`, 'COUNT', 1000)
    expect(stored).toEqual([])
  })

  it('refuses any plan when the registry was given no plans to check it against', async () => {
    const keys = createRedisApiKeys({ client: redis, prefix: uniquePrefix('plans') })
    await expect(keys.issue('acct_1', { plan: 'pro' })).rejects.toThrow(
      /createRedisApiKeys\(\{ client, plans \}\)/,
    )
    expect((await keys.issue('acct_1')).key).toMatch(keys.pattern)
  })

  it('hands identify the plan itself, so identify needs no plans of its own', async () => {
    const keys = createRedisApiKeys({ client: redis, prefix: uniquePrefix('plans'), plans })
    const { key } = await keys.issue('acct_1', { plan: 'pro' })
    expect(await keys.lookup(key)).toEqual({ owner: 'acct_1', plan: plans.pro })
    const caller = await createIdentify({ apiKeys: { lookup: keys.lookup } })(ctx(key))
    expect(caller).toMatchObject({ kind: 'api-key', owner: 'acct_1', plan: plans.pro })
  })

  it('validates the plans it is given when built', () => {
    expect(() => createRedisApiKeys({ client: redis, plans: { free: { name: 'fre' } } as never })).toThrow(
      /`plans.free.name`/,
    )
  })
})

describe('a key whose record names a plan nobody defines', () => {
  /** A key issued before plans were checked, or whose plan was since removed from the config. */
  async function orphanKey(): Promise<{
    key: string
    lookup: ReturnType<typeof createRedisApiKeys>['lookup']
  }> {
    const prefix = uniquePrefix('plans')
    const keys = createRedisApiKeys({ client: redis, prefix, plans })
    const { key, id } = await keys.issue('acct_9', { plan: 'free' })
    await redis.set(`${prefix}k:${id}`, JSON.stringify({ owner: 'acct_9', plan: 'Free' }))
    return { key, lookup: keys.lookup }
  }

  it('is refused with API_KEY_MISCONFIGURED (403), logged once with the fix, never showing the key', async () => {
    const { key, lookup } = await orphanKey()
    const warn = vi.fn()
    const identify = createIdentify({
      apiKeys: { lookup, plans, cacheTtlMs: 0 },
      logger: { warn, error: vi.fn() },
    })
    for (let i = 0; i < 5; i++) {
      const error = await Promise.resolve(identify(ctx(key))).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(IdentityError)
      expect(error).toMatchObject({ code: 'API_KEY_MISCONFIGURED', status: 403 })
      expect((error as Error).message).not.toMatch(/Free|acct_9/)
    }
    expect(warn).toHaveBeenCalledTimes(1)
    const logged = String(warn.mock.calls[0]![0])
    expect(logged).toMatch(/one of `apiKeys.plans` \(free, pro\), got "Free" \(did you mean "free"\?\)/)
    expect(logged).toMatch(/API_KEY_MISCONFIGURED/)
    expect(logged).not.toContain(key)
  })

  it('answers GraphQL with 403 and the code, not a masked 500', async () => {
    const { key, lookup } = await orphanKey()
    const limiter = createRateLimiter({
      store: new MemoryStore(),
      identify: createIdentify({ apiKeys: { lookup, plans }, logger: false }),
      logger: false,
    })
    const schema = limitedSchema(limiter, 'type Query { hello: String @rateLimit(limit: 5, window: "1m") }', {
      Query: { hello: () => 'hi' },
    })
    const yoga = createYoga({ schema, logging: false })
    const response = await yoga.fetch('http://yoga/graphql?query={hello}', { headers: { 'x-api-key': key } })
    expect(response.status).toBe(403)
    expect(await response.json()).toMatchObject({
      data: { hello: null },
      errors: [{ extensions: { code: 'API_KEY_MISCONFIGURED' } }],
    })
    await limiter.close()
  })

  it('answers tRPC with FORBIDDEN, not a 429 that never ends', async () => {
    const { key, lookup } = await orphanKey()
    const limiter = createRateLimiter({
      store: new MemoryStore(),
      identify: createIdentify({ apiKeys: { lookup, plans }, logger: false }),
      logger: false,
    })
    const t = initTRPC.context<ReturnType<typeof ctx>>().create()
    const router = t.router({
      hello: t.procedure.use(rateLimit({ limiter, limit: 5, window: '1m' })).query(() => 'hi'),
    })
    const error = await router
      .createCaller(ctx(key))
      .hello()
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TRPCError)
    expect(error).toMatchObject({ code: 'FORBIDDEN' })
    expect((error as TRPCError).cause).toMatchObject({ code: 'API_KEY_MISCONFIGURED' })
    await limiter.close()
  })
})

describe('the owner set behind revokeOwner', () => {
  // A whole SCAN (one call of COUNT n sees only part of a database that other test files share).
  const ownerSet = async (prefix: string) => {
    const names: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}o:*`, 'COUNT', 1000)
      names.push(...batch)
      cursor = next
    } while (cursor !== '0')
    expect(names).toHaveLength(1)
    return names[0]!
  }

  it('expires with the longest-lived key of its owner', async () => {
    const prefix = uniquePrefix('owners')
    const keys = createRedisApiKeys({ client: redis, prefix })
    await keys.issue('acct_short', { ttlMs: 150 })
    const set = await ownerSet(prefix)
    const ttl = await redis.pttl(set)
    expect(ttl).toBeGreaterThan(150) // a second of slack: the record is written after the set
    expect(ttl).toBeLessThanOrEqual(1_150)
    await vi.waitFor(async () => expect(await redis.exists(set)).toBe(0), { timeout: 3_000, interval: 50 })
  })

  it('lives as long as the longest key, and forever once a key that never expires joins it', async () => {
    const prefix = uniquePrefix('owners')
    const keys = createRedisApiKeys({ client: redis, prefix })
    await keys.issue('acct_mixed', { ttlMs: 60_000 })
    await keys.issue('acct_mixed', { ttlMs: 1_000 }) // must not shorten the set's life
    const set = await ownerSet(prefix)
    expect(await redis.pttl(set)).toBeGreaterThan(50_000)
    await keys.issue('acct_mixed', { ttlMs: 120_000 })
    expect(await redis.pttl(set)).toBeGreaterThan(110_000)
    await keys.issue('acct_mixed')
    expect(await redis.pttl(set)).toBe(-1)
    await keys.issue('acct_mixed', { ttlMs: 1_000 })
    expect(await redis.pttl(set)).toBe(-1)
    expect(await keys.revokeOwner('acct_mixed')).toBe(5)
    expect(await redis.exists(set)).toBe(0)
  })
})
