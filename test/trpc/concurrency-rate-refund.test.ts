/**
 * A call refused by its rate rule holds no lease, and a call refused by its concurrency limit
 * keeps no rate budget (the rate check placed first, as documented), on real Redis.
 */
import { initTRPC, TRPCError } from '@trpc/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createRateLimiter, MemoryStore, type RateLimiter, type RateLimitRule } from '../../src/index.js'
import { concurrencyLimit, rateLimit, TRPCConcurrencyLimitedCause } from '../../src/trpc/index.js'
import { redisLimiter, settle } from './fixtures.js'

interface Ctx {
  user: { id: string }
}

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

const perMinute: RateLimitRule = { limit: 5, window: '1m', name: 'export' }
const perHour: RateLimitRule = { limit: 50, window: '1h', name: 'export-hourly' }
const perDay: RateLimitRule = { limit: 100, window: '1d', name: 'all' }

function setup(limiter: RateLimiter, wait: () => Promise<void>) {
  const t = initTRPC.context<Ctx>().create()
  const router = t.router({
    exportRows: t.procedure
      .input(z.object({ rows: z.number() }))
      .use(rateLimit({ limiter, name: 'all', rules: [perDay] }))
      .use(
        rateLimit({
          limiter,
          rules: [perMinute, perHour],
          cost: (input) => (input as { rows: number }).rows,
        }),
      )
      .use(concurrencyLimit({ limiter, max: 1, name: 'export' }))
      .mutation(async () => {
        await wait()
        return 'done'
      }),
  })
  const caller = t.createCallerFactory(router)({ user: { id: '1' } }) // identity user:1
  return (input: { rows: number }) => caller.exportRows(input)
}

async function usedOf(limiter: RateLimiter, rules: RateLimitRule[], user = 'user:1') {
  return (await limiter.usage(user, rules)).rules.map((rule) => rule.used)
}

/**
 * A resolver's wait that the test controls: `hold()` (the resolver's body) settles `started` and
 * waits for `open()`. A test awaits `started` to know the call is charged and holds its slot.
 */
function heldResolver() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  let running!: () => void
  const started = new Promise<void>((resolve) => {
    running = resolve
  })
  const hold = () => {
    running()
    return opened
  }
  return { hold, started, open }
}

describe('concurrencyLimit after rateLimit', () => {
  it('gives back the rate budget of every earlier rateLimit when it refuses the call', async () => {
    const { limiter, close } = await redisLimiter()
    cleanup.push(close)
    const { hold, started, open } = heldResolver()
    const exportRows = setup(limiter, hold)
    const first = exportRows({ rows: 2 })
    await started // charged and holding its slot: its resolver runs
    expect(await usedOf(limiter, [perMinute, perHour])).toEqual([2, 2])
    expect(await usedOf(limiter, [perDay])).toEqual([1])

    const refused = await settle(exportRows({ rows: 3 }))
    expect(refused.ok).toBe(false)
    const error = (refused as { error: TRPCError }).error
    expect(error).toBeInstanceOf(TRPCError)
    expect(error.cause).toBeInstanceOf(TRPCConcurrencyLimitedCause)
    // Exactly the 3 rows of the refused call came back, under both rules, and its 1 under `all`.
    expect(await usedOf(limiter, [perMinute, perHour])).toEqual([2, 2])
    expect(await usedOf(limiter, [perDay])).toEqual([1])

    open()
    expect(await first).toBe('done')
    expect(await exportRows({ rows: 3 })).toBe('done') // the slot is free again and the budget there
    expect(await usedOf(limiter, [perMinute, perHour])).toEqual([5, 5])
    expect(await usedOf(limiter, [perDay])).toEqual([2])
  })

  it('takes no lease for a call its rate rule refuses', async () => {
    const { limiter, close } = await redisLimiter()
    cleanup.push(close)
    const exportRows = setup(limiter, async () => {})
    expect(await exportRows({ rows: 5 })).toBe('done')
    const refused = await settle(exportRows({ rows: 1 }))
    expect(refused.ok).toBe(false)
    expect((refused as { error: TRPCError }).error.cause).not.toBeInstanceOf(TRPCConcurrencyLimitedCause)
    expect((refused as { error: TRPCError }).error.code).toBe('TOO_MANY_REQUESTS')
    // No lease is held: the one slot is free.
    const lease = await limiter.acquire('user:1', { name: 'export', max: 1 })
    expect(lease.allowed).toBe(true)
    expect(lease.active).toBe(1)
    await lease.release()
    expect(await usedOf(limiter, [perMinute, perHour])).toEqual([5, 5])
  })

  it('leaves other callers and a failed refund alone: the refusal stands', async () => {
    const { limiter, close } = await redisLimiter()
    cleanup.push(close)
    const { hold, started, open } = heldResolver()
    const exportRows = setup(limiter, hold)
    const first = exportRows({ rows: 1 })
    await started
    const refund = limiter.refund
    limiter.refund = async () => {
      throw new Error('store down')
    }
    const refused = await settle(exportRows({ rows: 1 }))
    limiter.refund = refund
    expect((refused as { error: TRPCError }).error.cause).toBeInstanceOf(TRPCConcurrencyLimitedCause)
    expect(await usedOf(limiter, [perMinute, perHour])).toEqual([2, 2]) // the charge stands
    expect(await usedOf(limiter, [perMinute, perHour], 'user:2')).toEqual([0, 0])
    open()
    await first
  })
})

describe('a refund is given once', () => {
  it('gives a charge back once however many refusals see the same ctx (a middleware retrying next())', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    cleanup.push(() => limiter.close())
    const t = initTRPC.context<Ctx>().create()
    const { hold, started, open } = heldResolver()
    const retry = t.middleware(async ({ next }) => {
      let result = await next()
      for (let i = 0; i < 5 && !result.ok; i++) result = await next()
      return result
    })
    const rule = { name: 'ops', limit: 3, window: '1m' }
    const router = t.router({
      long: t.procedure.use(concurrencyLimit({ limiter, max: 1, name: 'work' })).query(async () => {
        await hold()
        return 'long'
      }),
      op: t.procedure
        .use(rateLimit({ limiter, ...rule }))
        .use(retry)
        .use(concurrencyLimit({ limiter, max: 1, name: 'work' }))
        .query(() => 'op'),
    })
    const caller = t.createCallerFactory(router)({ user: { id: 'mallory' } })
    await caller.op()
    await caller.op()
    const long = caller.long()
    await started
    // Charged once, refused six times (the first try and five retries): given back once.
    expect(await settle(caller.op())).toMatchObject({ ok: false })
    expect((await limiter.usage('user:mallory', rule)).used).toBe(2)
    open()
    await long
    expect(await caller.op()).toBe('op')
    expect((await settle(caller.op())).ok).toBe(false) // 3 of 3: the limit holds
  })
})
