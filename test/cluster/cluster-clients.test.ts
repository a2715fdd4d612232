/**
 * The Redis store on a real Redis Cluster through every supported cluster client: ioredis 5 and 6
 * `Cluster`, node-redis 5 and 6 `createCluster()`. The whole store contract runs on each; then the
 * cluster-specific duties: several rules of one identity in one script without CROSSSLOT, batches
 * split by hash tag across masters, and the script re-sent after SCRIPT FLUSH on every master.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, createRedisApiKeys, RedisStore } from '../../src/index.js'
import { storeContract } from '../../src/testing/index.js'
import { sleep } from '../../src/testing/store-contract.js'
import { uniquePrefix } from '../helpers.js'
import { CLIENT_KINDS, type TestClient } from '../setup/redis-clients.js'
import { type RedisCluster, startRedisCluster } from '../setup/redis-cluster.js'

let cluster: RedisCluster

beforeAll(async () => {
  cluster = await startRedisCluster()
})
afterAll(async () => {
  await cluster?.stop()
})

const burst = { name: 'Query.search', limit: 3, window: '10s' }
const sustained = { name: 'Query.search', limit: 5, window: '1h', algorithm: 'sliding-window' as const }
const quota = { name: 'key-quota', limit: 4, window: '1d' }

describe.each(CLIENT_KINDS)('Redis Cluster through a $kind cluster client', (factory) => {
  let test: TestClient

  beforeAll(async () => {
    test = await factory.cluster(cluster.nodes).ready(10_000)
  })
  afterAll(() => test?.close())

  storeContract(`Redis Cluster through a ${factory.kind} cluster client`, async ({ prefix }) => {
    const limiter = createRateLimiter({
      store: new RedisStore({ client: test.client, logger: false }),
      prefix,
      logger: false,
      // The contract checks what the store answers; deadlines are test/resilience's. A 200 ms
      // one on a loaded machine lets the failure policy answer a slow first script call.
      timeoutMs: 5_000,
    })
    return { limiter, exactClock: false, advance: sleep, cleanup: () => limiter.close() }
  })

  function limiter() {
    return createRateLimiter({
      store: new RedisStore({ client: test.client, logger: false }),
      prefix: uniquePrefix('cluster-clients'),
      logger: false,
    })
  }

  it('checks several rules of one identity in one script, without CROSSSLOT, all or nothing', async () => {
    const rl = limiter()
    const rules = [burst, sustained, quota]
    const decisions = []
    for (let i = 0; i < 5; i++) decisions.push(await rl.consume('user:42', rules))
    expect(decisions.map((d) => [d.allowed, d.reason])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
      [false, 'limited'],
      [false, 'limited'],
    ])
    // The refused calls recorded nothing under the quota: one unit is left (a peek reports the
    // remaining after the call it previews).
    expect((await rl.peek('user:42', quota)).remaining).toBe(0)
    expect(await rl.consume('user:42', quota)).toMatchObject({ allowed: true, remaining: 0 })
    await rl.close()
  })

  it('answers a batch of identities that live on different masters, one script call per hash tag', async () => {
    const rl = limiter()
    const identities = Array.from({ length: 24 }, (_, i) => `user:${i}`)
    const decisions = await rl.consumeMany(
      identities.map((identity) => ({ identity, rules: [burst, quota] })),
    )
    expect(decisions.map((d) => d.reason)).toEqual(identities.map(() => undefined))
    expect(decisions.every((d) => d.remaining === 2)).toBe(true)
    // Concurrent single checks of many identities share a tick, and so a batch split by hash tag.
    const again = await Promise.all(identities.map((identity) => rl.consume(identity, burst)))
    expect(again.every((d) => d.allowed && d.remaining === 1)).toBe(true)
    await rl.close()
  })

  it('answers by policy at once while the cluster client is still connecting, then from Redis', async () => {
    const fresh = factory.cluster(cluster.nodes)
    const rl = createRateLimiter({
      store: new RedisStore({ client: fresh.client, logger: false }),
      prefix: uniquePrefix('cluster-connecting'),
      logger: false,
      circuitBreaker: false,
    })
    const errors: Error[] = []
    rl.on('store-error', (event) => errors.push(event.error))
    const started = performance.now()
    const early = await rl.consume('user:1', burst)
    expect(performance.now() - started).toBeLessThan(50)
    expect(early).toMatchObject({ allowed: true, reason: 'store-unavailable', policy: 'local' })
    // Refused by the store before anything was sent (not a failure inside the client).
    expect(errors.map((e) => e.message)).toEqual(['Redis is not connected (client status: connecting)'])
    await fresh.ready(10_000)
    expect((await rl.consume('user:1', burst)).reason).toBeUndefined()
    await rl.close()
    fresh.close()
  })

  it('survives SCRIPT FLUSH on every master, and reset deletes the keys of one identity', async () => {
    const rl = limiter()
    expect((await rl.consume('user:9', [burst, quota])).reason).toBeUndefined()
    await test.everyMaster(['SCRIPT', 'FLUSH'])
    expect(await rl.consume('user:9', [burst, quota])).toMatchObject({ allowed: true, remaining: 1 })
    await rl.reset('user:9', [burst, quota])
    const [key] = rl.keys('user:9', burst)
    expect(Number(await test.command(['EXISTS', key!], key))).toBe(0)
    await rl.close()
  })

  it('keeps the API-key registry on the cluster: every command and script touches one key', async () => {
    const keys = createRedisApiKeys({ client: test.client, prefix: uniquePrefix('cluster-keys') })
    const issued = await Promise.all(Array.from({ length: 6 }, () => keys.issue('acct_c', { ttlMs: 60_000 })))
    for (const { key } of issued) expect(await keys.lookup(key)).toEqual({ owner: 'acct_c' })
    expect(await keys.revoke(issued[0]!.key)).toBe(true)
    expect(await keys.revokeOwner('acct_c')).toBe(5)
    expect(await keys.lookup(issued[1]!.key)).toBeNull()
  })
})
