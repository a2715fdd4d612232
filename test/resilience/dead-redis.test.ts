/**
 * A dead Redis (SIGKILL), restarted on the same port, and a flushed script cache: each policy
 * answers at once while Redis is gone, and limiting resumes from Redis within a second of its return.
 */
import type { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { RateLimiterOptions } from '../../src/index.js'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import { uniquePrefix } from '../helpers.js'
import { PrivateRedis, whenReady } from './private-redis.js'
import { median, recordingLogger, sleep, waitUntil, watchUnhandledRejections } from './switchable-store.js'

const DEADLINE_MS = 100
const rule = { name: 'Query.search', limit: 3, window: '1m' }
const login = { name: 'Mutation.login', limit: 5, window: '15m', onStoreError: 'closed' as const }

let redis: PrivateRedis
let watcher: ReturnType<typeof watchUnhandledRejections>

beforeAll(async () => {
  redis = await PrivateRedis.start()
})
afterAll(async () => {
  await redis.stop()
})
beforeEach(() => {
  watcher = watchUnhandledRejections()
})
afterEach(async () => {
  await sleep(20)
  watcher.stop()
  expect(watcher.seen).toEqual([])
})

function limiterOn(client: Redis, options: RateLimiterOptions = {}, prefix = uniquePrefix('dead')) {
  return createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    timeoutMs: DEADLINE_MS,
    circuitBreaker: { failureThreshold: 3, probeIntervalMs: 25 },
    logger: false,
    ...options,
  })
}

async function untilDisconnected(client: Redis): Promise<void> {
  await waitUntil(() => client.status !== 'ready' && client.status !== 'connect', 5_000)
}

