import { initTRPC, TRPCError } from '@trpc/server'
import type { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { planQuotas } from '../../src/identity/quotas.js'
import {
  type Caller,
  createRateLimiter,
  definePlans,
  type RateLimiter,
  RedisStore,
  rateLimitHeaders,
} from '../../src/index.js'
import { rateLimit, rateLimitErrorData, TRPCRateLimitedCause } from '../../src/trpc/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'

const plans = definePlans({
  free: { quotas: [{ limit: 5, window: '1d' }] },
  shared: { quotas: [{ limit: 50, window: '1h' }] },
  monthly: { quotas: [{ limit: 3, period: 'month', timeZone: 'Europe/Berlin' }] },
})

interface Ctx {
  caller: Caller
}

const t = initTRPC.context<Ctx>().create()
const identify = (ctx: Ctx) => ctx.caller

function router(limiter: RateLimiter) {
  const limited = t.procedure.use(rateLimit({ limiter, limit: 100, window: '1m', identify }))
  const items = z.object({ items: z.array(z.string()) })
  return t.router({
    a: limited.query(() => 'a'),
    b: limited.query(() => 'b'),
    once: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1h', identify })).query(() => 'once'),
    bulk: t.procedure
      .input(items)
      .use(
        rateLimit({
          limiter,
          limit: 100,
          window: '1m',
          identify,
          cost: (input) => (input as { items: string[] }).items.length,
        }),
      )
      .mutation(() => 'bulk'),
  })
}

const clients: Redis[] = []
const limiters: RateLimiter[] = []
async function redisLimiter(prefix: string): Promise<RateLimiter> {
  const client = await ready(redisClient())
  clients.push(client)
  const limiter = createRateLimiter({
    store: new RedisStore({ client, logger: false }),
    prefix,
    timeoutMs: 5_000,
    logger: false,
  })
  limiters.push(limiter)
  return limiter
}

afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()))
  for (const client of clients) client.disconnect()
})

async function refusal(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof TRPCError)) throw new Error(`Expected a TRPCError, got ${String(error)}`)
  return error
}

async function setup(plan: 'free' | 'shared' | 'monthly' = 'free') {
  const limiter = await redisLimiter(uniquePrefix('tq'))
  const caller: Caller = { id: 'key:acct', kind: 'api-key', owner: 'acct', plan: plans[plan] }
  const api = t.createCallerFactory(router(limiter))({ caller })
  const quotaUsed = async () => (await limiter.usage(caller.id, planQuotas(plans[plan]))).used
  return { limiter, caller, api, quotaUsed }
}

describe('plan quotas in tRPC', () => {
  it('counts a calendar-month quota in a time zone, and its refusal names the end of the month there', async () => {
    const { api, limiter, caller } = await setup('monthly')
    for (let i = 0; i < 3; i++) await api.a()
    const error = await refusal(api.b())
    const cause = error.cause as TRPCRateLimitedCause
    expect(cause.quota).toMatchObject({ name: 'quota:monthly:0', limit: 3 })
    const [quota] = (await limiter.usage(caller.id, planQuotas(plans.monthly))).rules
    expect(quota).toMatchObject({ used: 3, remaining: 0 })
    // The month ends at local midnight in Berlin, 22:00 or 23:00 UTC the day before.
    expect(new Date(quota!.periodEndsAt!).getUTCHours()).toBeGreaterThanOrEqual(22)
    expect(Math.abs(Date.parse(cause.quota!.resetsAt) - quota!.periodEndsAt!)).toBeLessThan(2_000)
  })

  it('uses the quota once per call, shared by every procedure, and by the call’s cost', async () => {
    const { api, quotaUsed } = await setup()
    await api.a()
    await api.b()
    expect(await quotaUsed()).toBe(2)
    await api.bulk({ items: ['x', 'y'] })
    expect(await quotaUsed()).toBe(4)
    await api.a()
    const error = await refusal(api.b())
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect(await quotaUsed()).toBe(5)
  })

  it('marks a refusal by the quota in the cause, the error data, the message and the headers', async () => {
    const { api } = await setup()
    for (let i = 0; i < 5; i++) await api.a()
    const error = await refusal(api.b())
    const cause = error.cause as TRPCRateLimitedCause
    expect(cause).toBeInstanceOf(TRPCRateLimitedCause)
    expect(cause.quota).toMatchObject({ name: 'quota:free:0', limit: 5 })
    expect(Date.parse(cause.quota!.resetsAt)).toBeGreaterThan(Date.now() + 23 * 3_600_000)
    expect(error.message).toMatch(/^Quota "quota:free:0" exceeded: retry in \d+ s$/)
    expect(rateLimitErrorData(error)).toMatchObject({ rule: 'quota:free:0', quota: { name: 'quota:free:0' } })
    expect(rateLimitHeaders(cause.decision).RateLimit).toMatch(/^"quota:free:0";r=0;t=\d+$/)
  })

  it('does not mark a refusal by the procedure’s own rule', async () => {
    const { api } = await setup()
    await api.once()
    const error = await refusal(api.once())
    const cause = error.cause as TRPCRateLimitedCause
    expect(cause.quota).toBeUndefined()
    expect(rateLimitErrorData(error)).not.toHaveProperty('quota')
    expect(error.message).toMatch(/^Rate limit exceeded/)
  })

  it('records nothing under the quota when the procedure rule refuses, and vice versa', async () => {
    const { api, limiter, caller, quotaUsed } = await setup()
    await api.once()
    await refusal(api.once())
    await refusal(api.once())
    expect(await quotaUsed()).toBe(1)
    for (let i = 0; i < 4; i++) await api.a()
    expect(await quotaUsed()).toBe(5)
    const bulkRule = { name: 'bulk', limit: 100, window: '1m' }
    await refusal(api.bulk({ items: ['x'] }))
    expect((await limiter.usage(caller.id, bulkRule)).used).toBe(0)
  })

  it('4 limiters on one Redis sharing one quota admit exactly its limit', async () => {
    const prefix = uniquePrefix('tq4')
    const caller: Caller = { id: 'key:acct4', kind: 'api-key', owner: 'acct4', plan: plans.shared }
    const apis = await Promise.all(
      [0, 1, 2, 3].map(async () => t.createCallerFactory(router(await redisLimiter(prefix)))({ caller })),
    )
    const calls = apis.flatMap((api, i) =>
      Array.from({ length: 30 }, (_, j) => ((i + j) % 2 === 0 ? api.a() : api.b())),
    )
    const outcomes = await Promise.allSettled(calls)
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(50)
    const refused = outcomes.filter((o) => o.status === 'rejected') as PromiseRejectedResult[]
    expect(refused.every((o) => (o.reason as TRPCError).code === 'TOO_MANY_REQUESTS')).toBe(true)
  })
})
