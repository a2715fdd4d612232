/**
 * A hung Redis (SIGSTOP), a dead one (SIGKILL) and its restart on the same port, through every
 * supported client: ioredis 5 and 6, node-redis 5 and 6. Whatever the library, no call waits past
 * the deadline (a dead Redis: no wait at all, also with the offline queue left on), the breaker
 * takes over, and the limiter is back on Redis within a second of Redis answering again, with the
 * script loaded again after the restart.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { RateLimiterOptions } from '../../src/engine/limiter-options.js'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import type { RateLimitDecision } from '../../src/types.js'
import { uniquePrefix } from '../helpers.js'
import { CLIENT_KINDS, type TestClient } from '../setup/redis-clients.js'
import { PrivateRedis } from './private-redis.js'
import { median, sleep, waitUntil, watchUnhandledRejections } from './switchable-store.js'

const DEADLINE_MS = 100
const MARGIN_MS = 100
const rule = { name: 'Query.search', limit: 3, window: '1m' }

let redis: PrivateRedis
let watcher: ReturnType<typeof watchUnhandledRejections>
const clients: TestClient[] = []

beforeAll(async () => {
  redis = await PrivateRedis.start()
})
afterAll(async () => {
  redis.resume()
  for (const client of clients) client.close()
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

function limiterOn(test: TestClient, options: RateLimiterOptions = {}, prefix = uniquePrefix('outage')) {
  return createRateLimiter({
    store: new RedisStore({ client: test.client, logger: false }),
    prefix,
    timeoutMs: DEADLINE_MS,
    circuitBreaker: { failureThreshold: 3, probeIntervalMs: 25 },
    logger: false,
    ...options,
  })
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const value = await work()
  return [value, performance.now() - started]
}

/** Retries with a new caller until Redis answers; returns that decision and the time it took. */
async function untilFromRedis(attempt: (n: number) => Promise<RateLimitDecision>, withinMs = 1_000) {
  const started = performance.now()
  for (let n = 0; ; n++) {
    const decision = await attempt(n)
    if (decision.reason === undefined || decision.reason === 'limited') {
      return { decision, ms: performance.now() - started, n }
    }
    if (performance.now() - started > withinMs)
      throw new Error(`still answered by policy after ${withinMs} ms`)
    await sleep(5)
  }
}

describe.each(CLIENT_KINDS)('an outage seen through $kind', (factory) => {
  let test: TestClient

  beforeAll(async () => {
    await redis.restart() // each library starts on a fresh server
    test = await factory.single({ port: redis.port }).ready()
    clients.push(test)
  })

  it('a hung Redis: every call answered by the deadline, then by the open breaker, then from Redis once it answers', async () => {
    const limiter = limiterOn(test)
    const listeners = test.errorListeners()
    await untilFromRedis(() => limiter.peek('user:warm', rule), 5_000) // script loaded while healthy
    redis.suspend()
    const waits: number[] = []
    for (let i = 0; i < 3; i++) {
      const [decision, ms] = await timed(() => limiter.consume('user:1', rule))
      expect(decision).toMatchObject({ allowed: true, reason: 'store-unavailable', policy: 'local' })
      waits.push(ms)
    }
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(DEADLINE_MS - 2)
    expect(Math.max(...waits)).toBeLessThan(DEADLINE_MS + MARGIN_MS)
    expect(limiter.storeState).toBe('down')
    const [open, fastMs] = await timed(() => limiter.consume('user:2', rule))
    expect(open.reason).toBe('circuit-open')
    expect(fastMs).toBeLessThan(5)
    await sleep(100) // probes time out while hung
    redis.resume()
    const back = await untilFromRedis((n) => limiter.consume(`user:back${n}`, rule))
    console.info(
      `[figures] ${factory.kind}: hung Redis resumed, decisions from Redis after ${back.ms.toFixed(0)} ms`,
    )
    expect(back.decision.allowed).toBe(true)
    expect(limiter.storeState).toBe('up')
    expect(test.errorListeners()).toBe(listeners)
    await limiter.close()
  })

  it('a dead Redis: answered at once by policy, then from Redis within a second of its restart, the script loaded again', async () => {
    const prefix = uniquePrefix('outage')
    const limiter = limiterOn(test, {}, prefix)
    await untilFromRedis(() => limiter.peek('user:warm', rule), 5_000)
    await redis.kill()
    await waitUntil(() => !test.isReady(), 5_000)
    const decisions: RateLimitDecision[] = []
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      const [decision, ms] = await timed(() => limiter.consume('ip:203.0.113.7', rule))
      decisions.push(decision)
      waits.push(ms)
    }
    expect(Math.max(...waits)).toBeLessThan(DEADLINE_MS / 2)
    expect(median(waits)).toBeLessThan(5)
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false])
    expect(decisions.map((d) => d.reason)).toEqual([
      'store-unavailable',
      'store-unavailable',
      'store-unavailable',
      'circuit-open',
      'circuit-open',
    ])

    await redis.restart()
    const fresh = { ...rule, limit: 2 }
    const back = await untilFromRedis((n) => limiter.consume(`user:back${n}`, fresh))
    console.info(
      `[figures] ${factory.kind}: killed Redis restarted, decisions from Redis after ${back.ms.toFixed(0)} ms`,
    )
    expect(back.decision).toMatchObject({ allowed: true, remaining: 1 })
    // The count lives in Redis again: a second client's limiter sees it.
    const other = await factory.single({ port: redis.port }).ready()
    clients.push(other)
    const peer = limiterOn(other, {}, prefix)
    const caller = `user:back${back.n}`
    expect(await peer.consume(caller, fresh)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await limiter.consume(caller, fresh)).toMatchObject({ allowed: false, reason: 'limited' })
    await Promise.all([limiter.close(), peer.close()])
  })

  it('a dead Redis and a client that keeps its offline queue: still no wait', async () => {
    const queueing = await factory
      .single({ port: redis.port, offlineQueue: true, retryDelayMs: 60_000 })
      .ready()
    clients.push(queueing)
    const limiter = limiterOn(queueing, { circuitBreaker: false })
    await untilFromRedis(() => limiter.peek('user:warm', rule), 5_000)
    await redis.kill()
    await waitUntil(() => !queueing.isReady(), 5_000)
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      const [decision, ms] = await timed(() => limiter.consume(`user:${i}`, rule))
      expect(decision.reason).toBe('store-unavailable')
      waits.push(ms)
    }
    expect(Math.max(...waits)).toBeLessThan(DEADLINE_MS / 2)
    await limiter.close()
    queueing.close()
    await redis.restart()
    await test.ready()
  })
})