describe('a dead Redis (SIGKILL) and its restart on the same port', () => {
  let client: Redis
  let queueing: Redis

  beforeAll(async () => {
    client = redis.client()
    // A client with ioredis' default offline queue: the store must not let requests wait in it either.
    // It retries rarely, so it stays 'reconnecting' (the lost connection the store refuses at once)
    // rather than passing through 'connecting', where a queueing client is documented to wait.
    queueing = redis.client({
      enableOfflineQueue: true,
      maxRetriesPerRequest: 20,
      retryStrategy: () => 60_000,
    })
    await Promise.all([whenReady(client), whenReady(queueing)])
    await redis.kill()
    await Promise.all([untilDisconnected(client), untilDisconnected(queueing)])
  })

  it('answers at once by the local policy, keeping an abuser limited in this process', async () => {
    const limiter = limiterOn(client)
    const decisions = []
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      decisions.push(await limiter.consume('ip:203.0.113.7', rule))
      waits.push(performance.now() - started)
    }
    // Nobody waited for the 100 ms deadline (the bound is loose: the machine may be busy).
    expect(Math.max(...waits)).toBeLessThan(DEADLINE_MS / 2)
    expect(median(waits)).toBeLessThan(5)
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false])
    expect(decisions.every((d) => d.policy === 'local')).toBe(true)
    expect(decisions.map((d) => d.reason)).toEqual([
      'store-unavailable',
      'store-unavailable',
      'store-unavailable',
      'circuit-open',
      'circuit-open',
    ])
    expect((await limiter.consume('ip:198.51.100.2', rule)).allowed).toBe(true)
    await limiter.close()
  })

  it('fails fast even on a client that would queue commands offline (enableOfflineQueue left on) once it is reconnecting', async () => {
    const limiter = limiterOn(queueing, { circuitBreaker: false })
    const waits: number[] = []
    for (let i = 0; i < 5; i++) {
      const started = performance.now()
      // One caller each: every check is sent to the store (none is refused by local usage first).
      const decision = await limiter.consume(`user:${i}`, rule)
      expect(decision.reason).toBe('store-unavailable')
      waits.push(performance.now() - started)
    }
    expect(Math.max(...waits)).toBeLessThan(DEADLINE_MS / 2)
    expect(median(waits)).toBeLessThan(5)
    await limiter.close()
  })

  it("admits everything under 'open' and refuses everything under 'closed'", async () => {
    const open = limiterOn(client, { onStoreError: 'open' })
    const closed = limiterOn(client, { onStoreError: 'closed' })
    for (let i = 0; i < 5; i++) {
      expect(await open.consume('user:1', rule)).toMatchObject({ allowed: true, policy: 'open' })
      expect(await closed.consume('user:1', rule)).toMatchObject({
        allowed: false,
        policy: 'closed',
        remaining: 0,
      })
    }
    await Promise.all([open.close(), closed.close()])
  })

  it('fails a login rule closed while the rest of the limiter falls back locally', async () => {
    const limiter = limiterOn(client, { onStoreError: 'local' })
    expect(await limiter.consume('user:1', login)).toMatchObject({ allowed: false, policy: 'closed' })
    expect(await limiter.consume('user:1', rule)).toMatchObject({ allowed: true, policy: 'local' })
    await limiter.close()
  })

  it('resumes limiting from Redis within a second of its return, with the script loaded again', async () => {
    const prefix = uniquePrefix('dead')
    const logger = recordingLogger()
    const limiter = limiterOn(client, { logger }, prefix)
    for (let i = 0; i < 3; i++) await limiter.consume('user:1', rule)
    expect(limiter.storeState).toBe('down')
    await redis.restart()
    const back = performance.now()
    const fresh = { ...rule, limit: 2 }
    // A new caller per attempt: one admitted by the local policy meanwhile keeps that usage.
    let attempt = 0
    let first = await limiter.consume(`user:back${attempt}`, fresh)
    while (first.reason !== undefined) {
      expect(performance.now() - back).toBeLessThan(1_000)
      await sleep(5)
      first = await limiter.consume(`user:back${++attempt}`, fresh)
    }
    const recoveredMs = performance.now() - back
    console.info(
      `[figures] killed Redis restarted: decisions from Redis again after ${recoveredMs.toFixed(0)} ms`,
    )
    expect(recoveredMs).toBeLessThan(1_000)
    expect(first.allowed).toBe(true)
    // The count lives in Redis again: another client's limiter sees it.
    const other = redis.client()
    await whenReady(other)
    const peer = limiterOn(other, {}, prefix)
    const caller = `user:back${attempt}`
    expect(await peer.consume(caller, fresh)).toMatchObject({ allowed: true, remaining: 0 })
    expect(await limiter.consume(caller, fresh)).toMatchObject({ allowed: false, reason: 'limited' })
    expect(logger.lines).toEqual([expect.stringMatching(/is down/), expect.stringMatching(/recovered after/)])
    await Promise.all([limiter.close(), peer.close()])
  })

  it('never adds listeners to the client it was given', () => {
    // Each test client has exactly the one 'error' listener its test code added.
    expect(client.listenerCount('error')).toBe(1)
    expect(queueing.listenerCount('error')).toBe(1)
  })
})

describe('SCRIPT FLUSH', () => {
  it('is survived by consume, peek and consumeMany without a store error', async () => {
    const client = redis.client()
    await whenReady(client)
    const limiter = limiterOn(client)
    const errors: Error[] = []
    limiter.on('store-error', (event) => errors.push(event.error))
    const results = []
    for (let i = 0; i < 2; i++) {
      await client.script('FLUSH')
      results.push(await limiter.consume('user:1', rule))
      await client.script('FLUSH')
      results.push(await limiter.peek('user:1', rule))
    }
    await client.script('FLUSH')
    const many = await limiter.consumeMany([
      { identity: 'user:1', rules: rule },
      { identity: 'user:1', rules: rule },
    ])
    expect(results.map((d) => [d.allowed, d.remaining, d.reason])).toEqual([
      [true, 2, undefined],
      [true, 1, undefined],
      [true, 1, undefined],
      [true, 0, undefined],
    ])
    expect(many.map((d) => d.reason ?? 'ok')).toEqual(['ok', 'limited'])
    expect(errors).toEqual([])
    await limiter.close()
  })
})
