import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { type ConcurrencyDecision, createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { LEASE_SCRIPT_SHA } from '../../src/stores/redis-leases.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

const clients: Redis[] = []
const limiters: RateLimiter[] = []

beforeAll(async () => {
  for (let i = 0; i < 4; i++) clients.push(await ready(redisClient()))
})

afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()))
  for (const client of clients) client.disconnect()
})

function limiterOn(client: Redis, prefix: string): RateLimiter {
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    timeoutMs: 5_000,
    logger: false,
  })
  limiters.push(limiter)
  return limiter
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('RedisStore leases', () => {
  it('keeps leases in one sorted set per identity and name, hash-tagged, scored by expiry, with a TTL', async () => {
    const prefix = uniquePrefix('lease')
    const limiter = limiterOn(clients[0]!, prefix)
    const a = await limiter.acquire('user:1', { name: 'Mutation.export', max: 2, leaseMs: '30s' })
    await limiter.acquire('user:1', { name: 'Mutation.export', max: 2, leaseMs: '30s' })
    const key = `${prefix}{user:1}:Mutation.export:lease`
    const client = clients[0]!
    expect(await client.type(key)).toBe('zset')
    const [time] = await client.time()
    const scores = (await client.zrange(key, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1).map(Number)
    for (const score of scores) expect(Math.abs(score - (Number(time) * 1000 + 30_000))).toBeLessThan(2_000)
    const ttl = await client.pttl(key)
    expect(ttl).toBeGreaterThan(28_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
    await a.release()
    expect(await client.zcard(key)).toBe(1)
    expect(await limiter.acquire('user:1', { name: 'Mutation.export', max: 2 })).toMatchObject({
      allowed: true,
      active: 2,
      remaining: 0,
    })
    expect(await limiter.acquire('user:1', { name: 'Mutation.export', max: 2 })).toMatchObject({
      allowed: false,
      reason: 'limited',
      active: 2,
    })
  })

  it('sends one script call per acquire and per release, shared by the lease calls of one tick', async () => {
    const client = clients[1]!
    const limiter = limiterOn(client, uniquePrefix('lease'))
    const calls: string[][] = []
    const evalsha = client.evalsha.bind(client)
    client.evalsha = ((sha: string, ...rest: unknown[]) => {
      // ioredis: sha, number of keys, keys…, argv… (4 per check, the operation first).
      if (sha === LEASE_SCRIPT_SHA) {
        const keys = Number(rest[0])
        calls.push(rest.slice(1 + keys).filter((_, i) => i % 4 === 0) as string[])
      }
      return (evalsha as (...args: unknown[]) => unknown)(sha, ...rest)
    }) as typeof client.evalsha
    try {
      const held = await limiter.acquire('user:1', { name: 'one', max: 1 })
      await limiter.acquire('user:1', { name: 'one', max: 1 })
      await held.release()
      await held.release()
      const three = await Promise.all(['a', 'b', 'c'].map((u) => limiter.acquire(`user:${u}`, { max: 1 })))
      expect(three.every((d) => d.allowed)).toBe(true)
    } finally {
      client.evalsha = evalsha
    }
    expect(calls).toEqual([['acquire'], ['acquire'], ['release'], ['acquire', 'acquire', 'acquire']])
  })

  it('loads the script again after SCRIPT FLUSH (NOSCRIPT → EVAL)', async () => {
    const limiter = limiterOn(clients[2]!, uniquePrefix('lease'))
    await clients[2]!.script('FLUSH')
    expect((await limiter.acquire('user:1', { max: 1 })).allowed).toBe(true)
  })

  it('renews a held lease, so a live holder keeps its slot past leaseMs', async () => {
    const prefix = uniquePrefix('lease')
    const holder = limiterOn(clients[0]!, prefix)
    const other = limiterOn(clients[1]!, prefix)
    // Renewed every 100 ms: a loaded machine may stall the loop for a while, not for 200 ms.
    const limit = { name: 'stream', max: 1, leaseMs: 300 }
    const held = await holder.acquire('user:1', limit)
    await sleep(800)
    expect((await other.acquire('user:1', limit)).allowed).toBe(false)
    await held.release()
    expect((await other.acquire('user:1', limit)).allowed).toBe(true)
  })

  it('never lets 4 limiters with their own clients hold more than max leases of one identity', async () => {
    const prefix = uniquePrefix('lease')
    const group = clients.map((client) => limiterOn(client, prefix))
    const max = 3
    let open = 0
    let most = 0
    let admitted = 0
    const lane = async (limiter: RateLimiter) => {
      for (let i = 0; i < 25; i++) {
        const slot = await limiter.acquire('user:hot', { name: 'hot', max })
        if (!slot.allowed) continue
        admitted++
        open++
        most = Math.max(most, open)
        await sleep(Math.floor(Math.random() * 4))
        open--
        await slot.release()
      }
    }
    await Promise.all(group.flatMap((limiter) => [lane(limiter), lane(limiter), lane(limiter)]))
    expect(most).toBeLessThanOrEqual(max)
    expect(most).toBe(max) // the lanes really overlapped
    expect(admitted).toBeGreaterThan(max)
  })
})

describe('a killed process holding leases', () => {
  let child: ChildProcess | undefined
  afterAll(() => child?.kill('SIGKILL'))

  it('gets its slots back after leaseMs', async () => {
    const prefix = uniquePrefix('lease')
    child = fork(fileURLToPath(new URL('./lease-holder.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, REDIS_URL: inject('redisUrl') },
    })
    const next = () =>
      new Promise<Record<string, unknown>>((resolve) => child!.once('message', resolve as never))
    await next()
    const leaseMs = 300
    const limit = { name: 'job', max: 2, leaseMs }
    child.send({ prefix, identity: 'user:1', name: 'job', max: 2, leaseMs, count: 2 })
    expect(await next()).toEqual({ held: 2 })
    const limiter = limiterOn(clients[3]!, prefix)
    await sleep(leaseMs) // the holder renews: still held after one leaseMs
    expect((await limiter.acquire('user:1', limit)).allowed).toBe(false)
    child.kill('SIGKILL')
    await new Promise((resolve) => child!.once('exit', resolve))
    const killedAt = Date.now()
    let back: ConcurrencyDecision | undefined
    while (Date.now() - killedAt < 5_000) {
      back = await limiter.acquire('user:1', limit)
      if (back.allowed) break
      await sleep(20)
    }
    expect(back?.allowed).toBe(true)
    expect(Date.now() - killedAt).toBeLessThan(leaseMs + 500)
  }, 30_000)
})
