/**
 * The demo's tRPC router at `/trpc`: per-procedure limits on the same limiter as the GraphQL API.
 * Limits are the free tier; the pro plan scales them (see identity.ts).
 */
import { initTRPC } from '@trpc/server'
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone'
import { z } from 'zod'
import type { RateLimiter, RateLimitRule } from '../../src/index.js'
import { concurrencyLimit, rateLimit, rateLimitContext, rateLimitErrorData } from '../../src/trpc/index.js'
import { addReview, books, exportCatalog, findBook, searchBooks } from './catalog.js'
import { LAB_VIEWS, labPage, labRule, labUsage } from './lab.js'

/** `req` for the client IP and API key, and the collector of this response's rate-limit headers. */
export function createContext(opts: CreateHTTPContextOptions) {
  return rateLimitContext(opts)
}

const t = initTRPC.context<typeof createContext>().create({
  // No stack traces in error bodies, so `curl -i` shows what a production client sees.
  isDev: false,
  // Lets clients read retryAfter, limit and remaining from error.data.rateLimit.
  errorFormatter: ({ shape, error }) => ({
    ...shape,
    data: { ...shape.data, rateLimit: rateLimitErrorData(error) },
  }),
})

/** Builds the router; the type of its result is what the client imports. */
export function createRouter(limiter: RateLimiter) {
  // One middleware on a base procedure: every procedure gets its own budget of 10 per minute,
  // named after its path (book.list, book.byId, book.search).
  const limited = t.procedure.use(rateLimit({ limiter, limit: 10, window: '1m' }))

  return t.router({
    book: t.router({
      list: limited.query(() => books),
      byId: limited.input(z.object({ id: z.string() })).query(({ input }) => findBook(input.id) ?? null),
      search: limited
        .input(z.object({ q: z.string() }))
        .query(({ input, ctx }) => ({ hits: searchBooks(input.q), remaining: ctx.rateLimit?.remaining })),
    }),
    review: t.router({
      // Same name, limit and window as the GraphQL bucket "reviews": one budget of 3 per minute for
      // Mutation.addReview and review.add together.
      add: t.procedure
        .use(rateLimit({ limiter, name: 'reviews', limit: 3, window: '1m' }))
        .input(
          z.object({
            bookId: z.string(),
            stars: z.number().int().min(1).max(5),
            text: z.string().default(''),
          }),
        )
        .mutation(({ input }) => addReview(input.bookId, input.stars, input.text)),
    }),
    order: t.router({
      // Payments: burst and sustained, and refuse rather than guess while Redis is down.
      checkout: t.procedure
        .use(
          rateLimit({
            limiter,
            rules: [
              { limit: 2, window: '10s' },
              { limit: 20, window: '1h' },
            ],
            onStoreError: 'closed',
          }),
        )
        .input(z.object({ bookIds: z.array(z.string()).min(1).max(10) }))
        .mutation(({ input }) => ({
          orderId: `order-${Date.now().toString(36)}`,
          total: input.bookIds.reduce((sum, id) => sum + (findBook(id)?.price ?? 0), 0),
        })),
    }),
    // Cost from the input: 1 000 rows per hour, an export of n rows spends n. At most 2 exports
    // running at once per caller; a third is refused and gets its rows back (the rate check first).
    exportRows: t.procedure
      .input(z.object({ rows: z.number().int().min(1).max(1000), format: z.string().default('csv') }))
      .use(
        rateLimit({ limiter, limit: 1000, window: '1h', cost: (input) => (input as { rows: number }).rows }),
      )
      .use(concurrencyLimit({ limiter, max: 2 }))
      .mutation(async ({ input }) => ({ ...(await exportCatalog(input.format)), rows: input.rows })),
    lab: createLabRouter(limiter),
  })
}

/** The demo page's procedures (lab.ts): one limited query per algorithm, the views, the usage. */
function createLabRouter(limiter: RateLimiter) {
  const limitedQuery = (rule: RateLimitRule) =>
    t.procedure
      .use(rateLimit({ limiter, rules: [rule] }))
      .query(({ ctx }) => ({ remaining: ctx.rateLimit?.remaining }))
  const limited: Record<string, ReturnType<typeof limitedQuery>> = {}
  for (const view of LAB_VIEWS) limited[view.id] = limitedQuery(labRule(view))
  return t.router({
    ...limited,
    page: t.procedure.query(() => labPage()),
    usage: t.procedure
      .input(z.object({ view: z.string().max(64) }))
      .query(({ input, ctx }) => labUsage(limiter, ctx, input.view)),
  })
}

export type DemoRouter = ReturnType<typeof createRouter>
