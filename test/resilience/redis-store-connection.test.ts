/**
 * RedisStore and the client's connection: a construction warning for a client that would queue
 * commands for a dead server, and no waiting at all on a client that is not connected.
 */
import { Redis, type RedisOptions } from 'ioredis'
import { describe, expect, inject, it } from 'vitest'
import { createRateLimiter, RedisStore, StoreError } from '../../src/index.js'
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
