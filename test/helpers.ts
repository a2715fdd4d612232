import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, inject } from 'vitest'
import { createRateLimiter, type RateLimiter, type RedisClientLike, RedisStore } from '../src/index.js'

/** A unique key prefix per test, so tests never see each other's keys and nothing needs flushing. */
export function uniquePrefix(label = 't'): string {
  return `rrl-test:${label}:${randomUUID().slice(0, 8)}:`
}

/** A limiter on `client` under a fresh {@link uniquePrefix}, logging nothing: what most Redis tests start from. */
export function limiterOn(client: RedisClientLike, label: string): RateLimiter {
  return createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: uniquePrefix(label),
    logger: false,
  })
}

/** A client for the tests' Redis, created the way the README recommends. */
export function redisClient(): Redis {
  return new Redis(inject('redisUrl'), {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  })
}

/** Resolves once the client is ready. */
export async function ready(client: Redis): Promise<Redis> {
  if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve))
  return client
}

/** A clock for the memory store that tests move by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start
  const clock = () => now
  clock.advance = (ms: number) => {
    now += ms
  }
  clock.set = (ms: number) => {
    now = ms
  }
  return clock
}

/**
 * The limiters a test file opens, closed after each test: push every limiter a test creates.
 *
 * @example
 * const opened = closeAfterEach()
 * opened.push(createRateLimiter({ store: new MemoryStore() }))
 */
export function closeAfterEach(): RateLimiter[] {
  const opened: RateLimiter[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((limiter) => limiter.close()))
  })
  return opened
}
