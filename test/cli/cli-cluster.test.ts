/**
 * The command line against a real Redis Cluster (3 masters + 3 replicas, started here): SCAN must
 * visit every master, and inspect/reset must reach the slot of the identity's hash tag.
 */
import type { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { uniquePrefix } from '../helpers.js'
import { clusterClient, clusterReady, type RedisCluster, startRedisCluster } from '../setup/redis-cluster.js'
import { cli, json } from './run-cli.js'

const rule = { name: 'Query.search', limit: 5, window: '1m' }
let cluster: RedisCluster
let client: Cluster
let limiter: RateLimiter
let prefix: string
let nodes: string

beforeAll(async () => {
  cluster = await startRedisCluster()
  client = await clusterReady(clusterClient(cluster.nodes))
  prefix = uniquePrefix('cli-cluster')
  nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')
  const store = new RedisStore({ client, logger: false })
  limiter = createRateLimiter({ store, prefix, logger: false, timeoutMs: 5_000 })
  // 300 identities: their hash tags spread over every master's slots.
  const seeded = []
  for (let i = 0; i < 300; i++) seeded.push(await limiter.consume(`user:${i}`, rule))
  seeded.push(await limiter.consume('user:7', rule))
  expect(seeded.filter((d) => !d.allowed || d.policy !== undefined).map((d) => d.reason)).toEqual([])
})

afterAll(async () => {
  await limiter?.close()
  client?.disconnect()
  await cluster?.stop()
})

describe('the command line on Redis Cluster', () => {
  it('counts the keys of every master with keys', async () => {
    const run = await cli(['keys', '--cluster', nodes, '--prefix', prefix, '--json'])
    expect(run.code).toBe(0)
    const report = json<{ nodes: number; keys: number; identities: { count: number } }>(run)
    expect(report.nodes).toBe(3)
    expect(report.keys).toBe(300)
    expect(report.identities.count).toBe(300)
  })

  it('inspects and resets one identity in its slot', async () => {
    const args = ['--cluster', nodes, '--prefix', prefix]
    const inspect = await cli([
      'inspect',
      'user:7',
      '--rule',
      rule.name,
      '--limit',
      '5',
      '--window',
      '1m',
      '--json',
      ...args,
    ])
    expect(json(inspect)).toMatchObject({ used: 2, remaining: 3 })
    const reset = await cli(['reset', 'user:7', '--yes', '--json', ...args])
    expect(json(reset)).toMatchObject({ deleted: 1 })
    expect((await limiter.peek('user:7', rule)).remaining).toBe(4)
  })

  it('tells the operator to use --cluster when --redis points at a cluster node', async () => {
    const [first] = cluster.nodes
    const run = await cli(['keys', '--redis', `redis://${first!.host}:${first!.port}`, '--prefix', prefix])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('is a Redis Cluster node: pass --cluster')
  })
})
