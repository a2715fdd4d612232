/**
 * The command line where only node-redis is installed: `ioredis` does not resolve (a loader hook,
 * test/cli/without-ioredis.mjs), so it connects with node-redis, on a single node and on a Redis
 * Cluster; with neither client, it says what to install. The same commands, the same answers, the same errors as with ioredis (cli.test.ts,
 * cli-cluster.test.ts).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { uniquePrefix } from '../helpers.js'
import { clientKind, type TestClient } from '../setup/redis-clients.js'
import { type RedisCluster, startRedisCluster } from '../setup/redis-cluster.js'
import { freePort } from '../setup/redis-server.js'
import { cli, json, startupMs } from './run-cli.js'

const search = { name: 'Query.search', limit: 5, window: '1m' }
const create = { name: 'post.create', limit: 2000, window: '1h' } // above 1000: the counter
const rule = (r: { name: string; limit: number; window: string }) => [
  '--rule',
  r.name,
  '--limit',
  String(r.limit),
  '--window',
  r.window,
]
const node = (args: string[], env: Record<string, string> = {}) => cli(args, env, { withoutIoredis: true })

async function seeded(test: TestClient, prefix: string, calls: Array<[string, typeof search, number]>) {
  const limiter = createRateLimiter({
    store: new RedisStore({ client: test.client, logger: false }),
    prefix,
    logger: false,
    timeoutMs: 5_000,
  })
  const decisions = []
  for (const [identity, r, times] of calls)
    for (let i = 0; i < times; i++) decisions.push(await limiter.consume(identity, r))
  expect(decisions.every((d) => d.allowed && d.policy === undefined)).toBe(true) // recorded in Redis
  return limiter
}

describe('the command line with node-redis, on a single node', () => {
  let test: TestClient
  let limiter: RateLimiter
  const prefix = uniquePrefix('cli-node-redis')
  const at = () => ['--redis', inject('redisUrl'), '--prefix', prefix]

  beforeAll(async () => {
    test = await clientKind('node-redis 6')
      .single({ url: inject('redisUrl') })
      .ready()
    limiter = await seeded(test, prefix, [
      ['user:1', search, 3],
      ['user:1', create, 2],
      ['user:2', search, 1],
    ])
  })
  afterAll(async () => {
    await limiter.close()
    test.close()
  })

  it('inspects one budget through the engine, and every key of an identity', async () => {
    const budget = await node(['inspect', 'user:1', ...rule(search), '--json', ...at()])
    expect(budget.code, budget.stderr).toBe(0)
    expect(json(budget)).toMatchObject({ identity: 'user:1', used: 3, remaining: 2, exists: true })
    const keys = await node(['inspect', 'user:1', ...at()])
    expect(keys.stdout).toMatch(/Query\.search\s+sliding-log\s+3 request\(s\) logged/)
    expect(keys.stdout).toMatch(/post\.create\s+sliding-window\s+counter/)
  })

  it('lists rules and identities with SCAN', async () => {
    const run = await node(['keys', '--json', ...at()])
    expect(run.code, run.stderr).toBe(0)
    expect(json(run)).toMatchObject({ keys: 3, identities: { count: 2 } })
  })

  it('refuses a database the server does not have (exit 3), never falling back to database 0', async () => {
    const run = await node(['keys', '--redis', `${inject('redisUrl')}/99`, '--prefix', prefix])
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(/DB index is out of range/)
  })

  it('resets one identity and nothing else', async () => {
    const run = await node(['reset', 'user:1', '--yes', '--json', ...at()])
    expect(json(run)).toMatchObject({ identity: 'user:1', deleted: 2 })
    expect((await limiter.peek('user:1', search)).remaining).toBe(4)
    expect((await limiter.peek('user:2', search)).remaining).toBe(3)
  })

  it('exits with 3 within the timeout when Redis is unreachable, the password hidden', async () => {
    const port = await freePort()
    const startup = await startupMs({ withoutIoredis: true })
    const run = await node(['keys', '--timeout', '500'], {
      REDIS_URL: `redis://admin:s3cret@127.0.0.1:${port}`,
    })
    expect(run.code).toBe(3)
    expect(run.stderr).toMatch(new RegExp(`Cannot reach Redis at redis://\\S*127\\.0\\.0\\.1:${port}`))
    expect(run.stderr).not.toContain('s3cret')
    expect(run.ms - startup).toBeLessThan(3_000) // a 500 ms timeout, not retries
  })
})

describe('the command line with node-redis, on a Redis Cluster', () => {
  let cluster: RedisCluster
  let test: TestClient
  let limiter: RateLimiter
  const prefix = uniquePrefix('cli-node-redis-cluster')
  let nodes: string

  beforeAll(async () => {
    cluster = await startRedisCluster()
    nodes = cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')
    test = await clientKind('node-redis 6').cluster(cluster.nodes).ready(10_000)
    limiter = await seeded(
      test,
      prefix,
      Array.from(
        { length: 60 },
        (_, i) => [`user:${i}`, search, i === 7 ? 2 : 1] as [string, typeof search, number],
      ),
    )
  })
  afterAll(async () => {
    await limiter?.close()
    test?.close()
    await cluster?.stop()
  })

  it('counts the keys of every master', async () => {
    const run = await node(['keys', '--cluster', nodes, '--prefix', prefix, '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(json(run)).toMatchObject({ nodes: 3, keys: 60, identities: { count: 60 } })
  })

  it('inspects and resets one identity in its slot', async () => {
    const args = ['--cluster', nodes, '--prefix', prefix]
    const inspect = await node(['inspect', 'user:7', ...rule(search), '--json', ...args])
    expect(json(inspect)).toMatchObject({ used: 2, remaining: 3 })
    const reset = await node(['reset', 'user:7', '--yes', '--json', ...args])
    expect(json(reset)).toMatchObject({ deleted: 1 })
    expect((await limiter.peek('user:7', search)).remaining).toBe(4)
  })

  it('tells the operator to use --cluster when --redis points at a cluster node', async () => {
    const [first] = cluster.nodes
    const run = await node(['keys', '--redis', `redis://${first!.host}:${first!.port}`, '--prefix', prefix])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('is a Redis Cluster node: pass --cluster')
  })
})

describe('the command line without any Redis client', () => {
  it('exits with 1 and says what to install', async () => {
    const run = await node(['keys', '--redis', 'redis://127.0.0.1:1'], { RRL_TEST_MISSING: 'ioredis,redis' })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain(
      'The command line needs a Redis client: npm install ioredis (or npm install redis)',
    )
  })
})
