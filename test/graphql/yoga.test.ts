import { createYoga, type Plugin } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { useRateLimitHeaders } from '../../src/graphql/index.js'
import {
  createRateLimiter,
  IdentityError,
  type RateLimiterOptions,
  type RateLimitStore,
  RedisStore,
} from '../../src/index.js'
import { limiterOn, ready, redisClient, uniquePrefix } from '../helpers.js'
import { limitedSchema } from './fixtures.js'

const sdl = `type Query {
  hello: String @rateLimit(limit: 1, window: "1m")
  burst: String @rateLimit(limit: 1, window: "10s") @rateLimit(limit: 100, window: "1h")
  free: String
  boom: String
}
type Subscription { tick: Int @rateLimit(limit: 1, window: "1m") }`

async function* ticks() {
  yield { tick: 1 }
}
const resolvers = {
  Query: {
    hello: () => 'hi',
    burst: () => 'b',
    free: () => 'free',
    boom: () => {
      throw new Error('database password is hunter2')
    },
  },
  Subscription: { tick: { subscribe: ticks } },
}

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

function server(options: RateLimiterOptions = {}, headers: Parameters<typeof useRateLimitHeaders>[0] = {}) {
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: uniquePrefix('gql'),
    logger: false,
    ...options,
  })
  const yoga = createYoga({
    schema: limitedSchema(limiter, sdl, resolvers),
    plugins: [useRateLimitHeaders(headers)],
    context: ({ request }) => ({ user: { id: request.headers.get('x-user') ?? 'anon' } }),
    logging: false,
  })
  const post = (query: string, user = 'alice', accept = 'application/graphql-response+json') =>
    yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, 'x-user': user },
      body: JSON.stringify({ query }),
    })
  return { limiter, yoga, post }
}

