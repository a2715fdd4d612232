import { initTRPC, TRPCError } from '@trpc/server'
import { afterEach, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { createRateLimiter, MemoryStore, type RateLimiter, type RateLimitStore } from '../../src/index.js'
import {
  getRateLimitDecision,
  rateLimit,
  rateLimitErrorData,
  TRPCRateLimitedCause,
} from '../../src/trpc/index.js'
import { manualClock } from '../helpers.js'

interface Ctx {
  user?: { id: string }
}

const limiters: RateLimiter[] = []
afterEach(async () => {
  await Promise.all(limiters.splice(0).map((l) => l.close()))
})

function memoryLimiter() {
  const clock = manualClock()
  const limiter = createRateLimiter({ store: new MemoryStore({ clock, sweepIntervalMs: 0 }), logger: false })
  limiters.push(limiter)
  return { limiter, clock }
}

const t = initTRPC.context<Ctx>().create()
const callers = t.createCallerFactory

async function errorOf(promise: Promise<unknown>): Promise<TRPCError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!(error instanceof TRPCError)) throw new Error(`Expected a TRPCError, got ${String(error)}`)
  return error
}

describe('rateLimit on queries and mutations (createCaller, no HTTP)', () => {
  it('refuses the call after the limit with TOO_MANY_REQUESTS and the decision as cause', async () => {
    const { limiter } = memoryLimiter()
    const limited = t.procedure.use(rateLimit({ limiter, limit: 2, window: '1m' }))
    const router = t.router({ search: limited.query(({ ctx }) => ctx.rateLimit?.remaining) })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.search()).toBe(1)
    expect(await caller.search()).toBe(0)
    const error = await errorOf(caller.search())
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect(error.cause).toBeInstanceOf(TRPCRateLimitedCause)
    const cause = error.cause as TRPCRateLimitedCause
    expect(cause.code).toBe('RATE_LIMITED')
    expect(cause.path).toBe('search')
    // The whole window (plus the store's 1 ms slack), rounded up to seconds.
    expect(cause.retryAfter).toBe(Math.ceil(cause.decision.retryAfterMs / 1000))
    expect(cause.retryAfter).toBeGreaterThanOrEqual(60)
    expect(cause.retryAfter).toBeLessThanOrEqual(61)
    expect(error.message).toBe(`Rate limit exceeded: retry in ${cause.retryAfter} s`)
    expect(cause.decision).toMatchObject({
      allowed: false,
      limit: 2,
      remaining: 0,
      reason: 'limited',
      identity: 'user:1',
    })
    expect(getRateLimitDecision(error)).toBe(cause.decision)
  })

  it('admits again once the window has slid past the earlier calls', async () => {
    const { limiter, clock } = memoryLimiter()
    const router = t.router({
      ping: t.procedure.use(rateLimit({ limiter, limit: 1, window: '10s' })).mutation(() => 'pong'),
    })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.ping()).toBe('pong')
    expect((await errorOf(caller.ping())).code).toBe('TOO_MANY_REQUESTS')
    clock.advance(10_000)
    expect(await caller.ping()).toBe('pong')
  })

  it('gives every procedure of a base procedure its own budget, named after the path', async () => {
    const { limiter } = memoryLimiter()
    const limited = t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m' }))
    const router = t.router({
      post: t.router({
        list: limited.query(({ ctx }) => ctx.rateLimit?.rule.name),
        create: limited.mutation(() => 'ok'),
      }),
    })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.post.list()).toBe('post.list')
    expect(await caller.post.create()).toBe('ok')
    expect((await errorOf(caller.post.list())).code).toBe('TOO_MANY_REQUESTS')
    expect((await errorOf(caller.post.create())).code).toBe('TOO_MANY_REQUESTS')
  })

  it('shares one budget between procedures when a name is given', async () => {
    const { limiter } = memoryLimiter()
    const shared = t.procedure.use(rateLimit({ limiter, limit: 2, window: '1m', name: 'search' }))
    const router = t.router({ a: shared.query(() => 'a'), b: shared.query(() => 'b') })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.a()).toBe('a')
    expect(await caller.b()).toBe('b')
    const error = await errorOf(caller.a())
    expect(getRateLimitDecision(error)?.rule.name).toBe('search')
  })

  it('counts two users separately', async () => {
    const { limiter } = memoryLimiter()
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m' })).query(() => 'ok'),
    })
    const alice = callers(router)({ user: { id: 'alice' } })
    const bob = callers(router)({ user: { id: 'bob' } })
    expect(await alice.q()).toBe('ok')
    expect(await bob.q()).toBe('ok')
    expect((await errorOf(alice.q())).code).toBe('TOO_MANY_REQUESTS')
    expect((await errorOf(bob.q())).code).toBe('TOO_MANY_REQUESTS')
  })

  it('checks several rules atomically: a refusal by the burst rule records nothing under the sustained rule', async () => {
    const { limiter, clock } = memoryLimiter()
    const rules = [
      { limit: 2, window: '10s' },
      { limit: 3, window: '1h' },
    ]
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, rules })).query(({ ctx }) => ctx.rateLimit?.remaining),
    })
    const caller = callers(router)({ user: { id: '1' } })
    await caller.q()
    await caller.q()
    expect(getRateLimitDecision(await errorOf(caller.q()))?.rule.windowMs).toBe(10_000)
    clock.advance(10_000)
    expect(await caller.q()).toBe(0)
    const error = await errorOf(caller.q())
    expect(getRateLimitDecision(error)?.rule.windowMs).toBe(3_600_000)
  })

  it('reports without refusing in shadow mode', async () => {
    const { limiter } = memoryLimiter()
    const router = t.router({
      q: t.procedure
        .use(rateLimit({ limiter, limit: 1, window: '1m', shadow: true }))
        .query(({ ctx }) => ctx.rateLimit?.reason),
    })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.q()).toBeUndefined()
    expect(await caller.q()).toBe('shadow')
  })

  it('uses a custom message', async () => {
    const { limiter } = memoryLimiter()
    const message = (d: { retryAfterMs: number }, path: string) =>
      `Slow down on ${path} (${d.retryAfterMs > 0})`
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m', message })).query(() => 1),
    })
    const caller = callers(router)({ user: { id: '1' } })
    await caller.q()
    expect((await errorOf(caller.q())).message).toBe('Slow down on q (true)')
  })
})

