/**
 * Next.js App Router + tRPC, rate-limited by client IP behind your proxy.
 *
 *   npx tsx examples/nextjs-app-router.ts            (memory store)
 *   REDIS_URL=redis://localhost:6379 npx tsx examples/nextjs-app-router.ts   (node-redis)
 *
 * The app lives in examples/nextjs-app-router/: the route handler
 * `app/api/trpc/[trpc]/route.ts`, the router and the limiter in `server/`. This script does what
 * Next.js does with that file: it calls its `GET`/`POST` exports with Web `Request`s, here from
 * the real tRPC client, each carrying the `X-Forwarded-For` your proxy appends. It prints what the
 * client saw. (Next.js itself is not needed to run it.)
 */
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client'
import { GET, POST } from './nextjs-app-router/app/api/trpc/[trpc]/route.js'
import { limiter, ready, redis } from './nextjs-app-router/server/limiter.js'
import type { AppRouter } from './nextjs-app-router/server/router.js'

await ready

/**
 * A client at `address` behind one proxy: the client may send any X-Forwarded-For of its own
 * (`claims`); the proxy appends the address it saw, as nginx's `$proxy_add_x_forwarded_for` does.
 */
function clientAt(address: string, claims?: () => string) {
  const fetchThroughProxy = async (input: Request | URL | string, init?: RequestInit) => {
    const request = new Request(input, init)
    const claimed = claims?.()
    request.headers.set('x-forwarded-for', claimed ? `${claimed}, ${address}` : address)
    const response = await (request.method === 'GET' ? GET(request) : POST(request))
    const h = (name: string) => response.headers.get(name) ?? '-'
    console.log(
      `  HTTP ${response.status}  X-Forwarded-For: ${request.headers.get('x-forwarded-for')}  RateLimit: ${h('ratelimit')}  Retry-After: ${h('retry-after')}`,
    )
    return response
  }
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: 'http://localhost:3000/api/trpc', fetch: fetchThroughProxy })],
  })
}

async function searchUntilRefused(client: ReturnType<typeof clientAt>, calls: number) {
  for (let i = 1; i <= calls; i++) {
    try {
      const result = await client.search.query({ q: `query ${i}` })
      console.log(`  call ${i}: ok, ${result.remaining} left`)
    } catch (error) {
      if (!(error instanceof TRPCClientError)) throw error
      console.log(`  call ${i}: ${error.data?.code} retryAfter=${error.data?.rateLimit?.retryAfter}`)
    }
  }
}

let fake = 0
console.log('client 203.0.113.7, sending a different forged X-Forwarded-For each time:')
await searchUntilRefused(
  clientAt('203.0.113.7', () => `198.51.100.${++fake}`),
  4,
)
console.log('client 203.0.113.8 (its own budget):')
await searchUntilRefused(clientAt('203.0.113.8'), 1)

await limiter.close()
redis?.destroy()