describe('useRateLimitHeaders() through yoga.fetch on Redis', () => {
  it('answers 429 with Retry-After when every requested root field was refused', async () => {
    const { post } = server()
    const first = await post('{ hello }')
    expect(first.status).toBe(200)
    expect(first.headers.get('ratelimit-policy')).toBe('"Query.hello";q=1;w=60')
    expect(first.headers.get('ratelimit')).toBe('"Query.hello";r=0;t=60')
    expect(first.headers.get('retry-after')).toBeNull()
    const refused = await post('{ a: hello b: hello }')
    expect(refused.status).toBe(429)
    const body = (await refused.json()) as {
      data: unknown
      errors: Array<{ message: string; extensions: Record<string, unknown> }>
    }
    expect(body.data).toEqual({ a: null, b: null })
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED'])
    const retryAfter = body.errors[0]!.extensions.retryAfter as number
    expect(retryAfter).toBeGreaterThanOrEqual(59)
    expect(refused.headers.get('retry-after')).toBe(String(retryAfter))
    expect(refused.headers.get('ratelimit')).toMatch(/^"Query.hello";r=0;t=(59|60)$/)
  })

  it('answers 200 with partial data and RateLimit headers when some root field could be returned', async () => {
    const { post } = server()
    await post('{ hello }')
    const partial = await post('{ hello free }')
    expect(partial.status).toBe(200)
    expect(partial.headers.get('retry-after')).toBeNull()
    expect(partial.headers.get('ratelimit')).toMatch(/^"Query.hello";r=0;t=\d+$/)
    const body = (await partial.json()) as { data: unknown; errors: Array<{ extensions: { code: string } }> }
    expect(body.data).toEqual({ hello: null, free: 'free' })
    expect(body.errors.map((e) => e.extensions.code)).toEqual(['RATE_LIMITED'])
  })

  it('keeps the RATE_LIMITED error through the default error masking while other errors are masked', async () => {
    const { post } = server()
    await post('{ hello }')
    const body = (await (await post('{ hello boom }')).json()) as {
      errors: Array<{ message: string; extensions?: object }>
    }
    expect(body.errors).toHaveLength(2)
    const [limited, masked] = [...body.errors].sort((a) =>
      a.extensions && 'code' in a.extensions && a.extensions.code === 'RATE_LIMITED' ? -1 : 1,
    )
    expect(limited!.message).toMatch(/^Too many requests for Query.hello: retry in \d+ s.$/)
    expect(limited!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      limit: 1,
      remaining: 0,
      policy: 'Query.hello',
    })
    expect(masked!.message).toBe('Unexpected error.')
    expect(JSON.stringify(body)).not.toContain('hunter2')
  })

  it('sends no rate limit headers when no limit was touched', async () => {
    const { post } = server()
    const response = await post('{ free }')
    expect(response.status).toBe(200)
    expect(response.headers.get('ratelimit')).toBeNull()
    expect(response.headers.get('ratelimit-policy')).toBeNull()
  })

  it("lists one item per policy with policies: 'all', and the binding one by default", async () => {
    const all = server({}, { policies: 'all' })
    const response = await all.post('{ burst free hello }')
    expect(response.headers.get('ratelimit-policy')).toBe(
      '"Query.burst/10s";q=1;w=10, "Query.burst/1h";q=100;w=3600, "Query.hello";q=1;w=60',
    )
    expect(response.headers.get('ratelimit')).toBe(
      '"Query.burst/10s";r=0;t=10, "Query.burst/1h";r=99;t=3600, "Query.hello";r=0;t=60',
    )
    const binding = server()
    expect((await binding.post('{ burst }')).headers.get('ratelimit-policy')).toBe('"Query.burst";q=1;w=10')
  })

  it('keeps separate budgets for two users', async () => {
    const { post } = server()
    expect((await post('{ hello }', 'ann')).status).toBe(200)
    expect((await post('{ hello }', 'bob')).status).toBe(200)
    expect((await post('{ hello }', 'ann')).status).toBe(429)
    expect((await post('{ hello }', 'bob')).status).toBe(429)
  })

  it('refuses a subscription over SSE with 429 once its start is limited', async () => {
    const { post } = server()
    const started = await post('subscription { tick }', 'sue', 'text/event-stream')
    expect(started.status).toBe(200)
    expect(started.headers.get('ratelimit')).toBe('"Subscription.tick";r=0;t=60')
    expect(await started.text()).toContain('data: {"data":{"tick":1}}')
    const refused = await post('subscription { tick }', 'sue', 'text/event-stream')
    expect(refused.status).toBe(429)
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59)
    expect(await refused.text()).toContain('"code":"RATE_LIMITED"')
  })

  it('never turns store trouble into an internal error: the limiter policy decides', async () => {
    const broken: RateLimitStore = {
      kind: 'broken',
      consume: () => Promise.reject(new Error('ECONNREFUSED')),
      peek: () => Promise.reject(new Error('ECONNREFUSED')),
      consumeMany: () => Promise.reject(new Error('ECONNREFUSED')),
      reset: () => undefined,
    }
    const open = server({ store: broken, onStoreError: 'open', circuitBreaker: false })
    const opened = await open.post('{ hello burst }')
    expect(opened.status).toBe(200)
    expect(await opened.json()).toEqual({ data: { hello: 'hi', burst: 'b' } })
    const closed = server({ store: broken, onStoreError: 'closed', circuitBreaker: false })
    const refused = await closed.post('{ hello }')
    expect(refused.status).toBe(429)
    const body = (await refused.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }
    expect(body.errors[0]!.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      reason: 'store-unavailable',
      retryAfter: 1,
    })
  })

  it('answers an unidentifiable caller with its identity error code and status, not a masked error', async () => {
    const limiter = limiterOn(client, 'gql')
    // yoga.fetch has no socket: without a user or a trusted address the default identify refuses.
    const yoga = createYoga({
      schema: limitedSchema(limiter, sdl, resolvers),
      plugins: [useRateLimitHeaders()],
      logging: false,
    })
    const response = await yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ hello free }' }),
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as {
      data: unknown
      errors: Array<{ extensions: Record<string, unknown> }>
    }
    expect(body.data).toEqual({ hello: null, free: 'free' })
    expect(body.errors.map((e) => e.extensions)).toEqual([{ code: 'CLIENT_UNIDENTIFIED' }])
  })

  it('answers 401 when identify requires an API key', async () => {
    const limiter = limiterOn(client, 'gql')
    const identify = async () => {
      throw new IdentityError('API_KEY_REQUIRED', 'A valid API key is required')
    }
    const yoga = createYoga({ schema: limitedSchema(limiter, sdl, resolvers, { identify }), logging: false })
    const response = await yoga.fetch('http://yoga/graphql?query={hello}')
    expect(response.status).toBe(401)
    expect(await response.json()).toMatchObject({
      errors: [{ message: 'A valid API key is required', extensions: { code: 'API_KEY_REQUIRED' } }],
    })
  })

  it('is a graphql-yoga plugin', () => {
    expectTypeOf(useRateLimitHeaders()).toExtend<Plugin>()
  })
})
