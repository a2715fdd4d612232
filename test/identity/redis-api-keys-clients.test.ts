/**
 * The Redis API-key registry on every supported client (ioredis 5/6, node-redis 5/6): the same
 * commands in each library's calling convention, the same records and TTLs, and one client shared
 * with the limiter's store. On Redis Cluster: test/cluster/cluster-clients.test.ts.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ownerKey as ownerSetKey, recordKey } from '../../src/identity/api-key-records.js'
import {
  createIdentify,
  createRateLimiter,
  createRedisApiKeys,
  definePlans,
  RateLimitConfigError,
  RedisStore,
  resolveCaller,
  rulesForCaller,
} from '../../src/index.js'
import { uniquePrefix } from '../helpers.js'
import { CLIENT_KINDS, type TestClient } from '../setup/redis-clients.js'

const plans = definePlans({ free: { name: 'free' }, pro: { name: 'pro', scale: 4 } })
const rule = { name: 'Query.search', limit: 2, window: '1m' }

describe.each(CLIENT_KINDS)('createRedisApiKeys on $kind', (factory) => {
  let test: TestClient
  beforeAll(async () => {
    test = await factory.single({ url: inject('redisUrl') }).ready()
  })
  afterAll(() => test.close())

  it('issues, looks up and revokes keys by key, by id and by owner', async () => {
    const keys = createRedisApiKeys({ client: test.client, prefix: uniquePrefix('keys'), plans })
    const a = await keys.issue('acct_1', { plan: 'pro' })
    const b = await keys.issue('acct_1', { limits: { 'Query.search': { limit: 7 } } })
    const c = await keys.issue(42)
    expect(await keys.lookup(a.key)).toEqual({ owner: 'acct_1', plan: plans.pro })
    expect(await keys.lookup(b.key)).toEqual({ owner: 'acct_1', limits: { 'Query.search': { limit: 7 } } })
    expect(await keys.lookup(`rk_${'x'.repeat(43)}`)).toBeNull()
    expect(await keys.revoke(a.key)).toBe(true)
    expect(await keys.revoke(a.key)).toBe(false)
    expect(await keys.revokeId(c.id)).toBe(true)
    expect(await keys.lookup(c.key)).toBeNull()
    await keys.issue('acct_1')
    expect(await keys.revokeOwner('acct_1')).toBe(2)
    expect(await keys.lookup(b.key)).toBeNull()
    expect(await keys.revokeOwner('acct_1')).toBe(0)
  })

  it('gives a key with ttlMs a TTL, and its owner set one that outlives it', async () => {
    const prefix = uniquePrefix('keys')
    const keys = createRedisApiKeys({ client: test.client, prefix })
    const { id } = await keys.issue('acct_ttl', { ttlMs: 60_000 })
    const record = recordKey(prefix, id)
    const recordTtl = Number(await test.command(['PTTL', record], record))
    const ownerKey = ownerSetKey(prefix, 'acct_ttl')
    const members = (await test.command(['SMEMBERS', ownerKey], ownerKey)) as string[]
    const ownerTtl = Number(await test.command(['PTTL', ownerKey], ownerKey))
    expect(recordTtl).toBeGreaterThan(59_000)
    expect(recordTtl).toBeLessThanOrEqual(60_000)
    expect(members).toEqual([id])
    expect(ownerTtl).toBeGreaterThan(recordTtl)
  })

  it('identifies a caller by key on a limiter that shares the client', async () => {
    const keys = createRedisApiKeys({ client: test.client, prefix: uniquePrefix('keys'), plans })
    const { key } = await keys.issue('acct_9', { plan: 'pro' })
    const identify = createIdentify({ apiKeys: { lookup: keys.lookup, pattern: keys.pattern } })
    const limiter = createRateLimiter({
      store: new RedisStore({ client: test.client, logger: false }),
      prefix: uniquePrefix('keys-limiter'),
      logger: false,
    })
    const caller = await resolveCaller(identify, {
      req: { headers: { 'x-api-key': key }, socket: { remoteAddress: '203.0.113.9' } },
    })
    expect(caller).toMatchObject({ kind: 'api-key', owner: 'acct_9', plan: plans.pro })
    const rules = rulesForCaller([rule], caller)
    expect((await limiter.consume(caller.id, [...rules!])).limit).toBe(8)
    await limiter.close()
  })
})

describe('createRedisApiKeys with a client of neither shape', () => {
  it('is refused, naming both libraries', () => {
    expect(() => createRedisApiKeys({ client: {} as never })).toThrow(RateLimitConfigError)
    expect(() => createRedisApiKeys({ client: { get() {}, eval() {} } as never })).toThrow(
      /ioredis .*node-redis/,
    )
  })
})
