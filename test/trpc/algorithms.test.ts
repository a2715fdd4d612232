import { initTRPC, TRPCError } from '@trpc/server'
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, RateLimitConfigError, type RateLimiter } from '../../src/index.js'
import { rateLimit, TRPCRateLimitedCause } from '../../src/trpc/index.js'
import { manualClock } from '../helpers.js'

interface Ctx {
  user?: { id: string }
}

const t = initTRPC.context<Ctx>().create()
const limiters: RateLimiter[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()))
})

function memoryLimiter(start = Date.UTC(2026, 2, 31, 21, 59, 0)) {
  const clock = manualClock(start)
  const limiter = createRateLimiter({ store: new MemoryStore({ clock, sweepIntervalMs: 0 }), logger: false })
  limiters.push(limiter)
  return { limiter, clock }
}

async function causeOf(promise: Promise<unknown>): Promise<TRPCRateLimitedCause> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof TRPCError) || !(error.cause instanceof TRPCRateLimitedCause))
    throw new Error(`Expected a rate-limit TRPCError, got ${String(error)}`)
  return error.cause
}

describe('rateLimit with a calendar period or a token bucket', () => {
  it('counts a monthly quota in a time zone and shows it in ctx.rateLimit; the quota is back on the 1st', async () => {
    // 23:59 on 31 March in Berlin (21:59 UTC, summer time): the month ends in 60 s.
    const { limiter, clock } = memoryLimiter()
    const limited = t.procedure.use(
      rateLimit({ limiter, limit: 2, period: 'month', timeZone: 'Europe/Berlin' }),
    )
    const router = t.router({
      go: limited.query(({ ctx }) => ({
        remaining: ctx.rateLimit?.remaining,
        resetMs: ctx.rateLimit?.resetMs,
        period: ctx.rateLimit?.rule.calendar?.period,
      })),
    })
    const caller = t.createCallerFactory(router)({ user: { id: '1' } })
    expect(await caller.go()).toEqual({ remaining: 1, resetMs: 60_000, period: 'month' })
    await caller.go()
    const cause = await causeOf(caller.go())
    expect(cause.retryAfter).toBe(60)
    clock.advance(60_000)
    // April has 30 days.
    expect(await caller.go()).toEqual({ remaining: 1, resetMs: 30 * 86_400_000, period: 'month' })
  })

  it('smooths calls with a token bucket: a burst, then one call per refill', async () => {
    const { limiter, clock } = memoryLimiter()
    const limited = t.procedure.use(
      rateLimit({ limiter, limit: 1, window: '2s', algorithm: 'token-bucket', burst: 3 }),
    )
    const router = t.router({ go: limited.query(({ ctx }) => ctx.rateLimit?.remaining) })
    const caller = t.createCallerFactory(router)({ user: { id: '1' } })
    expect([await caller.go(), await caller.go(), await caller.go()]).toEqual([2, 1, 0])
    expect((await causeOf(caller.go())).decision.retryAfterMs).toBe(2000)
    clock.advance(2000)
    expect(await caller.go()).toBe(0)
  })

  it('takes a period in `rules`, keeping the default algorithm for the windowed rules only', async () => {
    const { limiter } = memoryLimiter()
    const middleware = rateLimit({
      limiter,
      algorithm: 'token-bucket',
      rules: [
        { limit: 5, window: '1s' },
        { limit: 100, period: 'day' },
      ],
    })
    const router = t.router({
      go: t.procedure.use(middleware).query(({ ctx }) => ctx.rateLimit?.rules.map((r) => r.rule.algorithm)),
    })
    const caller = t.createCallerFactory(router)({ user: { id: '1' } })
    expect(await caller.go()).toEqual(['token-bucket', 'calendar'])
  })

  it.each([
    [{ limit: 1, period: 'fortnight' }, /`period` of rule.* to be 'day', 'week' or 'month'/],
    [{ limit: 1, period: 'day', timeZone: 'Atlantis/Capital' }, /`timeZone` of rule.* IANA time zone/],
    [{ limit: 1, window: '1s', period: 'day' }, /either `window` or `period`, not both/],
    [{ limit: 1, window: '1s', burst: 2 }, /`burst` of rule.* only with algorithm 'token-bucket'/],
    [{ limit: 1 }, /Expected `limit` and `window` .* or `period`, or `rules`/],
    [
      { limit: 1, period: 'day', rules: [{ limit: 1, window: '1s' }] },
      /Pass either `limit` and `window` \(or `period`\), or `rules`/,
    ],
  ])('rejects %o when the middleware is built', (options, message) => {
    const { limiter } = memoryLimiter()
    expect(() => rateLimit({ limiter, ...(options as object) })).toThrow(RateLimitConfigError)
    expect(() => rateLimit({ limiter, ...(options as object) })).toThrow(message)
  })
})
