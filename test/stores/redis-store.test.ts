import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, RateLimitConfigError, RedisStore } from '../../src/index.js'
import type { RateLimiter } from '../../src/limiter.js'
import { storeContract } from '../../src/testing/index.js'
import { sleep } from '../../src/testing/store-contract.js'
import type { RateLimitRule } from '../../src/types.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

let client: Redis

beforeAll(async () => {
  client = await ready(redisClient())
})

afterAll(() => {
  client.disconnect()
})

storeContract('Redis store (real TIME)', async ({ prefix }) => {
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    logger: false,
    // The contract checks what the store answers; deadlines are test/resilience's. A 200 ms
    // one on a loaded machine lets the failure policy answer a slow first script call.
    timeoutMs: 5_000,
  })
  return { limiter, exactClock: false, advance: sleep, cleanup: () => limiter.close() }
})

storeContract('Redis store without batching', async ({ prefix }) => {
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false, batch: false }),
    prefix,
    logger: false,
    // The contract checks what the store answers; deadlines are test/resilience's. A 200 ms
    // one on a loaded machine lets the failure policy answer a slow first script call.
    timeoutMs: 5_000,
  })
  return { limiter, exactClock: false, advance: sleep, cleanup: () => limiter.close() }
})

function limiterFor(prefix = uniquePrefix('redis')): RateLimiter {
  return createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix, logger: false })
}

const log: RateLimitRule = { name: 'Query.search', limit: 10, window: '1m', algorithm: 'sliding-log' }
const counter: RateLimitRule = { name: 'Query.search', limit: 10, window: '1m', algorithm: 'sliding-window' }

describe('RedisStore keys', () => {
  it('gives every key it writes a TTL: the log lives as long as its newest entry, the counter two windows', async () => {
    const limiter = limiterFor()
    await limiter.consume('user:1', [log, counter], { cost: 2 })
    const [logKey, counterKey] = limiter.keys('user:1', [log, counter])
    const logTtl = await client.pttl(logKey!)
    const counterTtl = await client.pttl(counterKey!)
    expect(logTtl).toBeGreaterThan(59_000)
    expect(logTtl).toBeLessThanOrEqual(60_000)
    expect(counterTtl).toBeGreaterThan(60_000)
    expect(counterTtl).toBeLessThanOrEqual(120_000)
    await limiter.close()
  })

  it('writes nothing for a refused check: no key, no value change, no TTL refresh', async () => {
    const limiter = limiterFor()
    const [logKey] = limiter.keys('user:1', [log])
    expect((await limiter.consume('user:1', log, { cost: 11 })).reason).toBe('cost-exceeds-limit')
    expect(await client.exists(logKey!)).toBe(0)
    await limiter.consume('user:1', log, { cost: 10 })
    const value = await client.lrange(logKey!, 0, -1)
    const ttl = await client.pttl(logKey!)
    await sleep(20)
    expect((await limiter.consume('user:1', log)).allowed).toBe(false)
    expect(await client.lrange(logKey!, 0, -1)).toEqual(value)
    expect(await client.pttl(logKey!)).toBeLessThan(ttl)
    await limiter.close()
  })

  it('recovers after SCRIPT FLUSH: EVALSHA fails with NOSCRIPT, EVAL runs it and caches it again', async () => {
    const limiter = limiterFor()
    const rule = { name: 'flush', limit: 3, window: '1m' }
    await limiter.consume('user:1', rule)
    await client.script('FLUSH')
    const decisions = await Promise.all([limiter.consume('user:1', rule), limiter.consume('user:2', rule)])
    expect(decisions.map((d) => [d.allowed, d.reason, d.remaining])).toEqual([
      [true, undefined, 1],
      [true, undefined, 2],
    ])
    await client.script('FLUSH')
    expect(await limiter.peek('user:1', rule)).toMatchObject({ allowed: true, remaining: 0 })
    const [loaded] = (await client.script(
      'EXISTS',
      (
        await import('../../src/stores/redis-scripts.js')
      ).CONSUME_SCRIPT_SHA,
    )) as number[]
    expect(loaded).toBe(1)
    await limiter.close()
  })

  it.each([
    ['braces', 'user:{42}}{'],
    ['a 10 kB string', 'x'.repeat(10_000)],
    ['control characters', 'user:\u0000\r\n\t\u001b[31m'],
    ['unicode', 'user:ünïcødé-😀'],
    ['spaces', 'ip:1.2.3.4 extra'],
    ['something that looks hashed', 'h:abcdefghijklmnopqrstuv'],
  ])('hashes an identity with %s into a bounded key with exactly one hash tag', async (_, identity) => {
    const limiter = limiterFor()
    expect((await limiter.consume(identity, log)).allowed).toBe(true)
    const [key] = limiter.keys(identity, log)
    expect(key!.length).toBeLessThan(120)
    expect(key!.split('{')).toHaveLength(2)
    expect(key!.split('}')).toHaveLength(2)
    expect(key).toMatch(/^rrl-test:redis:[0-9a-f]{8}:\{h:[\w-]{22}\}:Query\.search:[\w-]{8}$/)
    expect(await client.exists(key!)).toBe(1)
    // A different odd identity is a different bucket.
    expect(limiter.keys(`${identity}!`, log)[0]).not.toBe(key)
    await limiter.close()
  })

  it('keeps readable identities readable, with the rule name and a digest of the rule in the key', () => {
    const limiter = limiterFor('rl:')
    const [key] = limiter.keys('user:42', log)
    expect(key).toMatch(/^rl:\{user:42\}:Query\.search:[\w-]{8}$/)
  })

  it('gives a changed limit, window or algorithm a different key, so no stale counter is inherited', () => {
    const limiter = limiterFor('rl:')
    const key = (rule: RateLimitRule) => limiter.keys('user:1', rule)[0]
    const keys = [
      log,
      counter,
      { ...log, limit: 11 },
      { ...log, window: '2m' },
      { ...log, window: 60_000 },
    ].map(key)
    expect(new Set(keys).size).toBe(4)
    expect(keys[4]).toBe(keys[0]) // '1m' and 60 000 ms are the same rule
    expect(key({ ...log, name: 'Query.other' })).toMatch(/^rl:\{user:1\}:Query\.other:/)
    expect(key({ ...log, name: 'a name with spaces {and braces}' })).toMatch(
      /^rl:\{user:1\}:h:[\w-]{16}:[\w-]{8}$/,
    )
  })
})

