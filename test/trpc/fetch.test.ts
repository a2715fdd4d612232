import {
  createTRPCClient,
  httpBatchLink,
  httpBatchStreamLink,
  httpLink,
  type TRPCClientError,
} from '@trpc/client'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, type RateLimitStore } from '../../src/index.js'
import { type AppRouter, fetchAdapter, makeRouter, recording, redisLimiter, settle } from './fixtures.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

const URL_BASE = 'http://app.test/trpc'

async function setup(headerOptions?: Parameters<typeof fetchAdapter>[1]) {
  const redis = await redisLimiter()
  cleanup.push(redis.close)
  const router = makeRouter(redis.limiter)
  const rec = recording(fetchAdapter(router, headerOptions))
  const client = (link: 'single' | 'batch', user = '1') => {
    const options = { url: URL_BASE, fetch: rec.fetch, headers: { 'x-user': user } }
    return createTRPCClient<AppRouter>({
      links: [link === 'single' ? httpLink(options) : httpBatchLink(options)],
    })
  }
  return { ...redis, router, seen: rec.seen, client }
}

describe('tRPC fetch adapter (resHeaders), real client, Redis store', () => {
  it('sets RateLimit headers on admitted calls and 429 with Retry-After on a refused one (httpLink)', async () => {
    const { client, seen } = await setup()
    const trpc = client('single')
    await trpc.tight.query()
    expect(seen[0]!.status).toBe(200)
    expect(seen[0]!.headers.get('ratelimit-policy')).toBe('"tight";q=1;w=30')
    expect(seen[0]!.headers.get('ratelimit')).toMatch(/^"tight";r=0;t=(29|30)$/)
    const refused = await settle(trpc.tight.query())
    expect(refused.ok).toBe(false)
    expect((refused as { error: TRPCClientError<AppRouter> }).error.data?.code).toBe('TOO_MANY_REQUESTS')
    expect(seen[1]!.status).toBe(429)
    expect(seen[1]!.headers.get('retry-after')).toMatch(/^(30|31)$/)
  })

  it('answers a mixed batch with 207, per-call errors and merged headers (httpBatchLink)', async () => {
    const { client, seen } = await setup()
    const trpc = client('batch')
    const results = await Promise.all([
      settle(trpc.a.query()),
      settle(trpc.tight.query()),
      settle(trpc.tight.query()),
    ])
    expect(seen).toHaveLength(1)
    expect(seen[0]!.status).toBe(207)
    expect(results[0]).toEqual({ ok: true, value: 1 })
    const outcomes = results
      .slice(1)
      .map((r) => (r.ok ? 'ok' : (r.error as TRPCClientError<AppRouter>).data?.code))
    expect(outcomes.sort()).toEqual(['TOO_MANY_REQUESTS', 'ok'])
    expect(seen[0]!.headers.get('ratelimit')).toMatch(/^"tight";r=0;t=(29|30|31)$/)
    expect(seen[0]!.headers.get('retry-after')).toMatch(/^(30|31)$/)
  })

  it("lists every rule touched by the batch with policies: 'all'", async () => {
    const { client, seen } = await setup({ policies: 'all' })
    const trpc = client('batch')
    await Promise.all([trpc.a.query(), trpc.s1.query()])
    expect(seen).toHaveLength(1)
    const policy = seen[0]!.headers.get('ratelimit-policy')!.split(', ').sort()
    expect(policy).toEqual(['"a";q=2;w=60', '"shared";q=3;w=60'])
  })

  it('counts every call of a batch', async () => {
    const { client, seen } = await setup()
    const trpc = client('batch')
    await Promise.all([trpc.s1.query(), trpc.s2.query(), trpc.s1.query()])
    expect(seen[0]!.status).toBe(200)
    const again = await settle(client('single').s2.query())
    expect(again.ok).toBe(false)
    expect(seen[1]!.status).toBe(429)
  })

  it('sends a streamed batch (httpBatchStreamLink) with status 200 and no rate-limit headers, the refusal in its call', async () => {
    const { router } = await setup()
    const rec = recording(fetchAdapter(router))
    const trpc = createTRPCClient<AppRouter>({
      links: [httpBatchStreamLink({ url: URL_BASE, fetch: rec.fetch, headers: { 'x-user': '1' } })],
    })
    const results = await Promise.all([settle(trpc.tight.query()), settle(trpc.tight.query())])
    expect(results.filter((r) => r.ok)).toHaveLength(1)
    expect((results.find((r) => !r.ok) as { error: TRPCClientError<AppRouter> }).error.data?.code).toBe(
      'TOO_MANY_REQUESTS',
    )
    // The fetch adapter builds the response head before any procedure runs.
    expect(rec.seen[0]!.status).toBe(200)
    expect(rec.seen[0]!.headers.get('ratelimit')).toBeNull()
    expect(rec.seen[0]!.headers.get('retry-after')).toBeNull()
  })

  it('answers a raw GET Request with 429 and the headers once the budget is spent', async () => {
    const { router } = await setup()
    const call = () =>
      fetchRequestHandler({
        endpoint: '/trpc',
        req: new Request(`${URL_BASE}/tight`, { headers: { 'x-user': 'raw' } }),
        router,
        createContext: ({ req, resHeaders }) => ({ user: { id: req.headers.get('x-user')! }, resHeaders }),
      })
    const first = await call()
    expect(first.status).toBe(200)
    // Without rateLimitContext, a context carrying `resHeaders` still gets the headers.
    expect(first.headers.get('ratelimit')).toMatch(/^"tight";r=0/)
    const second = await call()
    expect(second.status).toBe(429)
    expect(second.headers.get('retry-after')).toMatch(/^(30|31)$/)
    const body = (await second.json()) as { error: { message: string; data: { code: string } } }
    expect(body.error.data.code).toBe('TOO_MANY_REQUESTS')
    expect(body.error.message).toMatch(/^Rate limit exceeded: retry in (30|31) s$/)
  })
})

describe('store trouble over HTTP is never an INTERNAL_SERVER_ERROR', () => {
  const broken: RateLimitStore = {
    kind: 'broken',
    consume: () => Promise.reject(new Error('READONLY You cannot write against a read only replica')),
    peek: () => Promise.reject(new Error('READONLY')),
    reset: () => undefined,
  }

  async function statusWith(onStoreError: 'open' | 'closed') {
    const limiter = createRateLimiter({ store: broken, onStoreError, circuitBreaker: false, logger: false })
    cleanup.push(() => limiter.close())
    const response = await fetchAdapter(makeRouter(limiter))(`${URL_BASE}/a`, { headers: { 'x-user': '1' } })
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    }
  }

  it("answers 429 with Retry-After when the store rejects and the policy is 'closed'", async () => {
    const { status, headers, body } = await statusWith('closed')
    expect(status).toBe(429)
    expect(headers.get('retry-after')).toBe('1')
    expect(JSON.stringify(body)).toContain('TOO_MANY_REQUESTS')
  })

  it("passes the call when the store rejects and the policy is 'open'", async () => {
    const { status, body } = await statusWith('open')
    expect(status).toBe(200)
    expect(body).toEqual({ result: { data: 2 } })
  })
})
