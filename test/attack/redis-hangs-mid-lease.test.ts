/**
 * A hostile network between the app and Redis: replies held back (Redis ran the command, its
 * answer is late) or every connection cut mid-call. Lease calls must answer within the deadline
 * by the failure policy, `release()` must neither hang nor reject, a lease Redis granted after
 * the deadline must be given back once its answer arrives, and a lease whose answer never
 * arrives must expire after `leaseMs`.
 */
import { connect, createServer, type Socket } from 'node:net'
import { Redis } from 'ioredis'
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

/** A TCP proxy to the tests' Redis that can hold replies back (`hang`) or cut every connection. */
async function startProxy() {
  const target = new URL(inject('redisUrl'))
  const sockets = new Set<Socket>()
  const held: Array<() => void> = []
  let hang = false
  const server = createServer((socket) => {
    const raw = connect(Number(target.port), target.hostname)
    sockets.add(socket).add(raw)
    socket.on('data', (data) => raw.write(data))
    raw.on('data', (data) => (hang ? held.push(() => socket.write(data)) : socket.write(data)))
    const close = () => {
      socket.destroy()
      raw.destroy()
    }
    socket.on('error', close).on('close', close)
    raw.on('error', close).on('close', close)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  return {
    url: `redis://127.0.0.1:${port}`,
    hang: () => {
      hang = true
    },
    resume: () => {
      hang = false
      for (const send of held.splice(0)) send()
    },
    cut: () => {
      for (const socket of sockets) socket.destroy()
    },
    close: () => {
      for (const socket of sockets) socket.destroy()
      return new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

let direct: Redis
beforeAll(async () => {
  direct = await ready(redisClient())
  return () => direct.disconnect()
})

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

async function setup() {
  const proxy = await startProxy()
  cleanup.push(proxy.close)
  const client = await ready(
    new Redis(proxy.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => 50 }),
  )
  client.on('error', () => {})
  cleanup.push(() => client.disconnect())
  const prefix = uniquePrefix('hang')
  const limiter: RateLimiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    timeoutMs: 100,
    onStoreError: 'closed',
    circuitBreaker: false,
    logger: false,
  })
  limiter.on('store-error', () => {})
  cleanup.push(() => limiter.close())
  const leases = () => direct.zcard(`${prefix}{u1}:job:lease`)
  // Loads the script (a first EVALSHA answered NOSCRIPT would be held back, and never retried).
  await (await limiter.acquire('warm-up', limit)).release()
  return { proxy, limiter, leases }
}

/** Long enough that a lease gone within the 500 ms checked below was released, not expired. */
const limit = { name: 'job', max: 1, leaseMs: 5_000 }
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function eventually(check: () => Promise<boolean>, withinMs: number) {
  const until = Date.now() + withinMs
  while (!(await check())) {
    if (Date.now() > until) return false
    await sleep(10)
  }
  return true
}

describe('a Redis whose replies hang mid-lease', () => {
  it('answers acquire by policy at the deadline and gives back the lease Redis granted once its reply arrives', async () => {
    const { proxy, limiter, leases } = await setup()
    proxy.hang()
    const started = Date.now()
    const decision = await limiter.acquire('u1', limit)
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(decision).toMatchObject({ allowed: false, reason: 'store-unavailable', policy: 'closed' })
    expect(await leases()).toBe(1) // Redis ran the script: a lease nobody holds
    proxy.resume()
    expect(await eventually(async () => (await leases()) === 0, 500)).toBe(true)
  })

  it('release() resolves within the deadline while Redis hangs, and the lease is gone once it answers', async () => {
    const { proxy, limiter, leases } = await setup()
    const held = await limiter.acquire('u1', limit)
    expect(held.held).toBe(true)
    proxy.hang()
    const started = Date.now()
    await expect(held.release()).resolves.toBeUndefined()
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(held.held).toBe(false)
    proxy.resume()
    expect(await eventually(async () => (await leases()) === 0, 500)).toBe(true)
  })

  it('a lease whose reply never arrives (connection cut) expires after leaseMs', async () => {
    const { proxy, limiter, leases } = await setup()
    proxy.hang()
    const pending = limiter.acquire('u1', { ...limit, leaseMs: 400 })
    await sleep(20)
    proxy.cut()
    expect(await pending).toMatchObject({ allowed: false, policy: 'closed' })
    expect(await leases()).toBe(1)
    expect(await eventually(async () => (await leases()) === 0, 1_000)).toBe(true)
  })
})
