/**
 * How many requests one key gets across a Redis outage under `onStoreError: 'local'`, against a
 * real redis-server that hangs (SIGSTOP) or dies and restarts (SIGKILL). The bound the README
 * states: one app server admits at most `limit` per key and window, the outage included.
 */
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimitDecision, type RateLimiter, RedisStore } from '../../src/index.js'
import { uniquePrefix } from '../helpers.js'
import { PrivateRedis, whenReady } from './private-redis.js'
import { sleep, waitUntil, watchUnhandledRejections } from './switchable-store.js'

const DEADLINE_MS = 250 // generous: only the hung calls may miss it, even on a busy machine
const LIMIT = 10
const rule = { name: 'Query.search', limit: LIMIT, window: '1m' }

let redis: PrivateRedis
let watcher: ReturnType<typeof watchUnhandledRejections>

beforeAll(async () => {
  redis = await PrivateRedis.start()
})
afterAll(async () => {
  redis.resume()
  await redis.stop()
})
beforeEach(() => {
  watcher = watchUnhandledRejections()
})
afterEach(async () => {
  redis.resume()
  await sleep(20)
  watcher.stop()
  expect(watcher.seen).toEqual([])
})

async function limiterOnRedis(): Promise<{ client: Redis; limiter: RateLimiter }> {
  const client = redis.client()
  await whenReady(client)
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: uniquePrefix('outage'),
    timeoutMs: DEADLINE_MS,
    circuitBreaker: { failureThreshold: 3, probeIntervalMs: 25 },
    logger: false,
  })
  // Load the script while Redis is healthy (on a busy machine the first call may miss the deadline).
  while ((await limiter.peek('user:warm', rule)).reason !== undefined) await sleep(10)
  return { client, limiter }
}

/** Tallies what one caller was given, and by whom. */
function tally() {
  const seen: RateLimitDecision[] = []
  return {
    seen,
    add(decision: RateLimitDecision) {
      seen.push(decision)
      return decision
    },
    get admitted() {
      return seen.filter((d) => d.allowed).length
    },
    admittedBy(kind: 'store' | 'policy') {
      return seen.filter((d) => d.allowed && (kind === 'policy') === (d.policy !== undefined)).length
    },
  }
}

describe("one key across a Redis outage under onStoreError: 'local'", () => {
  it('admits at most `limit` in the window across a hang (SIGSTOP), the timed-out calls Redis applies later included', async () => {
    const { limiter } = await limiterOnRedis()
    const caller = tally()
    for (let i = 0; i < 4; i++) caller.add(await limiter.consume('user:1', rule))
    expect(caller.admittedBy('store')).toBe(4)

    redis.suspend()
    // The first three time out (Redis will apply them when it wakes up); then the breaker is open.
    for (let i = 0; i < 3; i++) {
      expect(caller.add(await limiter.consume('user:1', rule)).reason).toBe('store-unavailable')
    }
    expect(limiter.storeState).toBe('down')
    for (let i = 0; i < 10; i++) caller.add(await limiter.consume('user:1', rule))
    expect(caller.admittedBy('policy')).toBe(LIMIT - 4) // the local limiter knew of the 4 before

    redis.resume()
    await waitUntil(() => limiter.storeState === 'up')
    for (let i = 0; i < 15; i++) caller.add(await limiter.consume('user:1', rule))
    // Before the fix: 4 + 10 local + 3 more from Redis (which had applied the 3 timed-out calls) = 17.
    expect(caller.admitted).toBe(LIMIT)
    await limiter.close()
  })

  it('admits at most `limit` in the window across a kill and restart that lost every count (SIGKILL)', async () => {
    const { client, limiter } = await limiterOnRedis()
    const caller = tally()
    for (let i = 0; i < 4; i++) caller.add(await limiter.consume('user:1', rule))

    await redis.kill()
    await waitUntil(() => client.status !== 'ready')
    for (let i = 0; i < 15; i++) caller.add(await limiter.consume('user:1', rule))
    expect(caller.admittedBy('policy')).toBe(LIMIT - 4)

    await redis.restart()
    await whenReady(client)
    await waitUntil(() => limiter.storeState === 'up')
    for (let i = 0; i < 15; i++) caller.add(await limiter.consume('user:1', rule))
    // Before the fix: 4 + 10 local + 10 from the restarted, empty Redis = 24.
    expect(caller.admitted).toBe(LIMIT)
    await limiter.close()
  })
})
