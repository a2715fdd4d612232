/**
 * The Apollo plugins' edges on a real Apollo Server 5 (memory store): the cost budget alone (its
 * refusal's status and headers without `rateLimitApolloPlugin()`), batches, a schema the
 * transformer never saw, the context line, and options checked when a plugin is built.
 */
import type { IncomingMessage } from 'node:http'
import { ApolloServer } from '@apollo/server'
import { startStandaloneServer } from '@apollo/server/standalone'
import { ApolloServer as ApolloServer4 } from '@apollo/server-4'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { afterEach, describe, expect, it } from 'vitest'
import { costBudgetApolloPlugin, rateLimitApolloPlugin } from '../../src/apollo/index.js'
import { costTypeDefs, rateLimitTypeDefs } from '../../src/graphql/index.js'
import { RateLimitConfigError } from '../../src/index.js'
import { limitedSchema, memoryLimiter } from '../graphql/fixtures.js'

const sdl = /* GraphQL */ `
  type Query {
    ping: String @rateLimit(limit: 1, window: "1m")
    books(first: Int!): [Book!]! @listSize(slicingArguments: ["first"])
  }
  type Book { title: String! }
`

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

// biome-ignore lint/suspicious/noExplicitAny: Apollo's plugin list type is its own.
async function serve(plugins: any[], options: { batch?: boolean; context?: boolean } = {}) {
  const { limiter } = memoryLimiter()
  const schema = limitedSchema(limiter, `${costTypeDefs}\n${sdl}`, {
    Query: {
      ping: () => 'pong',
      books: (_: unknown, { first }: { first: number }) =>
        Array.from({ length: first }, () => ({ title: 't' })),
    },
  })
  const server = new ApolloServer({
    schema,
    plugins: plugins.map((make) => (typeof make === 'function' ? make(limiter) : make)),
    allowBatchedHttpRequests: options.batch ?? false,
  })
  const { url } = await startStandaloneServer(server, {
    listen: { port: 0, host: '127.0.0.1' },
    ...(options.context === false ? {} : { context: async ({ req }) => ({ req }) }),
  })
  stops.push(() => server.stop())
  const post = async (body: unknown) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
    return { status: response.status, headers: response.headers, body: (await response.json()) as any }
  }
  return { post }
}

describe('costBudgetApolloPlugin without rateLimitApolloPlugin', () => {
  it('refuses with 429, Retry-After and RateLimit headers from the error, never a 500 or an http extension', async () => {
    const { post } = await serve([
      // biome-ignore lint/suspicious/noExplicitAny: the fixture's limiter.
      (limiter: any) => costBudgetApolloPlugin({ limiter, limit: 10, window: '1h' }),
    ])
    expect((await post({ query: '{ books(first: 5) { title } }' })).status).toBe(200)
    const refused = await post({ query: '{ books(first: 6) { title } }' })
    expect(refused.status).toBe(429)
    expect(refused.headers.get('retry-after')).toBe('3600')
    expect(refused.headers.get('ratelimit')).toBe('"GraphQL.cost";r=5;t=3600')
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED', cost: 6, remaining: 5 })
    expect(refused.body.errors[0].extensions.http).toBeUndefined()
    expect(refused.body.extensions).toBeUndefined()
  })

  it('answers an operation it cannot price with 400 INVALID_SLICING_ARGUMENTS', async () => {
    const { post } = await serve([
      // biome-ignore lint/suspicious/noExplicitAny: the fixture's limiter.
      (limiter: any) => costBudgetApolloPlugin({ limiter, limit: 10, window: '1h' }),
    ])
    const refused = await post({ query: '{ books(first: -1) { title } }' })
    expect(refused.status).toBe(400)
    expect(refused.body.errors[0].extensions.code).toBe('INVALID_SLICING_ARGUMENTS')
  })
})

