/**
 * The limiter on Redis Cluster, configured to never hang: an ioredis `Cluster` without an offline
 * queue, a deadline on every store call, a circuit breaker, a local fallback by default and a
 * login rule that fails closed.
 *
 *   REDIS_CLUSTER_NODES=127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 npx tsx examples/redis-cluster.ts
 *
 * In your app, import from 'resolver-rate-limit' instead of '../src/index.js'.
 */
import { Cluster } from 'ioredis'
import { createRateLimiter, type RateLimitRule, RedisStore } from '../src/index.js'

const nodes = (process.env.REDIS_CLUSTER_NODES ?? '127.0.0.1:7000').split(',').map((entry) => {
  const [host = '127.0.0.1', port = '7000'] = entry.trim().split(':')
  return { host, port: Number(port) }
})

const cluster = new Cluster(nodes, {
  // Fail at once while disconnected instead of queueing commands for a dead node.
  enableOfflineQueue: false,
  // Follow failovers quickly; the limiter's deadline bounds every call anyway.
  retryDelayOnFailover: 100,
  retryDelayOnClusterDown: 100,
  clusterRetryStrategy: (times) => Math.min(100 * times, 1_000),
  redisOptions: { maxRetriesPerRequest: 1, connectTimeout: 1_000 },
})
// The application owns the client, so it listens for its errors (the limiter never does).
cluster.on('error', (error) => console.error('[redis]', error.message))

const limiter = createRateLimiter({
  store: new RedisStore({ client: cluster }),
  timeoutMs: 200, // every store call answers within 200 ms, or the policy answers
  onStoreError: 'local', // Redis down: an in-process limiter with the same rules, per app server
  circuitBreaker: { failureThreshold: 3, probeIntervalMs: 250 },
})
limiter.on('store-state', ({ state }) => console.log(`[limiter] Redis is ${state}`))

// All rules of one identity share a hash tag: one slot, one script, no CROSSSLOT.
const burst: RateLimitRule = { name: 'Query.search', limit: 5, window: '10s' }
const sustained: RateLimitRule = { name: 'Query.search', limit: 100, window: '1h' }
// Never let a Redis outage open the door to password guessing.
const login: RateLimitRule = { name: 'Mutation.login', limit: 5, window: '15m', onStoreError: 'closed' }

async function main(): Promise<void> {
  await new Promise((resolve) => cluster.once('ready', resolve))
  for (let i = 1; i <= 7; i++) {
    const d = await limiter.consume('user:42', [burst, sustained])
    console.log(
      `search #${i}: ${d.allowed ? 'allowed' : `refused, retry in ${d.retryAfterMs} ms`}`,
      d.reason ?? '',
    )
  }
  const attempt = await limiter.consume('ip:203.0.113.9', login)
  console.log(
    `login: ${attempt.allowed ? 'allowed' : 'refused'}`,
    attempt.policy ? `(policy ${attempt.policy})` : '',
  )
  // Several independent checks at once (what the GraphQL directive does): the store packs the checks
  // of one tick into script calls, one per hash tag (identity) on a Cluster.
  const many = await limiter.consumeMany([
    { identity: 'user:42', rules: burst },
    { identity: 'user:7', rules: burst },
  ])
  console.log(
    'consumeMany:',
    many.map((d) => d.allowed),
  )
  await limiter.reset('user:42', [burst, sustained])
  await limiter.close()
  cluster.disconnect()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
