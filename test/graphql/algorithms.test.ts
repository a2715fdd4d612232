/**
 * `@rateLimit` with `algorithm: "token-bucket"` / `burst` and with a calendar `period` /
 * `timeZone`: validated when the schema is built, and reported in headers and
 * `extensions.rateLimit` like any rule (on a real Redis).
 */
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { useRateLimitExtensions, useRateLimitHeaders } from '../../src/graphql/index.js'
import { RateLimitConfigError } from '../../src/index.js'
import { limiterOn, ready, redisClient } from '../helpers.js'
import { admittedRuns, limitedSchema, memoryLimiter } from './fixtures.js'

let client: Redis
beforeAll(async () => {
  client = await ready(redisClient())
})
afterAll(() => client.disconnect())

const sdl = `type Query {
  smooth: String @rateLimit(limit: 1, window: "10s", algorithm: "token-bucket", burst: 3)
  daily: String @rateLimit(limit: 2, period: "day", timeZone: "Europe/Berlin") @rateLimit(limit: 5, window: "1s")
}`
const resolvers = { Query: { smooth: () => 's', daily: () => 'd' } }

function server() {
  const limiter = limiterOn(client, 'gql-algos')
  const yoga = createYoga({
    schema: limitedSchema(limiter, sdl, resolvers),
    plugins: [useRateLimitHeaders({ policies: 'all' }), useRateLimitExtensions()],
    context: () => ({ user: { id: 'alice' } }),
    logging: false,
  })
  return (query: string) =>
    yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    })
}

interface Body {
  data: Record<string, unknown>
  errors?: Array<{ extensions: Record<string, unknown> }>
  extensions?: { rateLimit: { policies: Array<Record<string, unknown>> } }
}

describe('@rateLimit with a token bucket and a calendar quota', () => {
  it('admits a token bucket burst and reports it in headers and extensions.rateLimit', async () => {
    const post = server()
    const answers: Body[] = []
    for (let i = 0; i < 4; i++) answers.push((await (await post('{ smooth }')).json()) as Body)
    expect(answers.map((a) => a.errors === undefined)).toEqual([true, true, true, false])
    expect(answers[2]!.extensions!.rateLimit.policies[0]).toMatchObject({
      policy: 'Query.smooth',
      limit: 1,
      remaining: 0,
      reset: 30,
      window: 10,
      burst: 3,
    })
    expect(answers[3]!.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 10 })
  })

  it('counts a daily quota atomically with a per-second rule, reset at midnight in its zone', async () => {
    const post = server()
    const first = await post('{ daily }')
    expect(first.headers.get('RateLimit-Policy')).toBe(
      '"Query.daily/day";q=2;w=86400, "Query.daily/1s";q=5;w=1',
    )
    const body = (await first.json()) as Body
    const quota = body.extensions!.rateLimit.policies.find((p) => p.period === 'day')!
    expect(quota).toMatchObject({ policy: 'Query.daily', limit: 2, remaining: 1, timeZone: 'Europe/Berlin' })
    const midnight = new Date()
    const berlinMidnight = nextMidnight('Europe/Berlin')
    expect(
      Math.abs((quota.reset as number) - Math.ceil((berlinMidnight - midnight.getTime()) / 1000)),
    ).toBeLessThanOrEqual(1)
    await post('{ daily }')
    const refused = (await (await post('{ daily }')).json()) as Body
    expect(refused.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 2, remaining: 0 })
  })

  it.each([
    [
      'a period with a window',
      '@rateLimit(limit: 1, window: "1m", period: "day")',
      /expected `window` to be left out when `period` is given/,
    ],
    [
      'an unknown period',
      '@rateLimit(limit: 1, period: "year")',
      /expected `period` to be 'day', 'week' or 'month', got "year"/,
    ],
    [
      'an invalid time zone',
      '@rateLimit(limit: 1, period: "day", timeZone: "Nowhere/Land")',
      /`timeZone` of rule "Query\.f" to be an IANA time zone name/,
    ],
    [
      'an algorithm with a period',
      '@rateLimit(limit: 1, period: "day", algorithm: "token-bucket")',
      /expected `algorithm` to be left out when `period` is given/,
    ],
    [
      'an unknown algorithm',
      '@rateLimit(limit: 1, window: "1m", algorithm: "leaky")',
      /expected `algorithm` to be 'sliding-log', 'sliding-window' or 'token-bucket', got "leaky"/,
    ],
    [
      'a burst without a token bucket',
      '@rateLimit(limit: 1, window: "1m", burst: 3)',
      /expected `burst` to be left out unless `algorithm` is 'token-bucket'/,
    ],
    [
      'a burst of 0',
      '@rateLimit(limit: 1, window: "1m", algorithm: "token-bucket", burst: 0)',
      /expected `burst` to be an integer from 1/,
    ],
    [
      'a cost above the burst',
      '@rateLimit(limit: 5, window: "1m", algorithm: "token-bucket", burst: 2, cost: 3)',
      /expected `cost` to be at most `burst` \(2\)/,
    ],
    [
      'neither window nor period',
      '@rateLimit(limit: 1)',
      /expected `window` to be a duration .* or `period` instead/,
    ],
  ])('rejects %s when the schema is built, naming the argument', (_, directive, message) => {
    const { limiter } = memoryLimiter()
    let error: unknown
    try {
      limitedSchema(limiter, `type Query { f: String ${directive} }`)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(RateLimitConfigError)
    expect((error as Error).message).toMatch(message)
  })

  it('admits a cost between limit and burst on a token bucket', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      'type Query { f: String @rateLimit(limit: 1, window: "1m", algorithm: "token-bucket", burst: 4, cost: 2) }',
      { Query: { f: () => 'f' } },
    )
    expect(await admittedRuns(schema, '{ f }', 3)).toEqual([true, true, false])
  })
})

/** The next local midnight in `timeZone`, in ms since the epoch (by scanning minutes: a test helper). */
function nextMidnight(timeZone: string): number {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    hour: 'numeric',
    minute: 'numeric',
  })
  let t = Math.ceil(Date.now() / 60_000) * 60_000
  while (format.format(t) !== '00:00') t += 60_000
  return t
}