describe('stacked middlewares and error data', () => {
  it('checks a global and a per-procedure limit; ctx.rateLimit holds the last decision', async () => {
    const { limiter } = memoryLimiter()
    const base = t.procedure.use(rateLimit({ limiter, limit: 3, window: '1m', name: 'global' }))
    const router = t.router({
      a: base
        .use(rateLimit({ limiter, limit: 2, window: '1m' }))
        .query(({ ctx }) => ctx.rateLimit?.rule.name),
      b: base.query(({ ctx }) => ctx.rateLimit?.rule.name),
    })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.a()).toBe('a')
    expect(await caller.a()).toBe('a')
    expect(getRateLimitDecision(await errorOf(caller.a()))?.rule.name).toBe('a')
    // The refused call of `a` was admitted (and counted) by the global middleware before it.
    expect(getRateLimitDecision(await errorOf(caller.b()))?.rule.name).toBe('global')
  })

  it('gives rateLimitErrorData for a refusal and null for any other error', async () => {
    const { limiter } = memoryLimiter()
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m' })).query(() => 1),
    })
    const caller = callers(router)({ user: { id: '1' } })
    await caller.q()
    const data = rateLimitErrorData(await errorOf(caller.q()))
    expect(data).toEqual({ retryAfter: expect.any(Number), limit: 1, remaining: 0, rule: 'q' })
    expect(data!.retryAfter).toBeGreaterThanOrEqual(60)
    expect(rateLimitErrorData(new TRPCError({ code: 'NOT_FOUND' }))).toBeNull()
    expect(rateLimitErrorData(new Error('x'))).toBeNull()
  })
})

