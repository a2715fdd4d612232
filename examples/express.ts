/**
 * tRPC on Express (`@trpc/server/adapters/express`), rate-limited per caller behind a local proxy.
 *
 *   npx tsx examples/express.ts                                        (memory store)
 *   REDIS_URL=redis://localhost:6379 npx tsx examples/express.ts       (ioredis)
 *
 * Starts Express on a free port, calls it over HTTP as a proxy on this host would (appending the
 * client's address to X-Forwarded-For), prints what the client saw, and exits. In your app, import
 * from 'resolver-rate-limit' and 'resolver-rate-limit/trpc'.
 */
import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client'
import { initTRPC } from '@trpc/server'
import { type CreateExpressContextOptions, createExpressMiddleware } from '@trpc/server/adapters/express'
import express from 'express'
import { z } from 'zod'
import { createIdentify, createRateLimiter, MemoryStore, RedisStore } from '../src/index.js'
import { rateLimit, rateLimitContext, rateLimitErrorData } from '../src/trpc/index.js'

// ---- server ----
const redis = process.env.REDIS_URL
  ? new (await import('ioredis')).Redis(process.env.REDIS_URL, { enableOfflineQueue: false })
  : undefined
redis?.on('error', (error: Error) => console.error(`redis: ${error.message}`))
if (redis) await new Promise((resolve) => redis.once('ready', resolve)) // until then: answered in-process

const limiter = createRateLimiter({
  store: redis ? new RedisStore({ client: redis }) : new MemoryStore(),
  prefix: `example:express:${randomUUID().slice(0, 8)}:`, // a fresh budget per run of this example
  // The proxy (nginx) runs on this host: a connection from loopback is the proxy, and the address
  // it appended to X-Forwarded-For is the client. Entries to its left came from the client and are
  // ignored. (Independent of Express's own 'trust proxy' setting: the limiter reads the socket.)
  identify: createIdentify({ trustProxy: 'loopback' }),
})

function createContext(opts: CreateExpressContextOptions) {
  const id = opts.req.headers['x-user-id'] // stand-in for your session lookup
  // rateLimitContext keeps `req` (the client IP) and writes the headers to `res`.
  return { ...rateLimitContext(opts), user: typeof id === 'string' ? { id } : undefined }
}

const t = initTRPC.context<typeof createContext>().create({
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, rateLimit: rateLimitErrorData(error) },
  }),
})
const appRouter = t.router({
  search: t.procedure
    .use(rateLimit({ limiter, limit: 2, window: '30s' }))
    .input(z.object({ q: z.string() }))
    .query(({ input, ctx }) => ({ hits: [`${input.q}…`], remaining: ctx.rateLimit?.remaining })),
})
type AppRouter = typeof appRouter

const app = express()
app.use('/trpc', createExpressMiddleware({ router: appRouter, createContext }))
const server = app.listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`

// ---- clients, as the proxy forwards them ----
function clientAt(address: string, forged?: string) {
  const viaProxy = async (input: Request | URL | string, init?: RequestInit) => {
    const headers = new Headers(init?.headers)
    headers.set('x-forwarded-for', forged ? `${forged}, ${address}` : address)
    const response = await fetch(input, { ...init, headers })
    const h = (name: string) => response.headers.get(name) ?? '-'
    console.log(`  HTTP ${response.status}  RateLimit: ${h('ratelimit')}  Retry-After: ${h('retry-after')}`)
    return response
  }
  return createTRPCClient<AppRouter>({ links: [httpBatchLink({ url, fetch: viaProxy })] })
}

async function search(client: ReturnType<typeof clientAt>, label: string) {
  try {
    const result = await client.search.query({ q: label })
    console.log(`  ${label}: ok, ${result.remaining} left`)
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error
    console.log(`  ${label}: ${error.data?.code} retryAfter=${error.data?.rateLimit?.retryAfter}`)
  }
}

console.log('client 203.0.113.7 (limit 2 per 30 s), the third call with a forged X-Forwarded-For:')
await search(clientAt('203.0.113.7'), 'call 1')
await search(clientAt('203.0.113.7'), 'call 2')
await search(clientAt('203.0.113.7', '198.51.100.1'), 'call 3')
console.log('client 203.0.113.8:')
await search(clientAt('203.0.113.8'), 'call 1')

await new Promise((resolve) => server.close(resolve))
await limiter.close()
redis?.disconnect()
