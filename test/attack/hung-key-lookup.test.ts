/**
 * The store has a deadline on every call (DESIGN §2.9: never hang) — the API-key lookup has none.
 * With the key registry on a Redis that hangs (SIGSTOP here; a blocked or overloaded server in
 * production; ioredis has no command timeout by default), every request that carries a
 * well-formed key waits forever inside `identify`, and each distinct key a client sends keeps one
 * pending lookup (and its request) in memory for as long as the hang lasts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createIdentify, createRedisApiKeys } from '../../src/index.js'
import { PrivateRedis, whenReady } from '../resilience/private-redis.js'

let redis: PrivateRedis
beforeAll(async () => {
  redis = await PrivateRedis.start()
})
afterAll(async () => {
  redis.resume()
  await redis.stop()
})

const settledWithin = <T>(pending: Promise<T>, ms: number) =>
  Promise.race([
    pending.then(
      () => 'settled',
      () => 'settled',
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('still waiting'), ms)),
  ])

describe('an API-key lookup on a hung registry', () => {
  it('does not hold the request forever: identify settles (by IP, or refused) within a deadline', async () => {
    const client = redis.client()
    await whenReady(client)
    const registry = createRedisApiKeys({ client })
    const { key } = await registry.issue('acme')
    const identify = createIdentify({ apiKeys: { lookup: registry.lookup, pattern: registry.pattern } })
    const socket = { remoteAddress: '203.0.113.9' }
    redis.suspend()
    try {
      const withKey = Promise.resolve(identify({ req: { headers: { 'x-api-key': key }, socket } }))
      // Well past the store's 200 ms deadline: a limiter must never hang a request for its own work.
      expect(await settledWithin(withKey, 2_000)).toBe('settled')
    } finally {
      redis.resume()
      client.disconnect()
    }
  })
})
