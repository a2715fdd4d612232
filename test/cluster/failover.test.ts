/**
 * Redis Cluster failovers, on clusters this file owns (skipped with REDIS_CLUSTER_NODES: the
 * tests kill and demote nodes). A graceful `CLUSTER FAILOVER` and a killed master whose replica is
 * promoted: each policy answers while the shard is gone, no call waits past the deadline, and the
 * limiter returns to Redis by itself once the new master serves the slots. Run through every
 * supported cluster client (ioredis 5/6, node-redis 5/6), each on a fresh cluster, since a killed
 * master leaves its shard without a replica.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createRateLimiter, RedisStore } from '../../src/index.js'
import type { RateLimiter } from '../../src/limiter.js'
import type { RateLimitDecision, StoreErrorPolicy } from '../../src/types.js'
import { uniquePrefix } from '../helpers.js'
import {
  recordingLogger,
  sleep,
  waitUntil,
  watchUnhandledRejections,
} from '../resilience/switchable-store.js'
import { CLIENT_KINDS, type TestClient } from '../setup/redis-clients.js'
import {
  masters,
  nodeClient,
  type RedisCluster,
  replicaOf,
  replication,
  startRedisCluster,
  waitForReplicas,
} from '../setup/redis-cluster.js'

const DEADLINE_MS = 100
const external = Boolean(process.env.REDIS_CLUSTER_NODES)

let cluster: RedisCluster
let client: TestClient
let watcher: ReturnType<typeof watchUnhandledRejections>

function build(onStoreError: StoreErrorPolicy, prefix: string) {
  const logger = recordingLogger()
  const states: string[] = []
  const limiter = createRateLimiter({
    store: new RedisStore({ client: client.client, logger: false }),
    prefix,
    timeoutMs: DEADLINE_MS,
    circuitBreaker: { failureThreshold: 3, probeIntervalMs: 25 },
    onStoreError,
    logger,
  })
  limiter.on('store-state', (event) => states.push(event.state))
  return { limiter, logger, states }
}

/** A live node other than `avoid`, to ask about the cluster. */
function anyNodeBut(avoid: number) {
  return cluster.nodes.find((node) => node.port !== avoid)!
}

/** The port of the master serving this identity's keys. */
async function masterOf(limiter: RateLimiter, identity: string, rule: object, via = cluster.nodes[0]!) {
  const node = nodeClient(via)
  const slot = Number(await node.call('CLUSTER', 'KEYSLOT', limiter.keys(identity, rule as never)[0]!))
  node.disconnect()
  const owner = (await masters(via)).find((m) =>
    m.slots.some((range) => {
      const [from, to = from] = range.split('-').map(Number)
      return slot >= from! && slot <= to!
    }),
  )
  return owner!.port
}

async function isMaster(port: number): Promise<boolean> {
  return (await replication({ host: '127.0.0.1', port }).catch(() => ({ role: '' }))).role === 'master'
}

