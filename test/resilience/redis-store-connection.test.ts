/**
 * RedisStore and the client's connection: a construction warning for a client that would queue
 * commands for a dead server, and no waiting at all on a client that is not connected.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net'
import { Redis, type RedisOptions } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import { createRateLimiter, RedisStore, StoreError } from '../../src/index.js'
import { MetricsRecorder } from '../../src/metrics/recorder.js'
import { ready, uniquePrefix } from '../helpers.js'
import { recordingLogger } from './switchable-store.js'

const rule = { name: 'Query.search', limit: 3, window: '1m' }

function client(options: RedisOptions = {}): Redis {
  const redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 1, ...options })
  redis.on('error', () => {})
  return redis
}

describe('the construction warning', () => {
  it('warns once, through the logger, when the client keeps ioredis’ default offline queue', () => {
    const redis = client({ lazyConnect: true })
    const logger = recordingLogger()
    new RedisStore({ client: redis, logger })
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatch(/enableOfflineQueue: false/)
    redis.disconnect()
  })

  it('stays quiet for a client created with enableOfflineQueue: false, or when the logger is false', () => {
    const quiet = client({ lazyConnect: true, enableOfflineQueue: false })
    const logger = recordingLogger()
    new RedisStore({ client: quiet, logger })
    const queueing = client({ lazyConnect: true })
    new RedisStore({ client: queueing, logger: false })
    expect(logger.lines).toEqual([])
    quiet.disconnect()
    queueing.disconnect()
  })
})

describe('a client that is not connected', () => {
  it('is refused by the store at once with STORE_UNAVAILABLE naming the client status', async () => {
    const redis = await ready(client())
    const store = new RedisStore({ client: redis, logger: false })
    const ended = new Promise((resolve) => redis.once('end', resolve))
    redis.disconnect()
    await ended
    const rules = [
      { key: `${uniquePrefix()}{user:1}:r`, algorithm: 'sliding-log' as const, limit: 1, windowMs: 1000 },
    ]
    const started = performance.now()
    const error = await store.consume(rules, 1).catch((e: unknown) => e)
    expect(performance.now() - started).toBeLessThan(50) // no deadline set here: it must not wait at all
    expect(error).toBeInstanceOf(StoreError)
    expect(error).toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect((error as Error).message).toMatch(/client status: end/)
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
    await expect(store.consumeMany([{ rules, cost: 1 }])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' })
  })

  it('is answered by the policy at once by the limiter, and the client keeps only its own listeners', async () => {
    const redis = await ready(client({ enableOfflineQueue: false }))
    const listeners = redis.listenerCount('error')
    const limiter = createRateLimiter({
      store: new RedisStore({ client: redis, logger: false }),
      prefix: uniquePrefix(),
      logger: false,
    })
    expect((await limiter.consume('user:1', rule)).reason).toBeUndefined()
    redis.disconnect()
    const started = performance.now()
    const decision = await limiter.consume('user:1', rule)
    expect(performance.now() - started).toBeLessThan(50) // no deadline set here: it must not wait at all
    expect(decision).toMatchObject({ allowed: true, reason: 'store-unavailable', policy: 'local' })
    expect(redis.listenerCount('error')).toBe(listeners)
    await limiter.close()
  })
})

/** A TCP server that accepts connections and never answers: an ioredis client stays in `connect`. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  }
}

/** A loopback port nobody listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const { port, close } = await silentServer()
  await close()
  return port
}

/** A limiter on `redis` with metrics; resolves the decision of one check and the error counts. */
async function checkWhileNotReady(redis: Redis, timeoutMs = 200) {
  const limiter = createRateLimiter({
    store: new RedisStore({ client: redis, logger: false }),
    prefix: uniquePrefix(),
    logger: false,
    circuitBreaker: false,
    timeoutMs,
  })
  const recorder = new MetricsRecorder(limiter)
  const errors: Error[] = []
  limiter.on('store-error', (event) => errors.push(event.error))
  const status = redis.status
  const started = performance.now()
  const decision = await limiter.consume('user:1', rule)
  const waitedMs = performance.now() - started
  await limiter.close()
  return { status, decision, waitedMs, errors, storeErrors: Object.fromEntries(recorder.storeErrors) }
}

