import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
} from '@trpc/client'
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it } from 'vitest'
import { type AppRouter, makeRouter, recording, redisLimiter, settle, startStandalone } from './fixtures.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

async function setup(user = '1') {
  const redis = await redisLimiter()
  cleanup.push(redis.close)
  const server = await startStandalone(makeRouter(redis.limiter))
  cleanup.push(server.close)
  const rec = recording()
  const client = (link: 'single' | 'batch' | 'stream', as = user) => {
    const options = { url: server.url, fetch: rec.fetch, headers: { 'x-user': as } }
    const http =
      link === 'single'
        ? httpLink(options)
        : link === 'batch'
          ? httpBatchLink(options)
          : httpBatchStreamLink(options)
    return createTRPCClient<AppRouter>({ links: [http] })
  }
  return { ...redis, server, seen: rec.seen, client }
}

function clientError(result: { ok: boolean; error?: unknown }) {
  expect(result.ok).toBe(false)
  expect(result.error).toBeInstanceOf(TRPCClientError)
  return result.error as TRPCClientError<AppRouter>
}

describe('tRPC standalone adapter over HTTP (Redis store)', () => {
  it('answers a refused query with HTTP 429, Retry-After and the RateLimit headers (httpLink)', async () => {
    const { client, seen } = await setup()
    const trpc = client('single')
    expect(await trpc.a.query()).toBe(1)
    expect(seen[0]!.status).toBe(200)
    expect(seen[0]!.headers.get('ratelimit-policy')).toBe('"a";q=2;w=60')
    expect(seen[0]!.headers.get('ratelimit')).toMatch(/^"a";r=1;t=(59|60)$/)
    expect(seen[0]!.headers.get('retry-after')).toBeNull()
    expect(await trpc.a.query()).toBe(0)
    const error = clientError(await settle(trpc.a.query()))
    expect(error.data?.code).toBe('TOO_MANY_REQUESTS')
    expect(error.data?.httpStatus).toBe(429)
    expect(error.message).toMatch(/^Rate limit exceeded: retry in (60|61) s$/)
    expect(error.data?.rateLimit).toMatchObject({ limit: 2, remaining: 0, rule: 'a' })
    expect(seen[2]!.status).toBe(429)
    expect(seen[2]!.headers.get('retry-after')).toMatch(/^(60|61)$/)
    expect(seen[2]!.headers.get('ratelimit')).toMatch(/^"a";r=0;t=(60|61)$/)
  })

  it('refuses a mutation over the limit with 429 and leaves unlimited procedures without headers', async () => {
    const { client, seen } = await setup()
    const trpc = client('single')
    expect(await trpc.create.mutate({ title: 'x' })).toBe('x')
    expect(await trpc.create.mutate({ title: 'y' })).toBe('y')
    expect(clientError(await settle(trpc.create.mutate({ title: 'z' }))).data?.code).toBe('TOO_MANY_REQUESTS')
    expect(seen[2]!.status).toBe(429)
    expect(await trpc.free.query()).toBe('free')
    expect(seen[3]!.headers.get('ratelimit')).toBeNull()
  })

  it('counts a batch of N calls as N and answers a mixed batch with HTTP 207 and the right per-call errors', async () => {
    const { client, seen } = await setup()
    const trpc = client('batch')
    const results = await Promise.all([
      settle(trpc.a.query()),
      settle(trpc.a.query()),
      settle(trpc.a.query()),
      settle(trpc.free.query()),
    ])
    expect(seen).toHaveLength(1)
    expect(seen[0]!.status).toBe(207)
    expect(results.filter((r) => r.ok)).toHaveLength(3)
    const refused = results.filter((r) => !r.ok)
    expect(refused).toHaveLength(1)
    expect(clientError(refused[0]!).data?.code).toBe('TOO_MANY_REQUESTS')
    expect(results[3]).toEqual({ ok: true, value: 'free' })
    // The refusal wins the merged headers, whichever call of the batch finished last.
    expect(seen[0]!.headers.get('ratelimit')).toMatch(/^"a";r=0;t=(60|61)$/)
    expect(seen[0]!.headers.get('retry-after')).toMatch(/^(60|61)$/)
  })

  it('merges the headers of a batch so the most restrictive rule wins, not the last call', async () => {
    const { client, seen } = await setup()
    const trpc = client('batch')
    const results = await Promise.all([
      settle(trpc.tight.query()),
      settle(trpc.s1.query()),
      settle(trpc.s2.query()),
    ])
    expect(results.every((r) => r.ok)).toBe(true)
    expect(seen[0]!.status).toBe(200)
    expect(seen[0]!.headers.get('ratelimit-policy')).toBe('"tight";q=1;w=30')
    expect(seen[0]!.headers.get('ratelimit')).toMatch(/^"tight";r=0;t=(29|30)$/)
    const all = await Promise.all([settle(trpc.s1.query()), settle(trpc.s2.query())])
    expect(all.map((r) => r.ok)).toEqual([true, false])
    expect(seen[1]!.status).toBe(207)
    expect(seen[1]!.headers.get('ratelimit')).toMatch(/^"shared";r=0;t=(60|61)$/)
  })

  it('answers a batch whose calls are all refused with HTTP 429', async () => {
    const { client, seen } = await setup()
    const trpc = client('batch')
    await trpc.tight.query()
    const results = await Promise.all([settle(trpc.tight.query()), settle(trpc.tight.query())])
    expect(results.map((r) => clientError(r).data?.code)).toEqual(['TOO_MANY_REQUESTS', 'TOO_MANY_REQUESTS'])
    expect(seen[1]!.status).toBe(429)
    expect(seen[1]!.headers.get('retry-after')).toMatch(/^(29|30|31)$/)
  })

  it('shares one budget between procedures with the same name, and keeps per-path budgets apart', async () => {
    const { client } = await setup()
    const trpc = client('single')
    expect(await trpc.s1.query()).toBe('s1')
    expect(await trpc.s2.query()).toBe('s2')
    expect(await trpc.s1.query()).toBe('s1')
    expect(clientError(await settle(trpc.s2.query())).data?.rateLimit?.rule).toBe('shared')
    await trpc.a.query()
    await trpc.a.query()
    expect(await trpc.b.query()).toBe(1)
  })

  it('counts two users separately', async () => {
    const { client } = await setup()
    const alice = client('single', 'alice')
    const bob = client('single', 'bob')
    await alice.tight.query()
    expect(clientError(await settle(alice.tight.query())).data?.code).toBe('TOO_MANY_REQUESTS')
    expect(await bob.tight.query()).toBe('tight')
  })

  it('charges the input-based cost', async () => {
    const { client } = await setup()
    const trpc = client('single')
    expect(await trpc.bulk.mutate({ items: ['a', 'b', 'c'] })).toBe(2)
    const error = clientError(await settle(trpc.bulk.mutate({ items: ['a', 'b', 'c'] })))
    expect(error.data?.code).toBe('TOO_MANY_REQUESTS')
    expect(await trpc.bulk.mutate({ items: ['a', 'b'] })).toBe(0)
    const tooBig = clientError(await settle(trpc.bulk.mutate({ items: ['1', '2', '3', '4', '5', '6'] })))
    expect(tooBig.message).toBe('Rate limit exceeded: this call costs 6, more than the limit of 5 allows')
    expect(tooBig.data?.rateLimit?.retryAfter).toBe(-1)
  })

  it('delivers per-call errors with httpBatchStreamLink; the streamed response has status 200', async () => {
    const { client, seen } = await setup()
    const trpc = client('stream')
    const results = await Promise.all([
      settle(trpc.a.query()),
      settle(trpc.a.query()),
      settle(trpc.a.query()),
    ])
    expect(results.filter((r) => r.ok)).toHaveLength(2)
    expect(clientError(results.find((r) => !r.ok)!).data?.code).toBe('TOO_MANY_REQUESTS')
    expect(seen).toHaveLength(1)
    expect(seen[0]!.status).toBe(200)
  })
})

