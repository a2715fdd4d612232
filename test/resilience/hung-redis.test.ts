/**
 * A hung Redis (SIGSTOP: connections open, nothing answered) and a slow one (DEBUG SLEEP): every
 * call is answered by the deadline, the breaker then answers in microseconds, and the limiter
 * returns to Redis by itself once Redis answers again.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { RateLimiterOptions } from '../../src/index.js'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import { uniquePrefix } from '../helpers.js'
import { PrivateRedis, whenReady } from './private-redis.js'
import { median, recordingLogger, sleep, watchUnhandledRejections } from './switchable-store.js'

const DEADLINE_MS = 100
const MARGIN_MS = 100
const rule = { name: 'Query.search', limit: 3, window: '1m' }

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

async function limiterOnRedis(options: RateLimiterOptions = {}) {
  const client = redis.client()
  await whenReady(client)
  const logger = recordingLogger()
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: uniquePrefix('hung'),
    timeoutMs: DEADLINE_MS,
    circuitBreaker: { failureThreshold: 3, probeIntervalMs: 25 },
    logger,
    ...options,
  })
  // Load the script while Redis is healthy (on a busy machine the first call may miss the deadline).
  while ((await limiter.peek('user:warm', rule)).reason !== undefined) await sleep(10)
  return { client, limiter, logger }
}

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now()
  const value = await work()
  return [value, performance.now() - started]
}

describe('a hung Redis (SIGSTOP)', () => {
  it('answers every call within the deadline plus a small margin, then in well under a millisecond once the breaker opens', async () => {
    const { client, limiter, logger } = await limiterOnRedis()
    const errorListeners = client.listenerCount('error')
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

    const fast: number[] = []
    for (let i = 0; i < 100; i++) {
      const [decision, ms] = await timed(() => limiter.consume('user:2', rule))
      expect(decision.reason).toBe('circuit-open')
      fast.push(ms)
    }
    const p50 = median(fast)
    console.info(
      `[figures] hung Redis: deadline ${DEADLINE_MS} ms, slowest wait ${Math.max(...waits).toFixed(1)} ms; breaker open p50 ${(p50 * 1000).toFixed(0)} µs, max ${Math.max(...fast).toFixed(2)} ms`,
    )
    expect(p50).toBeLessThan(1)
    expect(logger.lines).toHaveLength(1)
    expect(client.listenerCount('error')).toBe(errorListeners)
    await limiter.close()
  })

  it('answers many concurrent calls by the deadline when the breaker is disabled', async () => {
    const { limiter } = await limiterOnRedis({ circuitBreaker: false, onStoreError: 'open' })
    redis.suspend()
    const [decisions, ms] = await timed(() =>
      Promise.all(Array.from({ length: 50 }, (_, i) => limiter.consume(`user:${i}`, rule))),
    )
    expect(decisions.every((d) => d.allowed && d.policy === 'open' && d.reason === 'store-unavailable')).toBe(
      true,
    )
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS)
    await limiter.close()
  })

  it('returns to Redis by itself within a second of Redis answering again, logging the recovery once', async () => {
    const { limiter, logger } = await limiterOnRedis()
    const states: string[] = []
    limiter.on('store-state', (event) => states.push(event.state))
    redis.suspend()
    for (let i = 0; i < 3; i++) await limiter.consume('user:1', rule)
    expect(limiter.storeState).toBe('down')
    await sleep(200) // some probes time out while hung
    redis.resume()
    const [decision, ms] = await timed(async () => {
      for (;;) {
        const d = await limiter.consume('user:3', { ...rule, limit: 1000 })
        if (d.reason === undefined) return d
        await sleep(5)
      }
    })
    console.info(`[figures] hung Redis resumed: decisions from Redis again after ${ms.toFixed(0)} ms`)
    expect(decision.allowed).toBe(true)
    expect(ms).toBeLessThan(1_000)
    expect(states).toEqual(['down', 'up'])
    expect(logger.lines).toHaveLength(2)
    await limiter.close()
  })

  it('over-counts rather than under-counts: calls that timed out while hung are recorded when Redis resumes', async () => {
    const { limiter } = await limiterOnRedis({ circuitBreaker: false })
    redis.suspend()
    const during = await Promise.all([limiter.consume('user:late', rule), limiter.consume('user:late', rule)])
    expect(during.every((d) => d.reason === 'store-unavailable')).toBe(true)
    redis.resume()
    await sleep(50)
    const after = await limiter.consume('user:late', rule)
    expect(after.reason).toBeUndefined()
    // The two answered-by-policy calls reached Redis after all: only one unit of three is left.
    expect(after).toMatchObject({ allowed: true, remaining: 0 })
    await limiter.close()
  })
})

describe('a slow Redis (DEBUG SLEEP)', () => {
  it('answers by policy at the deadline while Redis is busy, and from Redis as soon as it is not', async () => {
    const { limiter } = await limiterOnRedis({ onStoreError: 'closed' })
    const admin = redis.client()
    await whenReady(admin)
    const sleeping = admin.call('DEBUG', 'SLEEP', '0.3')
    await sleep(10)
    const [slow, ms] = await timed(() => limiter.consume('user:1', rule))
    expect(slow).toMatchObject({ allowed: false, policy: 'closed', reason: 'store-unavailable' })
    expect(ms).toBeLessThan(DEADLINE_MS + MARGIN_MS)
    await sleeping
    const fine = await limiter.consume('user:1', rule)
    expect(fine.reason).toBeUndefined()
    expect(limiter.storeState).toBe('up')
    await limiter.close()
  })
})