describe('input-based cost', () => {
  const schema = z.object({ items: z.array(z.string()) })
  const cost = (input: unknown) => (input as z.infer<typeof schema>).items.length

  it('charges the parsed input when the middleware comes after .input()', async () => {
    const { limiter } = memoryLimiter()
    const router = t.router({
      bulk: t.procedure
        .input(schema)
        .use(rateLimit({ limiter, limit: 5, window: '1m', cost }))
        .mutation(({ ctx }) => ctx.rateLimit?.remaining),
    })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.bulk({ items: ['a', 'b', 'c'] })).toBe(2)
    expect((await errorOf(caller.bulk({ items: ['a', 'b', 'c'] }))).code).toBe('TOO_MANY_REQUESTS')
    expect(await caller.bulk({ items: ['a', 'b'] })).toBe(0)
  })

  it('charges the raw input when the middleware comes before .input()', async () => {
    const { limiter } = memoryLimiter()
    const router = t.router({
      bulk: t.procedure
        .use(rateLimit({ limiter, limit: 5, window: '1m', cost }))
        .input(schema)
        .mutation(({ ctx }) => ctx.rateLimit?.remaining),
    })
    const caller = callers(router)({ user: { id: '1' } })
    expect(await caller.bulk({ items: ['a', 'b', 'c', 'd'] })).toBe(1)
  })

  it('refuses a call whose cost exceeds the limit and says that retrying cannot help', async () => {
    const { limiter } = memoryLimiter()
    const router = t.router({
      bulk: t.procedure
        .input(schema)
        .use(rateLimit({ limiter, limit: 2, window: '1m', cost }))
        .mutation(() => 'ok'),
    })
    const error = await errorOf(callers(router)({ user: { id: '1' } }).bulk({ items: ['a', 'b', 'c'] }))
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect(error.message).toBe('Rate limit exceeded: this call costs 3, more than the limit of 2 allows')
    expect((error.cause as TRPCRateLimitedCause).retryAfter).toBe(-1)
  })

  it('answers a cost the input makes invalid with BAD_REQUEST naming what the cost function returned', async () => {
    const { limiter } = memoryLimiter()
    const invalid = (input: unknown) => (input as { n: unknown }).n as number
    const router = t.router({
      bulk: t.procedure
        .input(z.object({ n: z.unknown() }))
        .use(rateLimit({ limiter, limit: 2, window: '1m', cost: invalid, onError: 'open' }))
        .mutation(() => 'ran'),
    })
    const caller = callers(router)({ user: { id: '1' } })
    for (const [n, shown] of [
      [0, '0'],
      [1.5, '1.5'],
      [Number.NaN, 'NaN'],
      ['2', '"2"'],
      [null, 'null'],
      [2e9, '2000000000'],
    ] as const) {
      const error = await errorOf(caller.bulk({ n }))
      expect(error.code).toBe('BAD_REQUEST')
      expect(error.message).toBe(
        `Invalid input for bulk: its rate-limit cost cannot be computed (the cost function returned ${shown}, not an integer from 1 to 1000000000)`,
      )
    }
    expect(await caller.bulk({ n: 2 })).toBe('ran')
  })

  it('answers a cost function that throws on the raw input with BAD_REQUEST, never admitted unchecked by onError', async () => {
    const { limiter } = memoryLimiter()
    const consulted: Error[] = []
    const onError = (error: Error) => {
      consulted.push(error)
      return 'open' as const
    }
    let ran = 0
    const router = t.router({
      bulk: t.procedure
        .use(rateLimit({ limiter, limit: 5, window: '1m', cost, onError }))
        .input(schema)
        .mutation(() => ++ran),
    })
    const caller = callers(router)({ user: { id: '1' } })
    // The raw input the client sent has no `items`: the cost function throws a TypeError on it.
    const error = await errorOf(caller.bulk({} as never))
    expect(error.code).toBe('BAD_REQUEST')
    expect(error.message).toBe(
      'Invalid input for bulk: its rate-limit cost cannot be computed (the cost function threw on it)',
    )
    expect(error.cause).toBeInstanceOf(TypeError)
    expect({ ran, consulted }).toEqual({ ran: 0, consulted: [] })
    // A TRPCError the cost function throws is its own answer.
    const own = () => {
      throw new TRPCError({ code: 'PAYLOAD_TOO_LARGE', message: 'too many items' })
    }
    const strict = t.router({
      bulk: t.procedure.use(rateLimit({ limiter, limit: 5, window: '1m', cost: own })).mutation(() => 1),
    })
    expect((await errorOf(callers(strict)({ user: { id: '1' } }).bulk())).code).toBe('PAYLOAD_TOO_LARGE')
  })
})

