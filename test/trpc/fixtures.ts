import type { AddressInfo } from 'node:net'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { type CreateHTTPContextOptions, createHTTPServer } from '@trpc/server/adapters/standalone'
import { z } from 'zod'
import { createRateLimiter, type RateLimiter, type RateLimiterOptions, RedisStore } from '../../src/index.js'
import {
  type RateLimitResponseHeaders,
  rateLimit,
  rateLimitContext,
  rateLimitErrorData,
} from '../../src/trpc/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

/** The test app's context: a user from the `x-user` header (or SSE connection params) and the headers helper. */
export interface Ctx {
  user?: { id: string }
  rateLimitHeaders?: RateLimitResponseHeaders
}

const userOf = (id: unknown): Ctx['user'] => (typeof id === 'string' && id !== '' ? { id } : undefined)

/**
 * Budgets: `a`/`b`/`create`/`ticks` 2 per minute each (per path), `s1`+`s2` 3 per minute shared,
 * `tight` 1 per 30 s, `bulk` 5 items per minute, `free` unlimited.
 */
export function makeRouter(limiter: RateLimiter) {
  const t = initTRPC.context<Ctx>().create({
    sse: { ping: { enabled: false }, client: { reconnectAfterInactivityMs: 60_000 } },
    errorFormatter: ({ shape, error }) => ({
      ...shape,
      data: { ...shape.data, rateLimit: rateLimitErrorData(error) },
    }),
  })
  const perPath = t.procedure.use(rateLimit({ limiter, limit: 2, window: '1m' }))
  const shared = t.procedure.use(rateLimit({ limiter, limit: 3, window: '1m', name: 'shared' }))
  const items = z.object({ items: z.array(z.string()) })
  const cost = (input: unknown) => (input as z.infer<typeof items>).items.length
  return t.router({
    a: perPath.query(({ ctx }) => ctx.rateLimit?.remaining ?? -1),
    b: perPath.query(({ ctx }) => ctx.rateLimit?.remaining ?? -1),
    s1: shared.query(() => 's1'),
    s2: shared.query(() => 's2'),
    tight: t.procedure.use(rateLimit({ limiter, limit: 1, window: '30s' })).query(() => 'tight'),
    free: t.procedure.query(() => 'free'),
    create: perPath.input(z.object({ title: z.string() })).mutation(({ input }) => input.title),
    bulk: t.procedure
      .input(items)
      .use(rateLimit({ limiter, limit: 5, window: '1m', cost }))
      .mutation(({ ctx }) => ctx.rateLimit?.remaining ?? -1),
    ticks: perPath.subscription(async function* () {
      yield 1
      yield 2
    }),
  })
}

export type AppRouter = ReturnType<typeof makeRouter>

/** A limiter on the tests' Redis with a private key prefix. */
export async function redisLimiter(options: Omit<RateLimiterOptions, 'store'> = {}) {
  const client = await ready(redisClient())
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix: uniquePrefix('trpc'),
    logger: false,
    ...options,
  })
  return {
    limiter,
    close: async () => {
      await limiter.close()
      client.disconnect()
    },
  }
}

/** The standalone adapter on a free port, with the one-line context helper. */
export async function startStandalone(router: AppRouter, createContext = standaloneContext) {
  const server = createHTTPServer({ router, createContext, basePath: '/trpc/' })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/trpc`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function standaloneContext(opts: CreateHTTPContextOptions): Ctx {
  const user = opts.req.headers['x-user'] ?? opts.info.connectionParams?.user
  return { ...rateLimitContext(opts), user: userOf(user) }
}

/** A `fetch` that serves requests with the fetch adapter in process: a real client, no socket. */
export function fetchAdapter(router: AppRouter, options?: Parameters<typeof rateLimitContext>[1]) {
  return (input: Request | URL | string, init?: RequestInit): Promise<Response> =>
    fetchRequestHandler({
      endpoint: '/trpc',
      req: new Request(input, init),
      router,
      createContext: (opts) => ({
        ...rateLimitContext(opts, options),
        user: userOf(opts.req.headers.get('x-user')),
      }),
    })
}

/** What a client saw on the wire. */
export interface Seen {
  status: number
  headers: Headers
  url: string
}

/** Wraps a fetch and records every response's status and headers. */
export function recording(
  inner: (input: Request | URL | string, init?: RequestInit) => Promise<Response> = fetch,
) {
  const seen: Seen[] = []
  const record = async (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
    const response = await inner(input, init)
    seen.push({ status: response.status, headers: response.headers, url: String(input) })
    return response
  }
  return { fetch: record, seen }
}

/** Settles a promise into `{ ok, value }` or `{ ok: false, error }` so a batch can be inspected as a whole. */
export async function settle<T>(
  promise: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise }
  } catch (error) {
    return { ok: false, error }
  }
}