describe('RedisStore batching', () => {
  it('admits exactly `limit` of concurrent checks spread over many batches and identities', async () => {
    const limiter = limiterFor()
    const rule = { name: 'spread', limit: 7, window: '1m' }
    const identities = Array.from({ length: 20 }, (_, i) => `user:${i}`)
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, i) => limiter.consume(identities[i % 20]!, rule)),
    )
    for (const identity of identities) {
      expect(decisions.filter((d) => d.identity === identity && d.allowed)).toHaveLength(7)
    }
    await limiter.close()
  })

  it('settles every check of a batch when the script fails, and only that batch', async () => {
    const limiter = limiterFor()
    const good = { name: 'ok', limit: 5, window: '1m' }
    const [key] = limiter.keys('user:wrongtype', good)
    await client.set(key!, 'not a list')
    const answers = await Promise.all([
      limiter.consume('user:wrongtype', good),
      limiter.consume('user:fine', good),
    ])
    // A WRONGTYPE error fails the whole script call: both are answered by the failure policy.
    expect(answers.map((d) => d.reason)).toEqual(['store-unavailable', 'store-unavailable'])
    await client.del(key!)
    expect((await limiter.consume('user:fine', good)).reason).toBeUndefined()
    await limiter.close()
  })

  it('keeps the mode and cost of each check when one rule list is checked several ways in one script call', async () => {
    const store = new RedisStore({ client, logger: false })
    const prefix = uniquePrefix('spec')
    const rules = [
      { key: `${prefix}{u}:log`, algorithm: 'sliding-log' as const, limit: 5, windowMs: 60_000 },
      { key: `${prefix}{u}:counter`, algorithm: 'sliding-window' as const, limit: 5, windowMs: 60_000 },
    ]
    // Queued in one tick: one script call, four specs for the same rules.
    const [one, peeked, three, refused] = await Promise.all([
      store.consume(rules, 1),
      store.peek(rules, 1),
      store.consume(rules, 3),
      store.consume(rules, 2),
    ])
    expect(one.rules.map((r) => r.used)).toEqual([1, 1])
    expect([peeked.allowed, ...peeked.rules.map((r) => r.used)]).toEqual([true, 2, 2])
    expect(three.rules.map((r) => r.used)).toEqual([4, 4])
    expect([refused.allowed, ...refused.rules.map((r) => r.used)]).toEqual([false, 4, 4])
    expect((await store.peek(rules, 1)).rules.map((r) => r.used)).toEqual([5, 5])
    await client.del(rules[0]!.key, rules[1]!.key)
  })

  it('answers every request of a one-identity consumeMany by the failure policy when its script call fails', async () => {
    const limiter = limiterFor()
    const good = { name: 'ok', limit: 5, window: '1m' }
    const other = { name: 'other', limit: 5, window: '1m' }
    const [key] = limiter.keys('user:wrongtype', good)
    await client.set(key!, 'not a list')
    const decisions = await limiter.consumeMany([
      { identity: 'user:wrongtype', rules: other },
      { identity: 'user:wrongtype', rules: good },
      { identity: 'user:wrongtype', rules: other, cost: 2 },
    ])
    expect(decisions.map((d) => [d.allowed, d.reason, d.cost])).toEqual([
      [true, 'store-unavailable', 1],
      [true, 'store-unavailable', 1],
      [true, 'store-unavailable', 2],
    ])
    await client.del(key!)
    await limiter.close()
  })

  it('rejects a client that cannot run scripts and a non-boolean batch option', () => {
    expect(() => new RedisStore({ client: {} as never })).toThrow(RateLimitConfigError)
    expect(() => new RedisStore({ client, batch: 'yes' as never, logger: false })).toThrow(/`batch`/)
  })
})
