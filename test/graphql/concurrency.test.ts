import { readFileSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { buildSchema, type ExecutionResult, type GraphQLSchema, graphql } from 'graphql'
import { createYoga } from 'graphql-yoga'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  assertRateLimitsApplied,
  CONCURRENCY_LIMIT_SDL,
  concurrencyLimitDirective,
  GraphQLConcurrencyLimitedError,
  rateLimitDirective,
  useRateLimitHeaders,
} from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter, RedisStore } from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

const sdl = `type Query {
  report: String @concurrencyLimit(max: 1)
  a: String @concurrencyLimit(max: 1, bucket: "shared")
  b: String @concurrencyLimit(max: 1, bucket: "shared")
  free: String
}
type Subscription { feed: Int @concurrencyLimit(max: 1) }`

/** A gate the resolvers wait on, opened by the test. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

function schemaWith(limiter: RateLimiter, wait: () => Promise<void>): GraphQLSchema {
  const { typeDefs, transformer } = concurrencyLimitDirective({ limiter })
  const resolvers = {
    Query: {
      report: async () => {
        await wait()
        return 'done'
      },
      a: () => wait().then(() => 'a'),
      b: () => wait().then(() => 'b'),
      free: () => 'free',
    },
    Subscription: {
      feed: {
        subscribe: async function* () {
          yield { feed: 1 }
          await wait()
          yield { feed: 2 }
        },
      },
    },
  }
  return transformer(makeExecutableSchema({ typeDefs: [typeDefs, sdl], resolvers }))
}

function memory() {
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  return limiter
}

const run = (schema: GraphQLSchema, source: string, user = 'alice') =>
  graphql({ schema, source, contextValue: { user: { id: user } } }) as Promise<ExecutionResult>

describe('the @concurrencyLimit directive SDL', () => {
  it('is exactly schema/concurrency-limit.graphql, on FIELD_DEFINITION and OBJECT with max: Int! and bucket: String', () => {
    const file = readFileSync(new URL('../../schema/concurrency-limit.graphql', import.meta.url), 'utf8')
    expect(CONCURRENCY_LIMIT_SDL).toBe(file)
    expect(concurrencyLimitDirective({ limiter: memory() }).typeDefs).toBe(file)
    const directive = buildSchema(`${file}\ntype Query { a: Int }`).getDirective('concurrencyLimit')!
    expect(directive.locations).toEqual(['FIELD_DEFINITION', 'OBJECT'])
    expect(Object.fromEntries(directive.args.map((a) => [a.name, String(a.type)]))).toEqual({
      max: 'Int!',
      bucket: 'String',
    })
    expect(directive.args.every((a) => a.description)).toBe(true)
  })

  it('fails when the schema is transformed, naming the field and the argument', () => {
    const { typeDefs, transformer } = concurrencyLimitDirective({ limiter: memory() })
    const build = (field: string) =>
      transformer(makeExecutableSchema({ typeDefs: [typeDefs, `type Query { ${field} }`] }))
    expect(() => build('x: Int @concurrencyLimit(max: 0)')).toThrow(
      /@concurrencyLimit on Query\.x: expected `max` to be an integer from 1 to 10000, got 0/,
    )
    expect(() => build('x: Int @concurrencyLimit(max: 10001)')).toThrow(/`max`/)
    expect(() => build('x: Int @concurrencyLimit(max: 1, bucket: "")')).toThrow(/Query\.x: expected `bucket`/)
    expect(() => transformer(makeExecutableSchema({ typeDefs: 'type Query { x: Int }' }))).toThrow(
      /does not declare the directive @concurrencyLimit/,
    )
    expect(() => concurrencyLimitDirective({ limiter: memory(), leaseMs: 'soon' })).toThrow(/leaseMs/)
  })

  it('is detected when declared but never transformed', () => {
    const { typeDefs } = concurrencyLimitDirective({ limiter: memory() })
    const raw = makeExecutableSchema({
      typeDefs: [typeDefs, 'type Query { x: Int @concurrencyLimit(max: 1) }'],
    })
    expect(() => assertRateLimitsApplied(raw, { directive: 'concurrencyLimit' })).toThrow(
      /@concurrencyLimit on Query\.x/,
    )
    const { transformer } = concurrencyLimitDirective({ limiter: memory() })
    expect(() => assertRateLimitsApplied(transformer(raw), { directive: 'concurrencyLimit' })).not.toThrow()
  })
})

describe('@concurrencyLimit on query fields', () => {
  it('refuses a resolution beyond max in flight with null and CONCURRENCY_LIMITED, and frees the slot when it settles', async () => {
    const limiter = memory()
    const g = gate()
    const schema = schemaWith(limiter, () => g.opened)
    const first = run(schema, '{ report }')
    await new Promise((resolve) => setTimeout(resolve, 10))
    const refused = await run(schema, '{ report free }')
    expect(refused.data).toEqual({ report: null, free: 'free' })
    const error = refused.errors![0]!
    expect(error.extensions).toEqual({
      code: 'CONCURRENCY_LIMITED',
      limit: 1,
      active: 1,
      policy: 'Query.report',
    })
    expect(error.message).toBe('Too many concurrent requests for Query.report: at most 1 at once')
    expect(error.path).toEqual(['report'])
    expect(error.extensions).not.toHaveProperty('retryAfter')
    const other = run(schema, '{ report }', 'bob') // another caller: a slot of its own
    g.open()
    expect((await first).data).toEqual({ report: 'done' })
    expect((await other).data).toEqual({ report: 'done' })
    expect((await run(schema, '{ report }')).data).toEqual({ report: 'done' })
    await limiter.close()
  })

  it('shares the slots of one bucket between fields, and frees them when a resolver throws', async () => {
    const limiter = memory()
    const g = gate()
    const schema = schemaWith(limiter, () => g.opened)
    const first = run(schema, '{ a }')
    await new Promise((resolve) => setTimeout(resolve, 10))
    const refused = await run(schema, '{ b }')
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'CONCURRENCY_LIMITED', policy: 'shared' })
    g.open()
    await first
    const failing = schemaWith(limiter, async () => {
      throw new Error('boom')
    })
    expect((await run(failing, '{ a }')).errors?.[0]?.message).toBe('boom')
    expect((await run(failing, '{ b }')).errors?.[0]?.message).toBe('boom') // not CONCURRENCY_LIMITED
    await limiter.close()
  })

  it('works beside @rateLimit on the same field: the rate check outside, the slot inside', async () => {
    const limiter = memory()
    const rate = rateLimitDirective({ limiter })
    const concurrency = concurrencyLimitDirective({ limiter })
    const schema = rate.transformer(
      concurrency.transformer(
        makeExecutableSchema({
          typeDefs: [
            rate.typeDefs,
            concurrency.typeDefs,
            'type Query { x: String @rateLimit(limit: 2, window: "1m") @concurrencyLimit(max: 1) }',
          ],
          resolvers: { Query: { x: () => 'x' } },
        }),
      ),
    )
    expect((await run(schema, '{ x }')).data).toEqual({ x: 'x' })
    expect((await run(schema, '{ x }')).data).toEqual({ x: 'x' })
    const taken: boolean[] = []
    limiter.on('concurrency', (event) => taken.push(event.decision.allowed))
    expect((await run(schema, '{ x }')).errors?.[0]?.extensions?.code).toBe('RATE_LIMITED')
    expect(taken).toEqual([]) // the rate check runs first: a refused call takes no slot
    await limiter.close()
  })
})

describe('@concurrencyLimit through graphql-yoga on Redis', () => {
  let client: Redis
  beforeAll(async () => {
    client = await ready(redisClient())
  })
  afterAll(() => client.disconnect())

  function yogaOn(wait: () => Promise<void>) {
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: uniquePrefix('gql-conc'),
      logger: false,
      timeoutMs: 5_000,
    })
    const yoga = createYoga({
      schema: schemaWith(limiter, wait),
      plugins: [useRateLimitHeaders({ directive: ['concurrencyLimit'] })],
      context: ({ request }) => ({ user: { id: request.headers.get('x-user') ?? 'anon' } }),
      logging: false,
    })
    return { limiter, yoga }
  }

  it('answers 429 without Retry-After when every root field was refused, and the error survives masking', async () => {
    const g = gate()
    const { limiter, yoga } = yogaOn(() => g.opened)
    const post = (query: string) =>
      yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          'x-user': 'u',
        },
        body: JSON.stringify({ query }),
      })
    const first = post('{ report }')
    await new Promise((resolve) => setTimeout(resolve, 50))
    const refused = await post('{ report }')
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBeNull()
    const body = await refused.json()
    expect(body.errors[0].extensions).toMatchObject({ code: 'CONCURRENCY_LIMITED', limit: 1 })
    const partial = await post('{ report free }')
    expect(partial.status).toBe(200)
    g.open()
    expect((await first).status).toBe(200)
    await limiter.close()
  })

  it('holds an SSE subscription slot until the client disconnects, then frees it within a second', async () => {
    const { limiter, yoga } = yogaOn(() => new Promise(() => {})) // the feed never ends on its own
    const server = createServer(yoga)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
    const subscribe = async (signal: AbortSignal) => {
      const response = await fetch(url, {
        method: 'POST',
        signal,
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-user': 'sse' },
        body: JSON.stringify({ query: 'subscription { feed }' }),
      })
      const reader = response.body!.getReader()
      let text = ''
      while (!text.includes('data:')) text += new TextDecoder().decode((await reader.read()).value)
      return text
    }
    try {
      const first = new AbortController()
      expect(await subscribe(first.signal)).toContain('"feed":1')
      const second = new AbortController()
      expect(await subscribe(second.signal)).toContain('CONCURRENCY_LIMITED')
      second.abort()
      first.abort() // the client goes away
      const goneAt = Date.now()
      let back = false
      while (!back && Date.now() - goneAt < 3_000) {
        const slot = await limiter.acquire('user:sse', { name: 'Subscription.feed', max: 1 })
        back = slot.allowed
        await slot.release()
        if (!back) await new Promise((resolve) => setTimeout(resolve, 25))
      }
      expect(back).toBe(true)
      expect(Date.now() - goneAt).toBeLessThan(1_000)
    } finally {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await limiter.close()
    }
  })
})

describe('GraphQLConcurrencyLimitedError', () => {
  it('carries the decision without serialising it', async () => {
    const limiter = memory()
    const held = await limiter.acquire('user:1', { name: 'n', max: 1 })
    const decision = await limiter.acquire('user:1', { name: 'n', max: 1 })
    const error = new GraphQLConcurrencyLimitedError('no', decision)
    expect(error.decision).toBe(decision)
    expect(JSON.stringify(error.toJSON())).not.toContain('user:1')
    await held.release()
    await limiter.close()
  })
})
