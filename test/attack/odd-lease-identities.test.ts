/**
 * Hostile identity strings on Redis leases: braces that would move the Cluster hash tag, 100 000
 * characters, control characters, the `h:` prefix of hashed identities, astral characters. Each
 * identity gets its own `max` slots, no key grows with what the client sent, and no key is left
 * once every lease is released.
 */
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import { digest } from '../../src/keys.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

const identities = [
  '{victim}',
  'a}b{c',
  '{}',
  'x'.repeat(100_000),
  '\u0000\r\nSET x 1',
  `h:${digest('x'.repeat(100_000))}`, // what the long identity is hashed to
  'user:😈',
  ' ',
]

describe('odd identities on Redis leases', () => {
  it('each holds its own slots, under keys of bounded length, all gone once released', async () => {
    const prefix = uniquePrefix('odd-lease')
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix,
      logger: false,
    })
    const limit = { name: 'job', max: 1 }
    const held = await Promise.all(identities.map((identity) => limiter.acquire(identity, limit)))
    expect(held.map((d) => d.allowed && d.policy === undefined)).toEqual(identities.map(() => true))
    const again = await Promise.all(identities.map((identity) => limiter.acquire(identity, limit)))
    expect(again.map((d) => d.allowed)).toEqual(identities.map(() => false))
    const keys = await client.keys(`${prefix}*`)
    expect(keys).toHaveLength(identities.length)
    for (const key of keys) expect(key.length).toBeLessThan(prefix.length + 40)
    await Promise.all(held.map((d) => d.release()))
    expect(await client.keys(`${prefix}*`)).toEqual([])
    await limiter.close()
  })
})
