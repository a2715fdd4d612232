/**
 * The middleware's short path (no async chain, a stackless refusal cause) keeps every answer:
 * an `identify` that answers with a promise, a thenable or a rejection is handled as before, and
 * a refusal leaves the process's `Error.stackTraceLimit` untouched.
 */
import { initTRPC, TRPCError } from '@trpc/server'
import { afterEach, describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { rateLimit, TRPCRateLimitedCause } from '../../src/trpc/index.js'
import { manualClock } from '../helpers.js'

const limiters: RateLimiter[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()))
})

function memoryLimiter(): RateLimiter {
  const limiter = createRateLimiter({
    store: new MemoryStore({ clock: manualClock(), sweepIntervalMs: 0 }),
    logger: false,
  })
  limiters.push(limiter)
  return limiter
}

const t = initTRPC.context<{ tenant?: string }>().create()

async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof TRPCError)) throw new Error(`Expected a TRPCError, got ${String(error)}`)
  return error
}

describe('rateLimit identify answers', () => {
  it('counts the caller an async identify names', async () => {
    const limiter = memoryLimiter()
    const identify = async (ctx: { tenant?: string }) => `tenant:${ctx.tenant}`
    const router = t.router({
      q: t.procedure
        .use(rateLimit({ limiter, limit: 1, window: '1m', identify }))
        .query(({ ctx }) => ctx.rateLimit?.identity),
    })
    const caller = t.createCallerFactory(router)
    expect(await caller({ tenant: 'a' }).q()).toBe('tenant:a')
    expect(await caller({ tenant: 'b' }).q()).toBe('tenant:b')
    expect((await errorOf(caller({ tenant: 'a' }).q())).code).toBe('TOO_MANY_REQUESTS')
  })

  it('accepts a thenable that is not a native promise', async () => {
    const limiter = memoryLimiter()
    // biome-ignore lint/suspicious/noThenProperty: the point of the test is a thenable that is not a promise.
    const identify = () => ({ then: (resolve: (id: string) => void) => resolve('tenant:thenable') })
    const router = t.router({
      q: t.procedure
        // biome-ignore lint/suspicious/noExplicitAny: a thenable stands in for a promise here.
        .use(rateLimit({ limiter, limit: 1, window: '1m', identify: identify as any }))
        .query(({ ctx }) => ctx.rateLimit?.identity),
    })
    expect(await t.createCallerFactory(router)({}).q()).toBe('tenant:thenable')
  })

  it('follows onError when an async identify rejects, and passes a rejected TRPCError through', async () => {
    const limiter = memoryLimiter()
    const bug = new Error('session store down')
    const router = t.router({
      closed: t.procedure
        .use(rateLimit({ limiter, limit: 1, window: '1m', identify: () => Promise.reject(bug) }))
        .query(() => 1),
      open: t.procedure
        .use(
          rateLimit({
            limiter,
            limit: 1,
            window: '1m',
            identify: () => Promise.reject(bug),
            onError: 'open',
          }),
        )
        .query(({ ctx }) => ctx.rateLimit),
      trpc: t.procedure
        .use(
          rateLimit({
            limiter,
            limit: 1,
            window: '1m',
            identify: () => Promise.reject(new TRPCError({ code: 'FORBIDDEN', message: 'banned' })),
          }),
        )
        .query(() => 1),
    })
    const caller = t.createCallerFactory(router)({})
    const closed = await errorOf(caller.closed())
    expect(closed.code).toBe('TOO_MANY_REQUESTS')
    expect(closed.cause).toBe(bug)
    expect(await caller.open()).toBeNull()
    expect((await errorOf(caller.trpc())).code).toBe('FORBIDDEN')
  })
})

describe('rateLimit refusal', () => {
  it('gives the cause no stack of its own, keeps the error’s, and restores Error.stackTraceLimit', async () => {
    const limiter = memoryLimiter()
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m', identify: () => 'x' })).query(() => 1),
    })
    const caller = t.createCallerFactory(router)({})
    await caller.q()
    const before = Error.stackTraceLimit
    const error = await errorOf(caller.q())
    expect(Error.stackTraceLimit).toBe(before)
    expect(error.cause).toBeInstanceOf(TRPCRateLimitedCause)
    expect(error.stack).toMatch(/\n\s+at /)
    expect((error.cause as Error).stack).not.toMatch(/\n\s+at /)
    expect((error.cause as Error).message).toBe(error.message)
  })
})