describe('a client that is not ready, in each ioredis state', () => {
  it("counts a lazyConnect client that never connected ('wait') as STORE_UNAVAILABLE, and the check starts its connection", async () => {
    const redis = client({ lazyConnect: true, enableOfflineQueue: false })
    const { status, decision, errors, storeErrors } = await checkWhileNotReady(redis)
    expect(status).toBe('wait')
    expect(decision).toMatchObject({ allowed: true, reason: 'store-unavailable', policy: 'local' })
    expect(errors[0]).toBeInstanceOf(StoreError)
    expect(errors[0]).toMatchObject({ code: 'STORE_UNAVAILABLE' })
    expect(errors[0]!.message).toMatch(/not connected \(client status: connecting\)/)
    expect(storeErrors).toEqual({ STORE_TIMEOUT: 0, STORE_UNAVAILABLE: 1, other: 0 })
    await ready(redis) // the failed check made ioredis connect, as a lazy client does on its first command
    redis.disconnect()
  })

  it("fails at once while the client is 'connecting' without an offline queue, counted as STORE_UNAVAILABLE", async () => {
    const redis = client({ enableOfflineQueue: false })
    const { status, decision, waitedMs, storeErrors } = await checkWhileNotReady(redis)
    expect(status).toBe('connecting')
    expect(decision).toMatchObject({ reason: 'store-unavailable', policy: 'local' })
    expect(waitedMs).toBeLessThan(50)
    expect(storeErrors).toEqual({ STORE_TIMEOUT: 0, STORE_UNAVAILABLE: 1, other: 0 })
    redis.disconnect()
  })

  it("lets a check wait in the offline queue of a client 'connecting' with one, as documented", async () => {
    const redis = client({ enableOfflineQueue: true })
    const { status, decision, storeErrors } = await checkWhileNotReady(redis, 5_000)
    expect(status).toBe('connecting')
    expect(decision.reason).toBeUndefined() // answered by Redis once connected, within the deadline
    expect(storeErrors).toEqual({ STORE_TIMEOUT: 0, STORE_UNAVAILABLE: 0, other: 0 })
    redis.disconnect()
  })

  it("fails at once while the client is 'connect' (connected, its ready check unanswered)", async () => {
    const server = await silentServer()
    const redis = new Redis({
      host: '127.0.0.1',
      port: server.port,
      enableOfflineQueue: false,
      lazyConnect: true,
    })
    redis.on('error', () => {})
    redis.connect().catch(() => {})
    await new Promise((resolve) => redis.once('connect', resolve))
    const { status, waitedMs, storeErrors } = await checkWhileNotReady(redis)
    expect(status).toBe('connect')
    expect(waitedMs).toBeLessThan(50)
    expect(storeErrors).toEqual({ STORE_TIMEOUT: 0, STORE_UNAVAILABLE: 1, other: 0 })
    redis.disconnect()
    await server.close()
  })

  it("fails at once while the client is 'reconnecting' to a Redis that refuses connections", async () => {
    const redis = new Redis({
      host: '127.0.0.1',
      port: await closedPort(),
      enableOfflineQueue: false,
      retryStrategy: () => 10_000,
    })
    redis.on('error', () => {})
    await new Promise((resolve) => redis.once('reconnecting', resolve))
    const { status, waitedMs, storeErrors } = await checkWhileNotReady(redis)
    expect(status).toBe('reconnecting')
    expect(waitedMs).toBeLessThan(50)
    expect(storeErrors).toEqual({ STORE_TIMEOUT: 0, STORE_UNAVAILABLE: 1, other: 0 })
    redis.disconnect()
  })
})
