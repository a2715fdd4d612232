/**
 * RedisStore on every supported client: ioredis 5 and 6, node-redis 5 and 6 (single node here;
 * Redis Cluster in test/cluster/cluster-clients.test.ts). The whole store contract runs on each,
 * then what differs between libraries: how a script is sent and re-sent after NOSCRIPT, how a
 * command reaches the server, how the client says it is not connected, and its offline queue.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createRateLimiter, RateLimitConfigError, RedisStore, StoreError } from '../../src/index.js'
import { CONSUME_SCRIPT_SHA } from '../../src/stores/redis-scripts.js'
import { storeContract } from '../../src/testing/index.js'
import { sleep } from '../../src/testing/store-contract.js'
import { uniquePrefix } from '../helpers.js'
import { recordingLogger } from '../resilience/switchable-store.js'
import { CLIENT_KINDS, type TestClient } from '../setup/redis-clients.js'

const rule = { name: 'Query.search', limit: 3, window: '1m' }
const storeRules = (prefix: string) => [
  { key: `${prefix}{user:1}:r`, algorithm: 'sliding-log' as const, limit: 1, windowMs: 1000 },
]

describe.each(CLIENT_KINDS)('RedisStore on $kind', (factory) => {
  let test: TestClient

  beforeAll(async () => {
    test = await factory.single({ url: inject('redisUrl') }).ready()
  })
  afterAll(() => test.close())

  storeContract(`Redis store on ${factory.kind}`, async ({ prefix }) => {
    const limiter = createRateLimiter({
      store: new RedisStore({ client: test.client, logger: false }),
      prefix,
      logger: false,
      // The contract checks what the store answers; deadlines are test/resilience's. A 200 ms
      // one on a loaded machine lets the failure policy answer a slow first script call.
      timeoutMs: 5_000,
    })
    return { limiter, exactClock: false, advance: sleep, cleanup: () => limiter.close() }
  })

  function limiter(prefix = uniquePrefix('clients')) {
    return createRateLimiter({
      store: new RedisStore({ client: test.client, logger: false }),
      prefix,
      logger: false,
    })
  }

  it('writes the keys the limiter names, each with a TTL, and reset deletes them', async () => {
    const rl = limiter()
    await rl.consume('user:1', rule)
    const [key] = rl.keys('user:1', rule)
    const ttl = Number(await test.command(['PTTL', key!], key))
    expect(ttl).toBeGreaterThan(59_000)
    expect(ttl).toBeLessThanOrEqual(60_000)
    await rl.reset('user:1', rule)
    expect(Number(await test.command(['EXISTS', key!], key))).toBe(0)
    expect((await rl.consume('user:1', rule)).remaining).toBe(2)
    await rl.close()
  })

  it('sends EVAL after NOSCRIPT (SCRIPT FLUSH), with the same answers, and caches the script again', async () => {
    const rl = limiter()
    await rl.consume('user:1', rule)
    await test.everyMaster(['SCRIPT', 'FLUSH'])
    const decisions = await Promise.all([rl.consume('user:1', rule), rl.consume('user:2', rule)])
    expect(decisions.map((d) => [d.allowed, d.reason, d.remaining])).toEqual([
      [true, undefined, 1],
      [true, undefined, 2],
    ])
    expect(await test.command(['SCRIPT', 'EXISTS', CONSUME_SCRIPT_SHA])).toEqual([1])
    await rl.close()
  })

  it('pings through the client', async () => {
    const store = new RedisStore({ client: test.client, logger: false })
    await expect(store.ping()).resolves.toBeUndefined()
  })

  it('passes a server error reply on as it is (not as STORE_UNAVAILABLE)', async () => {
    const prefix = uniquePrefix('wrongtype')
    const rules = storeRules(prefix)
    await test.command(['SET', rules[0]!.key, 'not a list'], rules[0]!.key)
    const store = new RedisStore({ client: test.client, logger: false })
    const error = await store.consume(rules, 1).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(Error)
    expect(error).not.toBeInstanceOf(StoreError)
    expect((error as Error).message).toMatch(/WRONGTYPE|wrong kind/i)
  })

  it('never adds a listener to the client', async () => {
    const listeners = test.errorListeners()
    const rl = limiter()
    await rl.consume('user:1', rule)
    await rl.close()
    expect(test.errorListeners()).toBe(listeners)
  })
})

describe.each(CLIENT_KINDS)('a $kind client that is not connected', (factory) => {
  it('is refused at once with STORE_UNAVAILABLE, and the limiter answers by its policy', async () => {
    const test = await factory.single({ url: inject('redisUrl') }).ready()
    const store = new RedisStore({ client: test.client, logger: false })
    const limiter = createRateLimiter({ store, prefix: uniquePrefix(), logger: false })
    expect((await limiter.consume('user:1', rule)).reason).toBeUndefined()
    test.close()
    await sleep(10)
    const started = performance.now()
    const error = await store.consume(storeRules(uniquePrefix()), 1).catch((e: unknown) => e)
    const decision = await limiter.consume('user:1', rule)
    expect(performance.now() - started).toBeLessThan(50) // no deadline set here: it must not wait at all
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect((error as Error).message).toMatch(/Redis is not connected \(client status: (end|closed)\)/)
    expect(decision).toMatchObject({ allowed: true, reason: 'store-unavailable', policy: 'local' })
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await expect(store.reset(['k'])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await limiter.close()
  })

  it('warns once at construction when the client keeps its offline queue, naming the option to set', () => {
    const logger = recordingLogger()
    const queueing = factory.single({ url: inject('redisUrl'), offlineQueue: true, lazy: true })
    const quiet = factory.single({ url: inject('redisUrl'), lazy: true })
    new RedisStore({ client: queueing.client, logger })
    new RedisStore({ client: quiet.client, logger })
    new RedisStore({ client: queueing.client, logger: false })
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatch(
      factory.library === 'ioredis' ? /enableOfflineQueue: false/ : /disableOfflineQueue: true/,
    )
    queueing.close()
    quiet.close()
  })
})

describe('a client of neither shape', () => {
  it.each([
    ['nothing', undefined],
    ['a plain object', {}],
    ['a node-redis-like object without isOpen', { evalSha: () => {}, eval: () => {} }],
    ['a string', 'redis://localhost'],
  ])('is refused at construction (%s), naming both libraries', (_, client) => {
    expect(() => new RedisStore({ client: client as never })).toThrow(RateLimitConfigError)
    expect(() => new RedisStore({ client: client as never })).toThrow(/ioredis .*node-redis/)
  })
})