describe('costBudgetApolloPlugin against hostile operations', () => {
  const budget = [
    // biome-ignore lint/suspicious/noExplicitAny: the fixture's limiter.
    (limiter: any) => costBudgetApolloPlugin({ limiter, limit: 1000, window: '1h', maxAnalysisNodes: 500 }),
    rateLimitApolloPlugin(),
  ]

  it('answers bad variables with a 400, never a 500 nor a charge', async () => {
    const { post } = await serve(budget)
    const query = 'query($n: Int!) { books(first: $n) { title } }'
    for (const variables of [{ n: 'ten' }, {}, { n: 1e12 }, { n: null }]) {
      const response = await post({ query, variables })
      expect(response.status, JSON.stringify(variables)).toBe(400)
      expect(response.body.data, JSON.stringify(variables)).toBeUndefined()
    }
    const ok = await post({ query, variables: { n: 2 } })
    expect(ok.status).toBe(200)
    expect(ok.body.extensions.rateLimit.policies[0].remaining).toBe(1000 - 2) // 2 books × Book 1: nothing was charged before
  })

  it('refuses an operation too large to price with 400 QUERY_TOO_COMPLEX, before any resolver runs', async () => {
    const { post } = await serve(budget)
    const aliases = Array.from({ length: 600 }, (_, i) => `b${i}: books(first: 1) { title }`).join(' ')
    const response = await post({ query: `{ ${aliases} }` })
    expect(response.status).toBe(400)
    expect(response.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX')
  })
})

describe('rateLimitApolloPlugin', () => {
  it('keeps a batch at 200 with headers merged over its operations, and no Retry-After', async () => {
    const { post } = await serve([rateLimitApolloPlugin()], { batch: true })
    const batch = await post([{ query: '{ ping }' }, { query: '{ ping }' }])
    expect(batch.status).toBe(200)
    expect(batch.body.map((r: { data: unknown }) => r.data)).toEqual(
      expect.arrayContaining([{ ping: 'pong' }, { ping: null }]),
    )
    expect(batch.headers.get('ratelimit')).toMatch(/^"Query\.ping";r=0;t=(59|60)$/)
    expect(batch.headers.get('retry-after')).toBeNull()
  })

  it('leaves extensions.rateLimit out with extensions: false, headers and status unchanged', async () => {
    const { post } = await serve([rateLimitApolloPlugin({ extensions: false })])
    const ok = await post({ query: '{ ping }' })
    expect(ok.body).toEqual({ data: { ping: 'pong' } })
    expect(ok.headers.get('ratelimit')).toMatch(/^"Query\.ping";r=0;t=\d+$/)
    expect((await post({ query: '{ ping }' })).status).toBe(429)
  })

  it('refuses the client as unidentified (400) when the context has no request: the context line is needed', async () => {
    const { post } = await serve([rateLimitApolloPlugin()], { context: false })
    const response = await post({ query: '{ ping }' })
    expect(response.status).toBe(400)
    expect(response.body.errors[0].extensions.code).toBe('CLIENT_UNIDENTIFIED')
  })

  it('fails server.start() when the schema declares @rateLimit the transformer never applied', async () => {
    const schema = makeExecutableSchema({
      typeDefs: [rateLimitTypeDefs, 'type Query { ping: String @rateLimit(limit: 1, window: "1m") }'],
    })
    const server = new ApolloServer({ schema, plugins: [rateLimitApolloPlugin()] })
    await expect(server.start()).rejects.toMatchObject({ code: 'TRANSFORMER_NOT_APPLIED' })
  })

  it("are accepted by both majors' `plugins` option with a typed context (checked by the compiler)", () => {
    const { limiter } = memoryLimiter()
    const plugins = () => [
      rateLimitApolloPlugin(),
      costBudgetApolloPlugin({ limiter, limit: 10, window: '1m' }),
    ]
    const typeDefs = 'type Query { ping: String }'
    const v5 = new ApolloServer<{ req: IncomingMessage; userId?: string }>({ typeDefs, plugins: plugins() })
    const v4 = new ApolloServer4<{ req: IncomingMessage; userId?: string }>({ typeDefs, plugins: plugins() })
    expect([v5, v4].every((server) => typeof server.start === 'function')).toBe(true)
  })

  it('checks its options when it is built, naming the option', () => {
    expect(() => rateLimitApolloPlugin({ policies: 'some' as never })).toThrow(
      /Expected `policies` to be 'binding' or 'all', got "some"/,
    )
    expect(() => rateLimitApolloPlugin({ extensions: 'yes' as never })).toThrow(RateLimitConfigError)
    expect(() => rateLimitApolloPlugin({ status429: 1 as never })).toThrow(/`status429`/)
    expect(() => costBudgetApolloPlugin({ limit: 10, window: '1h' } as never)).toThrow(/`limiter`/)
  })
})
