/**
 * The Redis store on a real Redis Cluster (3 masters + 3 replicas, started here, not in the global
 * setup, so only cluster tests pay for it) through an ioredis `Cluster` client.
 */

import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import fc from 'fast-check'
import { Cluster, type Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import type { RateLimiter } from '../../src/limiter.js'
import { storeContract } from '../../src/testing/index.js'
import { sleep } from '../../src/testing/store-contract.js'
import { identity as fuzzIdentity } from '../fuzz/arbitraries.js'
import { uniquePrefix } from '../helpers.js'
import { recordingLogger } from '../resilience/switchable-store.js'
import {
  clusterClient,
  clusterReady,
  masters,
  nodeClient,
  type RedisCluster,
  startRedisCluster,
} from '../setup/redis-cluster.js'

const run = promisify(execFile)
let cluster: RedisCluster
let client: Cluster
let admin: Redis

beforeAll(async () => {
  cluster = await startRedisCluster()
  client = await clusterReady(clusterClient(cluster.nodes))
  admin = nodeClient(cluster.nodes[0]!)
})

afterAll(async () => {
  client?.disconnect()
  admin?.disconnect()
  await cluster?.stop()
})

// The shared store contract (src/testing/store-contract.ts) on the cluster without batching; the
// batched store runs it through every client library in cluster-clients.test.ts.
for (const batch of [false]) {
  storeContract(
    `Redis Cluster through an ioredis Cluster client${batch ? '' : ', without batching'}`,
    async ({ prefix }) => {
      const rl = createRateLimiter({
        store: new RedisStore({ client, logger: false, batch }),
        prefix,
        logger: false,
        // The contract checks what the store answers; deadlines are test/resilience's. A 200 ms
        // one on a loaded machine lets the failure policy answer a slow first script call.
        timeoutMs: 5_000,
      })
      return { limiter: rl, exactClock: false, advance: sleep, cleanup: () => rl.close() }
    },
  )
}

function limiter(prefix = uniquePrefix('cluster')): RateLimiter {
  return createRateLimiter({ store: new RedisStore({ client, logger: false }), prefix, logger: false })
}

const burst = { name: 'Query.search', limit: 3, window: '10s' }
const sustained = { name: 'Query.search', limit: 5, window: '1h', algorithm: 'sliding-window' as const }
const quota = { name: 'key-quota', limit: 4, window: '1d' }

async function keySlots(keys: readonly string[]): Promise<number[]> {
  return Promise.all(keys.map(async (key) => Number(await admin.call('CLUSTER', 'KEYSLOT', key))))
}

describe('Redis Cluster', () => {
  it('checks several rules of one identity in one script, without CROSSSLOT, all or nothing', async () => {
    const rl = limiter()
    const rules = [burst, sustained, quota]
    const keys = rl.keys('user:42', rules)
    expect(new Set(await keySlots(keys)).size).toBe(1)
    const decisions = []
    for (let i = 0; i < 5; i++) decisions.push(await rl.consume('user:42', rules))
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, false, false])
    expect(decisions.every((d) => d.reason === undefined || d.reason === 'limited')).toBe(true)
    expect(decisions[3]!.rule.name).toBe('Query.search')
    // The refused calls recorded nothing under the other rules.
    expect((await rl.peek('user:42', quota)).remaining).toBe(0)
    expect(await rl.consume('user:42', quota)).toMatchObject({ allowed: true, remaining: 0 })
    await rl.close()
  })

  it('runs consumeMany for one identity as one pipeline with the same answers as consume', async () => {
    const rl = limiter()
    const requests = [
      { identity: 'user:7', rules: burst },
      { identity: 'user:7', rules: [burst, quota] },
      { identity: 'user:7', rules: quota, cost: 2 },
      { identity: 'user:7', rules: quota },
      { identity: 'user:7', rules: [burst, quota] },
    ]
    const decisions = await rl.consumeMany(requests)
    expect(decisions.map((d) => [d.allowed, d.reason])).toEqual([
      [true, undefined],
      [true, undefined],
      [true, undefined],
      [true, undefined],
      [false, 'limited'],
    ])
    await rl.close()
  })

  it('answers consumeMany across identities that live on different masters', async () => {
    const rl = limiter()
    const identities = Array.from({ length: 12 }, (_, i) => `user:${i}`)
    const decisions = await rl.consumeMany(
      identities.map((identity) => ({ identity, rules: [burst, quota] })),
    )
    expect(decisions.map((d) => d.reason)).toEqual(identities.map(() => undefined))
    expect(decisions.every((d) => d.remaining === 2)).toBe(true)
    await rl.close()
  })

  it('spreads identities across all three masters', async () => {
    const prefix = uniquePrefix('spread')
    const rl = limiter(prefix)
    const identities = Array.from({ length: 300 }, (_, i) => `ip:10.0.${i >> 8}.${i & 255}`)
    await Promise.all(identities.map((identity) => rl.consume(identity, burst)))
    const perMaster = await Promise.all(
      (await masters(cluster.nodes[0]!)).map(async (master) => {
        const node = nodeClient({ host: '127.0.0.1', port: master.port })
        let cursor = '0'
        let found = 0
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
          cursor = next
          found += keys.length
        } while (cursor !== '0')
        node.disconnect()
        return found
      }),
    )
    expect(perMaster).toHaveLength(3)
    expect(perMaster.reduce((a, b) => a + b, 0)).toBe(300)
    // Uniform hashing puts ~100 on each; anything above 60 shows no master is starved.
    for (const count of perMaster) expect(count).toBeGreaterThan(60)
    await rl.close()
  })

  it('keeps every key of one identity on one slot, whatever the identity looks like', async () => {
    const rl = limiter()
    const identities = ['user:1', 'key:{evil}', `ip:${'9'.repeat(300)}`, 'user:\n\u0000x', 'ünïcødé:👀', '}{']
    for (const identity of identities) {
      const keys = rl.keys(identity, [burst, sustained, quota])
      expect(new Set(await keySlots(keys)).size).toBe(1)
      expect((await rl.consume(identity, [burst, sustained, quota])).reason).toBeUndefined()
    }
    await rl.close()
  })

  it('never hits CROSSSLOT with fuzzed identities and rule names (fast-check)', async () => {
    const rl = limiter()
    await fc.assert(
      fc.asyncProperty(
        fuzzIdentity.filter((id) => id.length > 0),
        fc.string({ minLength: 1, maxLength: 40 }),
        async (id, name) => {
          const rules = [
            { name, limit: 2, window: '10s' },
            { name, limit: 5, window: '1h', algorithm: 'sliding-window' as const },
            quota,
          ]
          const decision = await rl.consume(id, rules)
          expect(decision.policy).toBeUndefined()
          expect(new Set(await keySlots(rl.keys(id, rules))).size).toBe(1)
        },
      ),
      { numRuns: 100 },
    )
    await rl.close()
  })

  it('survives SCRIPT FLUSH on every master', async () => {
    const rl = limiter()
    expect((await rl.consume('user:9', burst)).reason).toBeUndefined()
    await Promise.all(client.nodes('master').map((node) => node.script('FLUSH')))
    expect(await rl.consume('user:9', burst)).toMatchObject({ allowed: true, remaining: 1 })
    await rl.close()
  })

  it('runs examples/redis-cluster.ts against this cluster', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/redis-cluster.ts'], {
      env: { ...process.env, REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',') },
      timeout: 20_000,
    })
    expect(stdout).toMatch(/search #5: allowed/)
    expect(stdout).toMatch(/search #6: refused, retry in \d+ ms limited/)
    expect(stdout).toMatch(/consumeMany: \[ false, true \]/)
  })

  it('warns at construction when the Cluster client keeps its offline queue', () => {
    const logger = recordingLogger()
    const queueing = new Cluster(cluster.nodes, { lazyConnect: true })
    new RedisStore({ client: queueing, logger })
    new RedisStore({ client, logger })
    expect(logger.lines).toHaveLength(1)
    expect(logger.lines[0]).toMatch(/enableOfflineQueue: false/)
    queueing.disconnect()
  })
})
