/**
 * Floods of concurrency-limited work that the limiter withstands, kept as regressions at hostile
 * scale on Redis: 500 aliases of one `@concurrencyLimit` field in one operation, the field under
 * a list of 300 items, two nested fields sharing one bucket, and a tRPC batch of 100 calls of a
 * `concurrencyLimit()` procedure in one HTTP request. Each must run at most `max` resolvers at
 * once, answer every other resolution as a concurrency refusal (never a server error), and leave
 * no lease behind.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { initTRPC } from '@trpc/server'
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { concurrencyLimitDirective } from '../../src/graphql/index.js'
import type { RateLimiter } from '../../src/index.js'
import { concurrencyLimit } from '../../src/trpc/index.js'
import { limiterOn, ready, redisClient } from '../helpers.js'
import { type standaloneContext, startStandalone } from '../trpc/fixtures.js'

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

function redisLimiter(): RateLimiter {
  return limiterOn(client, 'conc-flood')
}

/** Resolvers that wait for `finish()`, counting how many run at once. */
function slowWork() {
  let running = 0
  let most = 0
  let runs = 0
  let finish!: () => void
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  const work = async () => {
    runs++
    most = Math.max(most, ++running)
    await done
    running--
    return 'done'
  }
  return { work, finish, most: () => most, runs: () => runs }
}

/** Every slot of `name` free again: `max` acquisitions succeed. */
async function allFree(limiter: RateLimiter, identity: string, name: string, max: number) {
  const decisions = await Promise.all(
    Array.from({ length: max }, () => limiter.acquire(identity, { name, max })),
  )
  await Promise.all(decisions.map((d) => d.release()))
  return decisions.every((d) => d.allowed && d.policy === undefined)
}

const typeDefs = `
  type Query {
    export: String @concurrencyLimit(max: 3)
    items: [Item!]!
    parent: Parent @concurrencyLimit(max: 1, bucket: "nested")
  }
  type Item { heavy: String @concurrencyLimit(max: 2) }
  type Parent { child: String @concurrencyLimit(max: 1, bucket: "nested") }
`

function yogaFor(limiter: RateLimiter, work: () => Promise<string>) {
  const directive = concurrencyLimitDirective({ limiter })
  const schema = directive.transformer(
    makeExecutableSchema({
      typeDefs: [directive.typeDefs, typeDefs],
      resolvers: {
        Query: { export: work, items: () => Array.from({ length: 300 }, () => ({})), parent: () => ({}) },
        Item: { heavy: work },
        Parent: { child: work },
      },
    }),
  )
  const yoga = createYoga({ schema, logging: false, context: () => ({ user: { id: 'mallory' } }) })
  return async (query: string) => {
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    })
    return {
      status: response.status,
      body: (await response.json()) as { errors?: Array<{ extensions: { code: string } }> },
    }
  }
}

/** Waits until `count` resolvers have started (then every other resolution was refused), at most 5 s. */
async function settled(runs: () => number, count: number) {
  const since = Date.now()
  while (runs() < count && Date.now() - since < 5_000) await new Promise((resolve) => setTimeout(resolve, 10))
  await new Promise((resolve) => setTimeout(resolve, 20))
}

describe('floods of a @concurrencyLimit field on Redis', () => {
  it('500 aliases in one operation run 3 at once, the 497 others refused, no lease left', async () => {
    const limiter = redisLimiter()
    const slow = slowWork()
    const post = yogaFor(limiter, slow.work)
    const pending = post(`{ ${Array.from({ length: 500 }, (_, i) => `a${i}: export`).join(' ')} }`)
    await settled(slow.runs, 3)
    expect(await allFree(limiter, 'user:mallory', 'Query.export', 3)).toBe(false)
    slow.finish()
    const { status, body } = await pending
    expect(status).toBe(200)
    expect(slow.most()).toBe(3)
    expect(slow.runs()).toBe(3)
    expect(body.errors).toHaveLength(497)
    expect(new Set(body.errors!.map((e) => e.extensions.code))).toEqual(new Set(['CONCURRENCY_LIMITED']))
    expect(await allFree(limiter, 'user:mallory', 'Query.export', 3)).toBe(true)
    await limiter.close()
  })

  it('a field under a list of 300 items runs 2 at once and leaves no lease', async () => {
    const limiter = redisLimiter()
    const slow = slowWork()
    const post = yogaFor(limiter, slow.work)
    const pending = post('{ items { heavy } }')
    await settled(slow.runs, 2)
    expect(await allFree(limiter, 'user:mallory', 'Item.heavy', 2)).toBe(false)
    slow.finish()
    const { body } = await pending
    expect(slow.most()).toBe(2)
    expect(body.errors).toHaveLength(298)
    expect(await allFree(limiter, 'user:mallory', 'Item.heavy', 2)).toBe(true)
    await limiter.close()
  })

  it('a field nested in a field of the same bucket does not wait for its own parent', async () => {
    const limiter = redisLimiter()
    const slow = slowWork()
    slow.finish()
    const post = yogaFor(limiter, slow.work)
    // The parent's slot is given back when its resolver settles, before its children resolve.
    const { body } = await post('{ parent { child } }')
    expect(body).toEqual({ data: { parent: { child: 'done' } } })
    expect(await allFree(limiter, 'user:mallory', 'nested', 1)).toBe(true)
    await limiter.close()
  })
})

describe('a tRPC batch of 100 calls of a concurrencyLimit() procedure in one request', () => {
  it('runs 2 at once, answers the 98 others TOO_MANY_REQUESTS and leaves no lease', async () => {
    const limiter = redisLimiter()
    const slow = slowWork()
    const t = initTRPC.context<ReturnType<typeof standaloneContext>>().create()
    const router = t.router({
      export: t.procedure.use(concurrencyLimit({ limiter, max: 2 })).query(slow.work),
    })
    const server = await startStandalone(router as never)
    try {
      const path = Array.from({ length: 100 }, () => 'export').join(',')
      const pending = fetch(`${server.url}/${path}?batch=1`, { headers: { 'x-user': 'mallory' } })
      await settled(slow.runs, 2)
      expect(await allFree(limiter, 'user:mallory', 'export', 2)).toBe(false)
      slow.finish()
      const calls = (await (await pending).json()) as Array<{
        result?: unknown
        error?: { data: { code: string } }
      }>
      expect(calls).toHaveLength(100)
      expect(slow.most()).toBe(2)
      expect(calls.filter((c) => c.result !== undefined)).toHaveLength(2)
      expect(new Set(calls.flatMap((c) => c.error?.data.code ?? []))).toEqual(new Set(['TOO_MANY_REQUESTS']))
      expect(await allFree(limiter, 'user:mallory', 'export', 2)).toBe(true)
    } finally {
      await server.close()
      await limiter.close()
    }
  })
})
