import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { cli, json } from './run-cli.js'

let client: Redis
let limiter: RateLimiter
let prefix: string

beforeAll(async () => {
  client = await ready(redisClient())
  prefix = uniquePrefix('cli-lease')
  limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    logger: false,
    timeoutMs: 5_000,
  })
  const held = [
    await limiter.acquire('user:1', { name: 'Mutation.export', max: 3 }),
    await limiter.acquire('user:1', { name: 'Mutation.export', max: 3 }),
    await limiter.acquire('user:1', { name: 'Subscription.feed', max: 3 }),
  ]
  await held[2]!.release()
  await limiter.consume('user:1', { name: 'Query.search', limit: 5, window: '1m' })
  expect(held.every((d) => d.allowed && d.policy === undefined)).toBe(true)
})

afterAll(async () => {
  await limiter.close()
  client.disconnect()
})

describe('inspect with concurrency limits', () => {
  it("lists an identity's open leases per name beside its rate budgets", async () => {
    const run = await cli(['inspect', 'user:1', '--redis', inject('redisUrl'), '--prefix', prefix])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/Mutation\.export\s+concurrency\s+2 lease\(s\) open/)
    expect(run.stdout).toMatch(/Query\.search\s+sliding-log\s+1 request\(s\) logged/)
    expect(run.stdout).not.toContain('Subscription.feed') // released: its key is gone
    const report = json<{
      keys: Array<{ rule: string; algorithm: string; entries: number; expiresInMs: number }>
    }>(await cli(['inspect', 'user:1', '--json', '--redis', inject('redisUrl'), '--prefix', prefix]))
    const leases = report.keys.find((k) => k.algorithm === 'concurrency')
    expect(leases).toMatchObject({ rule: 'Mutation.export', entries: 2 })
    expect(leases!.expiresInMs).toBeGreaterThan(20_000) // the longest lease: 60 s, minus a slow command line
  })
})
