import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useRateLimitHeaders } from '../../src/graphql/index.js'
import type { RateLimitDecision } from '../../src/index.js'
import { limiterOn, ready, redisClient } from '../helpers.js'
import { limitedSchema } from './fixtures.js'

const sdl = `type Query @rateLimit(limit: 2, window: "1m") {
  search(q: String!): [String!]
  strict: String! @rateLimit(limit: 1, window: "1m")
  ping: String @rateLimit(limit: 5, window: "1m")
}
type Mutation { vote: Int @rateLimit(limit: 1, window: "1h", message: "One vote per hour") }`

let client: Redis
let server: Server
let url: string
const decisions: RateLimitDecision[] = []

beforeAll(async () => {
  client = await ready(redisClient())
  const limiter = limiterOn(client, 'http')
  limiter.on('decision', ({ decision }) => decisions.push(decision))
  let votes = 0
  const schema = limitedSchema(limiter, sdl, {
    Query: {
      search: (_: unknown, { q }: { q: string }) => [q, `${q}!`],
      ping: () => 'pong',
      strict: () => 's',
    },
    Mutation: { vote: () => ++votes },
  })
  // No context function: the default identify finds the user in ctx.user, else the client IP in ctx.req.
  const yoga = createYoga({ schema, plugins: [useRateLimitHeaders()], logging: false })
  server = createServer(yoga)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  client.disconnect()
})

const post = (query: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  })

describe('@rateLimit behind a real node:http server', () => {
  it('limits by client IP from ctx.req and answers 200, then 429 with Retry-After and a JSON body', async () => {
    const ok = await post('{ search(q: "a") }')
    expect(ok.status).toBe(200)
    expect(await ok.json()).toEqual({ data: { search: ['a', 'a!'] } })
    expect(ok.headers.get('ratelimit-policy')).toBe('"Query.search";q=2;w=60')
    expect(ok.headers.get('ratelimit')).toBe('"Query.search";r=1;t=60')
    expect(decisions.at(-1)!.identity).toMatch(/^ip:.*127\.0\.0\.1$/)

    const both = await post('{ search(q: "b") again: search(q: "c") }')
    expect(both.status).toBe(200)
    const partial = (await both.json()) as {
      data: unknown
      errors: Array<{ path: string[]; extensions: Record<string, unknown> }>
    }
    expect(partial.data).toEqual({ search: ['b', 'b!'], again: null })
    expect(partial.errors.map((e) => e.path)).toEqual([['again']])

    const refused = await post('{ search(q: "d") }')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('content-type')).toMatch(/^application\/json/)
    const retryAfter = Number(refused.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(59)
    expect(retryAfter).toBeLessThanOrEqual(61)
    const body = (await refused.json()) as {
      data: unknown
      errors: Array<{ message: string; extensions: Record<string, unknown> }>
    }
    expect(body.data).toEqual({ search: null })
    expect(body.errors[0]!.extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfter,
      limit: 2,
      remaining: 0,
      reset: expect.any(Number),
      policy: 'Query.search',
    })
  })

  it('answers 200 with partial data and a RateLimit header naming the binding policy', async () => {
    const response = await post('{ search(q: "e") ping }')
    expect(response.status).toBe(200)
    expect(response.headers.get('retry-after')).toBeNull()
    expect(response.headers.get('ratelimit')).toMatch(/^"Query.search";r=0;t=\d+$/)
    expect(await response.json()).toMatchObject({ data: { search: null, ping: 'pong' } })
  })

  it('answers 429 when a refused non-null root field nulls the whole data', async () => {
    expect((await post('{ strict }')).status).toBe(200)
    const refused = await post('{ strict ping }')
    expect(refused.status).toBe(429)
    expect(await refused.json()).toMatchObject({
      data: null,
      errors: [{ path: ['strict'], extensions: { code: 'RATE_LIMITED' } }],
    })
  })

  it('limits a mutation with its own message', async () => {
    expect(await (await post('mutation { vote }')).json()).toEqual({ data: { vote: 1 } })
    const refused = await post('mutation { vote }')
    expect(refused.status).toBe(429)
    const body = (await refused.json()) as { errors: Array<{ message: string }> }
    expect(body.errors[0]!.message).toBe('One vote per hour')
  })
})