describe('subscriptions', () => {
  it('counts a subscription when it starts and refuses a start over the limit', async () => {
    const { limiter } = memoryLimiter()
    let started = 0
    const router = t.router({
      ticks: t.procedure.use(rateLimit({ limiter, limit: 2, window: '1m' })).subscription(async function* () {
        started++
        yield 1
        yield 2
      }),
    })
    const caller = callers(router)({ user: { id: '1' } })
    for (let i = 0; i < 2; i++) {
      const values: number[] = []
      for await (const value of await caller.ticks()) values.push(value)
      expect(values).toEqual([1, 2])
    }
    expect((await errorOf(caller.ticks())).code).toBe('TOO_MANY_REQUESTS')
    expect(started).toBe(2)
  })
})

describe('identity and plans', () => {
  it('uses a custom identify function', async () => {
    const { limiter } = memoryLimiter()
    const identify = (ctx: { tenant: string }) => `tenant:${ctx.tenant}`
    const tt = initTRPC.context<{ tenant: string }>().create()
    const router = tt.router({
      q: tt.procedure
        .use(rateLimit({ limiter, limit: 1, window: '1m', identify }))
        .query(({ ctx }) => ctx.rateLimit?.identity),
    })
    expect(await tt.createCallerFactory(router)({ tenant: 'acme' }).q()).toBe('tenant:acme')
    expect((await errorOf(tt.createCallerFactory(router)({ tenant: 'acme' }).q())).code).toBe(
      'TOO_MANY_REQUESTS',
    )
  })

  it('applies an API-key plan and skips the check for an unlimited plan', async () => {
    const { limiter } = memoryLimiter()
    const pro = { name: 'pro', scale: 3 }
    const unlimited = { name: 'internal', unlimited: true }
    const identify = (ctx: { key: string }) => ({
      id: `key:${ctx.key}`,
      kind: 'api-key' as const,
      plan: ctx.key === 'pro' ? pro : unlimited,
    })
    const tk = initTRPC.context<{ key: string }>().create()
    const router = tk.router({
      q: tk.procedure
        .use(rateLimit({ limiter, limit: 1, window: '1m', identify }))
        .query(({ ctx }) => ctx.rateLimit),
    })
    const proCaller = tk.createCallerFactory(router)({ key: 'pro' })
    expect((await proCaller.q())?.limit).toBe(3)
    await proCaller.q()
    await proCaller.q()
    expect((await errorOf(proCaller.q())).code).toBe('TOO_MANY_REQUESTS')
    const internal = tk.createCallerFactory(router)({ key: 'internal' })
    for (let i = 0; i < 5; i++) expect(await internal.q()).toBeNull()
  })

  it('passes a TRPCError thrown by identify through unchanged', async () => {
    const { limiter } = memoryLimiter()
    const identify = (): string => {
      throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Unknown API key' })
    }
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m', identify })).query(() => 1),
    })
    const error = await errorOf(callers(router)({}).q())
    expect(error.code).toBe('UNAUTHORIZED')
    expect(error.message).toBe('Unknown API key')
  })

  it('refuses with TOO_MANY_REQUESTS, never INTERNAL_SERVER_ERROR, when identify throws', async () => {
    const { limiter } = memoryLimiter()
    const bug = new Error('session lookup failed')
    const identify = (): string => {
      throw bug
    }
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m', identify })).query(() => 1),
    })
    const error = await errorOf(callers(router)({}).q())
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect(error.cause).toBe(bug)
  })

  it("admits unchecked with a null decision when identify throws and onError says 'open'", async () => {
    const { limiter } = memoryLimiter()
    const seen: string[] = []
    const identify = (): string => {
      throw new Error('no session')
    }
    const onError = (error: Error, info: { path: string }) => {
      seen.push(`${info.path}: ${error.message}`)
      return 'open' as const
    }
    const router = t.router({
      q: t.procedure
        .use(rateLimit({ limiter, limit: 1, window: '1m', identify, onError }))
        .query(({ ctx }) => ctx.rateLimit),
    })
    const caller = callers(router)({})
    expect(await caller.q()).toBeNull()
    expect(await caller.q()).toBeNull()
    expect(seen).toEqual(['q: no session', 'q: no session'])
  })

  it('refuses when identify returns an empty identity', async () => {
    const { limiter } = memoryLimiter()
    const router = t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m', identify: () => '' })).query(() => 1),
    })
    const error = await errorOf(callers(router)({}).q())
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect((error.cause as Error).message).toMatch(/identity/)
  })
})

