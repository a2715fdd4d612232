/**
 * `app/api/trpc/[trpc]/route.ts` of a Next.js App Router app: tRPC's fetch adapter in a route
 * handler. Next.js calls `GET`/`POST` with a Web `Request`; the rate-limit headers
 * (`RateLimit`, `RateLimit-Policy`, `Retry-After`) reach the response through `resHeaders`, and a
 * refusal is HTTP 429. Nothing here is specific to Next.js beyond the file's place.
 */
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { appRouter, createContext } from '../../../../server/router.js'

function handler(req: Request): Promise<Response> {
  return fetchRequestHandler({ endpoint: '/api/trpc', req, router: appRouter, createContext })
}

export { handler as GET, handler as POST }
