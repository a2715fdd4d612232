/**
 * A process that takes leases on the shared Redis and then waits to be killed (for the test that
 * a dead holder's leases come back after `leaseMs`). Started with `fork(..., { execArgv: ['--import',
 * 'tsx'] })`; receives `{ prefix, identity, name, max, leaseMs, count }`, replies `{ held }`.
 */
import { Redis } from 'ioredis'
import { createRateLimiter, RedisStore } from '../../src/index.js'

interface Order {
  prefix: string
  identity: string
  name: string
  max: number
  leaseMs: number
  count: number
}

const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: false, maxRetriesPerRequest: 1 })
client.on('error', () => {})

process.on('message', async (message) => {
  const order = message as Order
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: order.prefix,
    timeoutMs: 5_000,
    logger: false,
  })
  const limit = { name: order.name, max: order.max, leaseMs: order.leaseMs }
  let held = 0
  for (let i = 0; i < order.count; i++) {
    const decision = await limiter.acquire(order.identity, limit)
    if (decision.allowed && decision.policy === undefined) held++
  }
  process.send!({ held })
  // Holds (and renews) its leases until killed.
  setInterval(() => {}, 60_000)
})
client.once('ready', () => process.send!({ ready: true }))
