/**
 * The README's client-side section (docs/clients.md), checked with the real clients
 * against real servers over HTTP: what Apollo Client 4, urql, graphql-request and the tRPC client
 * see when a request is refused (the table), and the two retry links — the code of the README's
 * ```ts blocks itself, written to files and imported, not a copy.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, gql, HttpLink, InMemoryCache } from '@apollo/client'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError, type TRPCLink } from '@trpc/client'
import { type AnyTRPCRouter, initTRPC } from '@trpc/server'
import { type CreateHTTPContextOptions, createHTTPServer } from '@trpc/server/adapters/standalone'
import { Client, CombinedError, fetchExchange } from '@urql/core'
import { ClientError, GraphQLClient } from 'graphql-request'
import { createYoga } from 'graphql-yoga'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rateLimitDirective, useRateLimitHeaders } from '../../src/graphql/index.js'
import { createRateLimiter } from '../../src/index.js'
import { rateLimit, rateLimitContext, rateLimitErrorData } from '../../src/trpc/index.js'
import { extractSnippets, ROOT } from '../docs/snippets.js'

interface ApolloSnippet {
  refusedFor(result: ApolloLink.Result): number | undefined
  retryAfterLink(maxWaitMs?: number): ApolloLink
}
interface TrpcSnippet {
  retryAfterOf(error: unknown): number | undefined
  retryAfterLink<TRouter extends AnyTRPCRouter>(maxWaitMs?: number): TRPCLink<TRouter>
}

const SNIPPETS = join(ROOT, '.tmp', `reach-clients-${process.pid}`)

/** The README part's ```ts blocks, in order, as importable modules. */
async function readmeSnippets(): Promise<{ apollo: ApolloSnippet; trpc: TrpcSnippet }> {
  const blocks = extractSnippets(readFileSync(join(ROOT, 'docs/clients.md'), 'utf8'))
  expect(blocks).toHaveLength(2)
  mkdirSync(SNIPPETS, { recursive: true })
  const load = async (name: string, code: string) => {
    writeFileSync(join(SNIPPETS, `${name}.ts`), code)
    return import(join(SNIPPETS, `${name}.ts`))
  }
  return {
    apollo: (await load('apollo', blocks[0]!.code)) as ApolloSnippet,
    trpc: (await load('trpc', blocks[1]!.code)) as TrpcSnippet,
  }
}

// ---- servers ----
const typeDefs = /* GraphQL */ `
  type Query {
    search(q: String!): String @rateLimit(limit: 1, window: "1s")
    ping: String
    report: String @rateLimit(limit: 1, window: "1h")
  }
`
const resolvers = {
  Query: {
    search: (_: unknown, { q }: { q: string }) => `found ${q}`,
    ping: () => 'pong',
    report: () => 'ok',
  },
}

function graphqlServer(): Server {
  const { typeDefs: directive, transformer } = rateLimitDirective({ limiter: createRateLimiter() })
  const schema = transformer(makeExecutableSchema({ typeDefs: [directive, typeDefs], resolvers }))
  return createServer(createYoga({ schema, plugins: [useRateLimitHeaders()], logging: false }))
}

function trpcRouter() {
  const limiter = createRateLimiter()
  const t = initTRPC.context<ReturnType<typeof rateLimitContext<CreateHTTPContextOptions['req']>>>().create({
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: { ...shape.data, rateLimit: rateLimitErrorData(error) },
    }),
  })
  return t.router({
    search: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1s' })).query(() => 'found'),
    report: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1h' })).query(() => 'ok'),
    broken: t.procedure.query(() => {
      throw new Error('boom')
    }),
  })
}
type TrpcRouter = ReturnType<typeof trpcRouter>

let graphqlUrl: string
let trpcUrl: string
const servers: Server[] = []
let snippets: Awaited<ReturnType<typeof readmeSnippets>>

async function listen(server: Server): Promise<string> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

beforeAll(async () => {
  snippets = await readmeSnippets()
  graphqlUrl = `${await listen(graphqlServer())}/graphql`
  trpcUrl = await listen(
    createHTTPServer({ router: trpcRouter(), createContext: (opts) => rateLimitContext(opts) }),
  )
})
afterAll(async () => {
  for (const server of servers) await new Promise((resolve) => server.close(resolve))
  rmSync(SNIPPETS, { recursive: true, force: true })
})

// Every client connects from 127.0.0.1: one budget per field. The 1-second `search` budget is
// spent by the first call after a fresh window; the hour-long `report` budget by the first call.
async function waitForFreshWindow(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1_050))
}

