import type { IncomingMessage } from 'node:http'
import { initTRPC, type TRPCError } from '@trpc/server'
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone'
import { describe, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { createRateLimiter, type RateLimitDecision } from '../../src/index.js'
import {
  getRateLimitDecision,
  type RateLimitOptions,
  type RateLimitResponseHeaders,
  rateLimit,
  rateLimitContext,
} from '../../src/trpc/index.js'

const limiter = createRateLimiter()

interface Ctx {
  user?: { id: string }
  tenant: string
}
const t = initTRPC.context<Ctx>().create()

describe('types of the tRPC middleware', () => {
  it('adds ctx.rateLimit, a decision or null, and keeps the user context', () => {
    t.procedure.use(rateLimit({ limiter, limit: 10, window: '1m' })).query(({ ctx }) => {
      expectTypeOf(ctx.rateLimit).toEqualTypeOf<RateLimitDecision | null>()
      expectTypeOf(ctx.tenant).toEqualTypeOf<string>()
      expectTypeOf(ctx.user).toEqualTypeOf<{ id: string } | undefined>()
      return null
    })
  })

  it('keeps ctx.rateLimit through later middlewares and inputs', () => {
    t.procedure
      .use(rateLimit({ limiter, limit: 10, window: '1m' }))
      .use(({ next }) => next({ ctx: { extra: 1 } }))
      .input(z.object({ n: z.number() }))
      .mutation(({ ctx, input }) => {
        expectTypeOf(ctx.rateLimit).toEqualTypeOf<RateLimitDecision | null>()
        expectTypeOf(ctx.extra).toEqualTypeOf<number>()
        expectTypeOf(input).toEqualTypeOf<{ n: number }>()
        return null
      })
  })

  it('types identify and the cost function with the context they are given', () => {
    const options: RateLimitOptions<Ctx> = {
      limiter,
      limit: 5,
      window: '1m',
      identify: (ctx) => `tenant:${ctx.tenant}`,
      cost: (_input, info) => (info.ctx.tenant === 'big' ? 2 : 1),
    }
    t.procedure.use(rateLimit(options))
  })

  it('rejects a middleware whose identify needs a context the procedure does not have', () => {
    const other = initTRPC.context<{ somethingElse: number }>().create()
    const identify = (ctx: Ctx) => ctx.tenant
    // @ts-expect-error `tenant` is missing from this procedure's context
    other.procedure.use(rateLimit({ limiter, limit: 1, window: '1s', identify }))
  })

  it('rejects options that do not type-check', () => {
    // @ts-expect-error `limiter` is required
    rateLimit({ limit: 1, window: '1s' })
    // @ts-expect-error `window` is a duration
    rateLimit({ limiter, limit: 1, window: true })
    // @ts-expect-error unknown algorithm
    rateLimit({ limiter, limit: 1, window: '1s', algorithm: 'leaky-bucket' })
  })

  it('gives createContext the request and the headers collector', () => {
    const ctx = rateLimitContext({} as CreateHTTPContextOptions)
    expectTypeOf(ctx.req).toEqualTypeOf<IncomingMessage>()
    expectTypeOf(ctx.rateLimitHeaders).toEqualTypeOf<RateLimitResponseHeaders>()
  })

  it('reads the decision back from an error', () => {
    expectTypeOf(getRateLimitDecision({} as TRPCError)).toEqualTypeOf<RateLimitDecision | undefined>()
  })
})