describe('store trouble', () => {
  const broken: RateLimitStore = {
    kind: 'broken',
    consume: () => Promise.reject(new Error('ECONNREFUSED')),
    peek: () => Promise.reject(new Error('ECONNREFUSED')),
    reset: () => undefined,
  }

  function brokenRouter(onStoreError: 'open' | 'closed' | 'local') {
    const limiter = createRateLimiter({ store: broken, onStoreError, circuitBreaker: false, logger: false })
    limiters.push(limiter)
    return t.router({
      q: t.procedure.use(rateLimit({ limiter, limit: 1, window: '1m' })).query(({ ctx }) => ctx.rateLimit),
    })
  }

  it("refuses with TOO_MANY_REQUESTS when the store fails and the policy is 'closed'", async () => {
    const error = await errorOf(callers(brokenRouter('closed'))({ user: { id: '1' } }).q())
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect(getRateLimitDecision(error)).toMatchObject({ reason: 'store-unavailable', policy: 'closed' })
  })

  it("admits when the store fails and the policy is 'open'", async () => {
    const decision = await callers(brokenRouter('open'))({ user: { id: '1' } }).q()
    expect(decision).toMatchObject({ allowed: true, reason: 'store-unavailable', policy: 'open' })
  })

  it("counts in process when the store fails and the policy is 'local'", async () => {
    const caller = callers(brokenRouter('local'))({ user: { id: '1' } })
    expect(await caller.q()).toMatchObject({ allowed: true, policy: 'local' })
    expect(getRateLimitDecision(await errorOf(caller.q()))).toMatchObject({ policy: 'local' })
  })

  it('lets a per-middleware onStoreError override the limiter policy', async () => {
    const limiter = createRateLimiter({
      store: broken,
      onStoreError: 'open',
      circuitBreaker: false,
      logger: false,
    })
    limiters.push(limiter)
    const router = t.router({
      login: t.procedure
        .use(rateLimit({ limiter, limit: 5, window: '1m', onStoreError: 'closed' }))
        .mutation(() => 'ok'),
    })
    expect((await errorOf(callers(router)({ user: { id: '1' } }).login())).code).toBe('TOO_MANY_REQUESTS')
  })
})
