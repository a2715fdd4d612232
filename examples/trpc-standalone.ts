/**
 * tRPC standalone server and client, rate-limited per procedure.
 *
 *   npx tsx examples/trpc-standalone.ts
 *
 * Starts a server on a free port (memory store), calls `search` until it is refused, sends one
 * batch, prints what the client saw (status, headers, error) and exits. In your app, import from
 * 'resolver-rate-limit' and 'resolver-rate-limit/trpc'; with several servers, pass
 * `store: new RedisStore({ client: new Redis(url, { enableOfflineQueue: false }) })`.
 */
import type { AddressInfo } from 'node:net'
import { createTRPCClient, httpBatchLink, httpLink, TRPCClientError } from '@trpc/client'
import { initTRPC } from '@trpc/server'
import { type CreateHTTPContextOptions, createHTTPServer } from '@trpc/server/adapters/standalone'
import { z } from 'zod'
import { createRateLimiter } from '../src/index.js'
import { rateLimit, rateLimitContext, rateLimitErrorData } from '../src/trpc/index.js'

// ---- server ----
const limiter = createRateLimiter() // in memory; one process

function createContext(opts: CreateHTTPContextOptions) {
  const id = opts.req.headers['x-user-id'] // stand-in for your session lookup
  // rateLimitContext: keeps `req` (client IP for anonymous callers) and collects the headers.
  return { ...rateLimitContext(opts), user: typeof id === 'string' ? { id } : undefined }
}

const t = initTRPC.context<typeof createContext>().create({
  // Optional: send retryAfter/limit/remaining to the client in error.data.rateLimit.
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, rateLimit: rateLimitErrorData(error) },
  }),
})

// One middleware on a base procedure: every procedure gets its own budget, named after its path.
const limited = t.procedure.use(rateLimit({ limiter, limit: 3, window: '10s' }))

const appRouter = t.router({
  search: limited
    .input(z.object({ q: z.string() }))
    .query(({ input, ctx }) => ({ hits: [`${input.q}…`], remaining: ctx.rateLimit?.remaining })),
  post: t.router({
    // Burst and sustained limits, checked atomically.
    create: t.procedure
      .use(
        rateLimit({
          limiter,
          rules: [
            { limit: 2, window: '10s' },
            { limit: 20, window: '1h' },
          ],
        }),
      )
      .input(z.object({ title: z.string() }))
      .mutation(({ input }) => ({ id: 1, title: input.title })),
  }),
  // Cost from the input: exporting 300 rows spends 300 of 1000 per minute.
  exportRows: t.procedure
    .input(z.object({ rows: z.number().int().min(1).max(1000) }))
    .use(rateLimit({ limiter, limit: 1000, window: '1m', cost: (input) => (input as { rows: number }).rows }))
    .mutation(({ input }) => `exported ${input.rows} rows`),
})
export type AppRouter = typeof appRouter

const server = createHTTPServer({ router: appRouter, createContext })
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

// ---- client ----
/** Prints the status and rate-limit headers of every HTTP response. */
const logged = async (input: Request | URL | string, init?: RequestInit): Promise<Response> => {
  const response = await fetch(input, init)
  const h = (name: string) => response.headers.get(name) ?? '-'
  console.log(`  HTTP ${response.status}  RateLimit: ${h('ratelimit')}  Retry-After: ${h('retry-after')}`)
  return response
}
const headers = { 'x-user-id': 'alice' }
const client = createTRPCClient<AppRouter>({ links: [httpLink({ url, headers, fetch: logged })] })
const batching = createTRPCClient<AppRouter>({ links: [httpBatchLink({ url, headers, fetch: logged })] })

console.log('search until refused:')
for (let i = 1; ; i++) {
  try {
    const result = await client.search.query({ q: `query ${i}` })
    console.log(`  call ${i}: ok, ${result.remaining} left`)
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error
    console.log(
      `  call ${i}: ${error.data?.code} "${error.message}" retryAfter=${error.data?.rateLimit?.retryAfter}`,
    )
    break
  }
}

console.log('one batch of three post.create calls (limit 2): one request, per-call results, merged headers:')
const outcomes = await Promise.allSettled(
  [1, 2, 3].map((n) => batching.post.create.mutate({ title: `post ${n}` })),
)
console.log(
  `  ${outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as TRPCClientError<AppRouter>).data?.code)).join(', ')}`,
)

console.log('input-based cost:')
console.log(`  ${await client.exportRows.mutate({ rows: 300 })}`)

server.close()
await limiter.close()