describe.skipIf(external).each(CLIENT_KINDS)('Redis Cluster failover through $kind', (factory) => {
  beforeAll(async () => {
    watcher = watchUnhandledRejections()
    cluster = await startRedisCluster()
    client = await factory.cluster(cluster.nodes).ready(10_000)
  })

  afterAll(async () => {
    client?.close()
    await cluster?.stop()
    watcher?.stop()
    expect(watcher.seen).toEqual([])
  })

  it('survives a graceful CLUSTER FAILOVER with the recorded usage intact', async () => {
    const rule = { name: 'Query.search', limit: 3, window: '1m' }
    const { limiter, states } = build('closed', uniquePrefix('failover'))
    // The first call may load the script; on a busy machine let it exceed the deadline once.
    await waitForRedisDecision(() => limiter.peek('user:graceful', rule), 2_000)
    expect((await limiter.consume('user:graceful', rule)).remaining).toBe(2)
    expect((await limiter.consume('user:graceful', rule)).remaining).toBe(1)
    const master = await masterOf(limiter, 'user:graceful', rule)
    const replica = await replicaOf(cluster.nodes[0]!, master)
    await waitForReplicas(cluster.nodes)
    const replicaClient = nodeClient({ host: '127.0.0.1', port: replica })
    await replicaClient.call('CLUSTER', 'FAILOVER')
    replicaClient.disconnect()
    const during: RateLimitDecision[] = []
    await waitUntil(async () => {
      const started = performance.now()
      during.push(await limiter.peek('user:graceful', rule))
      expect(performance.now() - started).toBeLessThan(DEADLINE_MS + 100)
      return isMaster(replica)
    }, 10_000)
    expect(during.every((d) => d.reason === undefined || d.policy === 'closed')).toBe(true)
    const after = await waitForRedisDecision(() => limiter.consume('user:graceful', rule), 1_000)
    expect(after).toMatchObject({ allowed: true, remaining: 0 })
    expect(await limiter.consume('user:graceful', rule)).toMatchObject({ allowed: false, reason: 'limited' })
    expect(states.length % 2).toBe(0)
    await limiter.close()
  })

  it('survives a killed master per policy and returns to Redis by itself once its replica is promoted', async () => {
    const rule = { name: 'Mutation.vote', limit: 3, window: '1m' }
    const prefix = uniquePrefix('failover')
    const limiters = Object.fromEntries(
      (['local', 'open', 'closed'] as const).map((policy) => [policy, build(policy, prefix)]),
    ) as Record<StoreErrorPolicy, ReturnType<typeof build>>
    const identity = 'user:victim'
    const master = await masterOf(limiters.local.limiter, identity, rule)
    const replica = await replicaOf(cluster.nodes[0]!, master)
    await waitForReplicas(cluster.nodes)

    const decisions: Record<StoreErrorPolicy, RateLimitDecision[]> = { local: [], open: [], closed: [] }
    let slowest = 0
    const killedAt = performance.now()
    cluster.servers.get(master)!.process.kill('SIGKILL')
    let promotedAt = 0
    let recoveredAt = 0
    // node-redis 5 looks the topology up again only on a MOVED reply, which a dead master never
    // sends: it keeps routing the shard's slots to it (README, "Redis Cluster"). The limiter must
    // still answer every call by policy at once; watch it for two seconds past the promotion.
    const stuck = factory.kind === 'node-redis 5'
    while (performance.now() - killedAt < 15_000) {
      if (stuck && promotedAt && performance.now() - promotedAt > 2_000) break
      for (const policy of ['local', 'open', 'closed'] as const) {
        const started = performance.now()
        decisions[policy].push(await limiters[policy].limiter.peek(identity, rule))
        slowest = Math.max(slowest, performance.now() - started)
      }
      if (!promotedAt && (await isMaster(replica))) promotedAt = performance.now()
      const last = (['local', 'open', 'closed'] as const).map((p) => decisions[p].at(-1)!)
      if (promotedAt && last.every((d) => d.reason === undefined)) {
        recoveredAt = performance.now()
        break
      }
      await sleep(10)
    }
    expect(promotedAt).toBeGreaterThan(0)
    if (stuck && recoveredAt === 0) {
      expect(slowest).toBeLessThan(DEADLINE_MS + 150)
      // Answered by policy: the breaker is open, or half-open while its probe fails.
      for (const policy of ['local', 'open', 'closed'] as const) {
        const last = decisions[policy].at(-1)!
        expect(last.policy).toBe(policy)
        expect(['circuit-open', 'store-unavailable']).toContain(last.reason)
      }
      console.info(
        `[figures] ${factory.kind}: cluster master killed: replica promoted after ${(promotedAt - killedAt).toFixed(0)} ms; still answered by policy 2 s later (no MOVED, no rediscovery); slowest call ${slowest.toFixed(0)} ms`,
      )
      await Promise.all(Object.values(limiters).map(({ limiter }) => limiter.close()))
      return
    }
    expect(recoveredAt).toBeGreaterThan(0)
    console.info(
      `[figures] ${factory.kind}: cluster master killed: replica promoted after ${(promotedAt - killedAt).toFixed(0)} ms; all limiters back on Redis ${(recoveredAt - promotedAt).toFixed(0)} ms after the promotion was visible; slowest call ${slowest.toFixed(0)} ms (deadline ${DEADLINE_MS})`,
    )
    expect(recoveredAt - promotedAt).toBeLessThan(1_000)
    expect(slowest).toBeLessThan(DEADLINE_MS + 150) // the margin absorbs a busy event loop (six redis-servers on two cores)
    const degraded = (policy: StoreErrorPolicy) => decisions[policy].filter((d) => d.reason !== undefined)
    expect(degraded('open').length).toBeGreaterThan(0)
    expect(degraded('open').every((d) => d.allowed && d.policy === 'open')).toBe(true)
    expect(degraded('closed').every((d) => !d.allowed && d.policy === 'closed')).toBe(true)
    expect(degraded('local').every((d) => d.allowed && d.policy === 'local')).toBe(true)
    for (const policy of ['local', 'open', 'closed'] as const) {
      const { limiter, logger, states } = limiters[policy]
      expect(limiter.storeState).toBe('up')
      // One log line per state change, never one per request.
      expect(logger.lines).toHaveLength(states.length)
      expect(states.at(-1) ?? 'up').toBe('up')
    }
    // Limiting works on the new master, shared by all three limiters.
    await limiters.local.limiter.consume(identity, rule)
    await limiters.open.limiter.consume(identity, rule)
    expect(await limiters.closed.limiter.consume(identity, rule)).toMatchObject({
      allowed: true,
      remaining: 0,
    })
    expect(await limiters.local.limiter.consume(identity, rule)).toMatchObject({
      allowed: false,
      reason: 'limited',
    })
    await Promise.all(Object.values(limiters).map(({ limiter }) => limiter.close()))
    await waitUntil(async () => (await isMaster(replica)) && (await masters(anyNodeBut(master))).length === 3)
  })
})

async function waitForRedisDecision(
  attempt: () => Promise<RateLimitDecision>,
  withinMs: number,
): Promise<RateLimitDecision> {
  const started = performance.now()
  for (;;) {
    const decision = await attempt()
    if (decision.reason === undefined || decision.reason === 'limited') return decision
    if (performance.now() - started > withinMs)
      throw new Error(`still answered by policy after ${withinMs} ms`)
    await sleep(10)
  }
}
