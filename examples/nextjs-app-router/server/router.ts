/**
 * The tRPC router of the Next.js example: `search` is limited to 3 calls per minute per caller
 * (a signed-in user by id, else the client IP).
 */
import { initTRPC } from '@trpc/server'
import type { FetchCreateContextFnOptions } from '@trpc/server/adapters/fetch'
import { z } from 'zod'
import { rateLimit, rateLimitContext, rateLimitErrorData } from '../../../src/trpc/index.js'
import { limiter } from './limiter.js'

/** The context of one request: `rateLimitContext` keeps `req` and writes headers to `resHeaders`. */
export function createContext(opts: FetchCreateContextFnOptions) {
  const session = opts.req.headers.get('x-session-user') // stand-in for your auth
  return { ...rateLimitContext(opts), user: session ? { id: session } : undefined }
}

const t = initTRPC.context<typeof createContext>().create({
  // The client reads retryAfter/limit/remaining in error.data.rateLimit.
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, rateLimit: rateLimitErrorData(error) },
  }),
})

export const appRouter = t.router({
  search: t.procedure
    .use(rateLimit({ limiter, limit: 3, window: '1m' }))
    .input(z.object({ q: z.string() }))
    .query(({ input, ctx }) => ({ hits: [`${input.q}…`], remaining: ctx.rateLimit?.remaining })),
})
export type AppRouter = typeof appRouter