describe('tRPC subscriptions over SSE (httpSubscriptionLink)', () => {
  it('counts a subscription when it starts and refuses the start over the limit without reconnecting', async () => {
    const redis = await redisLimiter()
    cleanup.push(redis.close)
    let decisions = 0
    redis.limiter.on('decision', () => {
      decisions++
    })
    const server = await startStandalone(makeRouter(redis.limiter))
    cleanup.push(server.close)
    const trpc = createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url: server.url, EventSource, connectionParams: { user: 'sub' } }),
          false: httpLink({ url: server.url }),
        }),
      ],
    })
    const run = () =>
      new Promise<{ values: number[]; error?: TRPCClientError<AppRouter> }>((resolve) => {
        const values: number[] = []
        const sub = trpc.ticks.subscribe(undefined, {
          onData: (value) => values.push(value),
          onError: (error) => {
            sub.unsubscribe()
            resolve({ values, error })
          },
          onComplete: () => resolve({ values }),
        })
      })
    expect(await run()).toEqual({ values: [1, 2] })
    expect(await run()).toEqual({ values: [1, 2] })
    const refused = await run()
    expect(refused.values).toEqual([])
    expect(refused.error?.data?.code).toBe('TOO_MANY_REQUESTS')
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(decisions).toBe(3)
  })
})