describe('what each client sees when a GraphQL request is refused (HTTP 429)', () => {
  it('Apollo Client 4: CombinedGraphQLErrors with extensions.code RATE_LIMITED and retryAfter', async () => {
    const client = new ApolloClient({ link: new HttpLink({ uri: graphqlUrl }), cache: new InMemoryCache() })
    const query = gql`{ report }`
    await client.query({ query, fetchPolicy: 'network-only' }).catch(() => undefined) // spends the hour's budget
    const error = await client.query({ query, fetchPolicy: 'network-only' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CombinedGraphQLErrors)
    const { errors } = error as CombinedGraphQLErrors
    expect(errors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: expect.any(Number) })
    expect(errors[0]!.extensions!.retryAfter).toBeGreaterThan(3500)
    // With errorPolicy 'all' the error is in the result, next to partial data (HTTP 200 then).
    const partial = await client.query({
      query: gql`{ report ping }`,
      fetchPolicy: 'network-only',
      errorPolicy: 'all',
    })
    expect(partial.data).toEqual({ report: null, ping: 'pong' })
    expect(CombinedGraphQLErrors.is(partial.error)).toBe(true)
  })

  it('urql: result.error, a CombinedError with the GraphQL errors and the 429 response', async () => {
    await waitForFreshWindow()
    const client = new Client({ url: graphqlUrl, exchanges: [fetchExchange], requestPolicy: 'network-only' })
    await client.query('{ search(q: "a") }', {}).toPromise()
    const result = await client.query('{ search(q: "b") }', {}).toPromise()
    expect(result.error).toBeInstanceOf(CombinedError)
    expect(result.error!.graphQLErrors[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 })
    const response = result.error!.response as Response
    expect(response.status).toBe(429)
    expect(response.headers.get('retry-after')).toBe('1')
  })

  it('graphql-request: a thrown ClientError with the errors, status 429 and the headers', async () => {
    await waitForFreshWindow()
    const client = new GraphQLClient(graphqlUrl)
    await client.request('{ search(q: "a") }')
    const error = await client.request('{ search(q: "b") }').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ClientError)
    const { response } = error as ClientError
    expect(response.status).toBe(429)
    expect(response.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfter: 1 })
    expect(response.headers.get('retry-after')).toBe('1')
  })
})

describe('what the tRPC client sees when a call is refused', () => {
  it('a TRPCClientError TOO_MANY_REQUESTS with data.rateLimit and the 429 response in meta', async () => {
    const client = createTRPCClient<TrpcRouter>({ links: [httpLink({ url: trpcUrl })] })
    await client.report.query().catch(() => undefined)
    const error = await client.report.query().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TRPCClientError)
    const { data, meta } = error as TRPCClientError<TrpcRouter>
    expect(data).toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      httpStatus: 429,
      rateLimit: { retryAfter: 3600 },
    })
    expect((meta as { response: Response }).response.headers.get('retry-after')).toBe('3600')
    expect(snippets.trpc.retryAfterOf(error)).toBe(3600)
  })
})

describe("the README's Apollo retryAfterLink", () => {
  it('waits retryAfter and retries once: the second attempt is admitted', async () => {
    await waitForFreshWindow()
    const client = new ApolloClient({
      link: ApolloLink.from([snippets.apollo.retryAfterLink(), new HttpLink({ uri: graphqlUrl })]),
      cache: new InMemoryCache(),
    })
    expect(
      (await client.query({ query: gql`{ search(q: "a") }`, fetchPolicy: 'network-only' })).data,
    ).toEqual({
      search: 'found a',
    })
    const started = performance.now()
    const second = await client.query({ query: gql`{ search(q: "b") }`, fetchPolicy: 'network-only' })
    expect(second.data).toEqual({ search: 'found b' })
    expect(performance.now() - started).toBeGreaterThanOrEqual(900)
  })

  it('hands the refusal on at once when the wait is longer than maxWaitMs, and keeps partial data', async () => {
    const client = new ApolloClient({
      link: ApolloLink.from([snippets.apollo.retryAfterLink(10_000), new HttpLink({ uri: graphqlUrl })]),
      cache: new InMemoryCache(),
    })
    const started = performance.now()
    const error = await client
      .query({ query: gql`{ report }`, fetchPolicy: 'network-only' })
      .catch((e: unknown) => e)
    expect(CombinedGraphQLErrors.is(error)).toBe(true)
    expect(performance.now() - started).toBeLessThan(500)
    expect(snippets.apollo.refusedFor({ data: { report: null, ping: 'pong' }, errors: [] })).toBeUndefined()
    expect(
      snippets.apollo.refusedFor({
        data: { report: null },
        errors: [{ message: 'x', extensions: { code: 'RATE_LIMITED', retryAfter: -1 } }],
      }),
    ).toBeUndefined()
  })
})

describe("the README's tRPC retryAfterLink", () => {
  it('waits Retry-After and retries once, in a batch too', async () => {
    await waitForFreshWindow()
    const client = createTRPCClient<TrpcRouter>({
      links: [snippets.trpc.retryAfterLink(), httpBatchLink({ url: trpcUrl })],
    })
    // Two calls in one batch (HTTP 207): one admitted, the other retried a second later.
    const started = performance.now()
    expect(await Promise.all([client.search.query(), client.search.query()])).toEqual(['found', 'found'])
    expect(performance.now() - started).toBeGreaterThanOrEqual(900)
  })

  it('hands other errors, and waits longer than maxWaitMs, on at once', async () => {
    const client = createTRPCClient<TrpcRouter>({
      links: [snippets.trpc.retryAfterLink(), httpLink({ url: trpcUrl })],
    })
    await client.report.query().catch(() => undefined)
    const started = performance.now()
    const broken = await client.broken.query().catch((e: unknown) => e)
    const report = await client.report.query().catch((e: unknown) => e) // refused for an hour
    expect((broken as TRPCClientError<TrpcRouter>).data?.code).toBe('INTERNAL_SERVER_ERROR')
    expect((report as TRPCClientError<TrpcRouter>).data?.code).toBe('TOO_MANY_REQUESTS')
    expect(performance.now() - started).toBeLessThan(500)
  })
})
