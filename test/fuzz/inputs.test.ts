/**
 * Property tests: whatever a caller passes as identity, rule name, window, limit and cost, on the
 * memory store and on Redis, the limiter either decides (store answered, keys bounded, one hash tag
 * per call) or throws a RateLimitConfigError naming the bad value. Never a crash, never another error.
 */
import fc from 'fast-check'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRateLimiter,
  MemoryStore,
  RateLimitConfigError,
  type RateLimitDecision,
  type RateLimiter,
  RedisStore,
} from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { SwitchableStore } from '../resilience/switchable-store.js'
import {
  count,
  durationString,
  hashTag,
  identity,
  isCount,
  ruleName,
  windowMsOf,
  windowValue,
} from './arbitraries.js'

/** Longest key: prefix (≤ 64) + `{` + tag (≤ 128) + `}:` + name (≤ 100) + `:` + 8-character digest. */
const MAX_KEY_LENGTH = 64 + 1 + 128 + 2 + 100 + 1 + 8
const companion = {
  name: 'fuzz:companion',
  limit: 1_000_000_000,
  window: '1d',
  algorithm: 'sliding-window' as const,
}

interface Input {
  identity: unknown
  name: string
  window: unknown
  limit: unknown
  cost: unknown
}

const input = fc.record({
  identity: fc.oneof({ arbitrary: identity, weight: 12 }, fc.constantFrom(null, undefined, 42, {})),
  name: ruleName,
  window: windowValue,
  limit: count,
  cost: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, count),
})

/** Which field the limiter must complain about, if any (identity, then rule fields, then cost). */
function expectedProblem(i: Input): RegExp | undefined {
  if (typeof i.identity !== 'string' || i.identity.length === 0) return /identity/
  if (i.name.length === 0 || i.name.length > 1000) return /`name`/
  if (!isCount(i.limit)) return /`limit`/
  if (windowMsOf(i.window) === undefined) return /`window`/
  if (i.cost !== undefined && !isCount(i.cost)) return /`cost`/
  return undefined
}

async function checkOne(limiter: RateLimiter, i: Input): Promise<void> {
  const rule = { name: i.name, limit: i.limit as number, window: i.window as string }
  const outcome: RateLimitDecision | Error = await limiter
    .consume(i.identity as string, [rule, companion], { cost: i.cost as number })
    .catch((error: Error) => error)
  const problem = expectedProblem(i)
  if (problem) {
    expect(outcome).toBeInstanceOf(RateLimitConfigError)
    expect((outcome as RateLimitConfigError).message).toMatch(problem)
    return
  }
  if (outcome instanceof Error) throw outcome
  // The store answered (no CROSSSLOT, no script error): no failure policy was involved.
  expect(outcome.policy).toBeUndefined()
  expect(typeof outcome.allowed).toBe('boolean')
  const cost = (i.cost as number | undefined) ?? 1
  if (cost > (i.limit as number)) expect(outcome.reason).toBe('cost-exceeds-limit')
  else expect(outcome.reason === undefined || outcome.reason === 'limited').toBe(true)
  const keys = limiter.keys(i.identity as string, [rule, companion])
  expect(new Set(keys.map(hashTag)).size).toBe(1)
  expect(hashTag(keys[0]!)).not.toBe(keys[0])
  for (const key of keys) expect(key.length).toBeLessThanOrEqual(MAX_KEY_LENGTH)
}

describe('fuzzed inputs on the memory store', () => {
  it('always decide or throw a RateLimitConfigError that names the bad value', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    await fc.assert(
      fc.asyncProperty(input, (i) => checkOne(limiter, i)),
      { numRuns: 500 },
    )
    await limiter.close()
  })

  it('parse every well-formed duration to the sum of its parts', () => {
    fc.assert(
      fc.property(durationString, ({ text, ms }) => {
        const limiter = createRateLimiter({ logger: false })
        const keys = () => limiter.keys('user:1', { limit: 1, window: text })
        if (ms > 0 && ms <= 366 * 86_400_000) expect(keys()).toHaveLength(1)
        else expect(keys).toThrow(/`window`/)
      }),
      { numRuns: 300 },
    )
  })
})

describe('fuzzed inputs on Redis', () => {
  let client: Redis
  const prefix = uniquePrefix('fuzz')

  beforeAll(async () => {
    client = await ready(redisClient())
  })

  afterAll(async () => {
    // Fuzzed windows go up to a year: remove the keys instead of leaving them to their TTL.
    let cursor = '0'
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await client.unlink(...keys)
    } while (cursor !== '0')
    client.disconnect()
  })

  it('always decide or throw a RateLimitConfigError that names the bad value', async () => {
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix,
      timeoutMs: 2_000,
      logger: false,
    })
    await fc.assert(
      fc.asyncProperty(input, (i) => checkOne(limiter, i)),
      { numRuns: 200 },
    )
    await limiter.close()
  })
})

describe('an attacker spraying unique identities', () => {
  it('cannot grow the memory store past maxKeys', async () => {
    const store = new MemoryStore({ maxKeys: 1_000, sweepIntervalMs: 0 })
    const limiter = createRateLimiter({ store, logger: false })
    const rules = [
      { name: 'Query.search', limit: 10, window: '1m' },
      { name: 'Query.search', limit: 100, window: '1h' },
    ]
    for (let i = 0; i < 20_000; i++) {
      await limiter.consume(`ip:${i}:${'x'.repeat(i % 50)}`, rules)
      if (i % 997 === 0) expect(store.size).toBeLessThanOrEqual(1_000)
    }
    expect(store.size).toBeLessThanOrEqual(1_000)
    await limiter.close()
  })

  it('cannot grow the local fallback past its maxKeys while the store is down', async () => {
    const store = new SwitchableStore()
    store.health = 'fail'
    const fallbackStore = new MemoryStore({ maxKeys: 500, sweepIntervalMs: 0 })
    const limiter = createRateLimiter({ store, fallbackStore, logger: false })
    const rule = { name: 'Mutation.signup', limit: 2, window: '1h' }
    for (let i = 0; i < 5_000; i++) {
      expect((await limiter.consume(`ip:198.18.${i >> 8}.${i & 255}`, rule)).policy).toBe('local')
    }
    expect(fallbackStore.size).toBeLessThanOrEqual(500)
    await limiter.close()
  })
})
