import type { AddressInfo } from 'node:net'
import {
  createTRPCClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  type TRPCClientError,
} from '@trpc/client'
import { initTRPC, TRPCError } from '@trpc/server'
import { type CreateHTTPContextOptions, createHTTPServer } from '@trpc/server/adapters/standalone'
import { observable } from '@trpc/server/observable'
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import {
  type ConcurrencyDecision,
  createRateLimiter,
  MemoryStore,
  RateLimitConfigError,
  type RateLimiter,
} from '../../src/index.js'
import { concurrencyLimit, TRPCConcurrencyLimitedCause } from '../../src/trpc/index.js'
import { redisLimiter, settle } from './fixtures.js'

interface Ctx {
  user?: { id: string }
}

const cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

/** A gate the resolvers wait on, opened by the test. */
function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

function makeRouter(limiter: RateLimiter, wait: () => Promise<void>) {
  const t = initTRPC.context<Ctx>().create({ sse: { ping: { enabled: false } } })
  const two = t.procedure.use(concurrencyLimit({ limiter, max: 2 }))
  const one = t.procedure.use(concurrencyLimit({ limiter, max: 1 }))
  return t.router({
    slow: two.query(async ({ ctx }) => {
      expectTypeOf(ctx.concurrency).toEqualTypeOf<ConcurrencyDecision>()
      await wait()
      return ctx.concurrency.active
    }),
    failing: one.mutation(async () => {
      await wait()
      throw new TRPCError({ code: 'BAD_REQUEST', message: 'nope' })
    }),
    feed: one.subscription(async function* () {
      yield 1
      await wait()
      yield 2
    }),
    ticks: one.subscription(() =>
      observable<number>((observer) => {
        observer.next(1)
        wait().then(() => observer.complete())
        return () => {}
      }),
    ),
    forever: one.subscription(async function* ({ signal }) {
      yield 1
      await new Promise((resolve) => signal?.addEventListener('abort', resolve))
    }),
  })
}

function memoryLimiter() {
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  cleanup.push(() => limiter.close())
  return limiter
}

function callerFor(limiter: RateLimiter, wait: () => Promise<void>) {
  const t = initTRPC.context<Ctx>().create()
  const router = makeRouter(limiter, wait)
  return (user = '1', signal?: AbortSignal) =>
    t.createCallerFactory(router)({ user: { id: user } }, signal ? { signal } : {})
}

const free = (limiter: RateLimiter, name: string, max: number, user = 'user:1') =>
  limiter.acquire(user, { name, max }).then(async (d) => {
    await d.release()
    return d.allowed
  })

describe('concurrencyLimit (tRPC middleware)', () => {
  it('refuses a third call in flight with TOO_MANY_REQUESTS and a concurrency cause, and frees slots on success', async () => {
    const limiter = memoryLimiter()
    const g = gate()
    const caller = callerFor(limiter, () => g.opened)
    const first = caller().slow()
    const second = caller().slow()
    await new Promise((resolve) => setTimeout(resolve, 10))
    const third = await settle(caller().slow())
    expect(third.ok).toBe(false)
    const error = (third as { error: TRPCError }).error
    expect(error.code).toBe('TOO_MANY_REQUESTS')
    expect(error.cause).toBeInstanceOf(TRPCConcurrencyLimitedCause)
    expect(error.cause).toMatchObject({ kind: 'concurrency', code: 'CONCURRENCY_LIMITED', path: 'slow' })
    expect((error.cause as TRPCConcurrencyLimitedCause).decision).toMatchObject({ limit: 2, active: 2 })
    expect(error.message).toBe('Too many concurrent calls of slow: at most 2 at once')
    const other = caller('2').slow() // another caller has slots of its own
    g.open()
    expect((await Promise.all([first, second])).sort()).toEqual([1, 2])
    expect(await other).toBe(1)
    expect(await free(limiter, 'slow', 2)).toBe(true)
    expect(await caller().slow()).toBe(1)
  })

  it('frees the slot when the resolver throws', async () => {
    const limiter = memoryLimiter()
    const caller = callerFor(limiter, async () => {})
    await expect(caller().failing()).rejects.toMatchObject({ code: 'BAD_REQUEST' })
    await expect(caller().failing()).rejects.toMatchObject({ code: 'BAD_REQUEST' })
  })

  it('holds the slot of an aborted call until its resolver settles (it still runs)', async () => {
    const limiter = memoryLimiter()
    const g = gate()
    const caller = callerFor(limiter, () => g.opened) // ignores the abort
    const controller = new AbortController()
    const call = caller('1', controller.signal)
      .failing()
      .catch(() => {})
    await new Promise((resolve) => setTimeout(resolve, 10))
    expect(await free(limiter, 'failing', 1)).toBe(false)
    controller.abort()
    expect(await free(limiter, 'failing', 1)).toBe(false)
    g.open()
    await call
    expect(await free(limiter, 'failing', 1)).toBe(true)
  })

  it('holds a subscription (async generator) until it ends, and releases on return()', async () => {
    const limiter = memoryLimiter()
    const g = gate()
    const caller = callerFor(limiter, () => g.opened)
    const feed = await caller().feed()
    const iterator = feed[Symbol.asyncIterator]()
    expect(await iterator.next()).toEqual({ done: false, value: 1 })
    await expect(caller().feed()).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' })
    g.open()
    expect(await iterator.next()).toEqual({ done: false, value: 2 })
    expect((await iterator.next()).done).toBe(true)
    expect(await free(limiter, 'feed', 1)).toBe(true)

    const g2 = gate()
    const pending = await callerFor(limiter, () => g2.opened)().feed()
    const it2 = pending[Symbol.asyncIterator]()
    await it2.next()
    const waiting = it2.next() // parked until the gate opens: return() must not wait for it
    await it2.return?.()
    expect(await free(limiter, 'feed', 1)).toBe(true)
    g2.open()
    await waiting
  })

  it('holds an observable subscription until it completes or is unsubscribed', async () => {
    const limiter = memoryLimiter()
    const g = gate()
    const caller = callerFor(limiter, () => g.opened)
    type Ticks = { subscribe(observer: { next(v: number): void; complete(): void }): { unsubscribe(): void } }
    const values: number[] = []
    const done = gate()
    ;((await caller().ticks()) as unknown as Ticks).subscribe({
      next: (value) => values.push(value),
      complete: () => done.open(),
    })
    expect(values).toEqual([1])
    expect(await free(limiter, 'ticks', 1)).toBe(false)
    g.open()
    await done.opened
    expect(await free(limiter, 'ticks', 1)).toBe(true)
    const never = callerFor(limiter, () => new Promise(() => {}))
    const subscription = ((await never().ticks()) as unknown as Ticks).subscribe({ next() {}, complete() {} })
    expect(await free(limiter, 'ticks', 1)).toBe(false)
    subscription.unsubscribe()
    expect(await free(limiter, 'ticks', 1)).toBe(true)
  })

  it('validates its options when built, naming the option', () => {
    const limiter = memoryLimiter()
    expect(() => concurrencyLimit({ limiter, max: 0 })).toThrow(/concurrencyLimit\(\): Expected `max`/)
    expect(() => concurrencyLimit({ limiter, max: 1, leaseMs: 'soon' })).toThrow(RateLimitConfigError)
    expect(() => concurrencyLimit({ limiter: {} as RateLimiter, max: 1 })).toThrow(/`limiter`/)
    expect(() => concurrencyLimit({ limiter, max: 1, identify: 'x' as never })).toThrow(/`identify`/)
  })
})

describe('concurrencyLimit over SSE (httpSubscriptionLink, Redis store)', () => {
  it('frees an open subscription slot within a second of the client going away', async () => {
    const redis = await redisLimiter()
    cleanup.push(redis.close)
    const router = makeRouter(redis.limiter, async () => {})
    const createContext = (opts: CreateHTTPContextOptions): Ctx => {
      const user = opts.info.connectionParams?.user
      return typeof user === 'string' ? { user: { id: user } } : {}
    }
    const server = createHTTPServer({ router, createContext, basePath: '/trpc/' })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanup.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    )
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trpc`
    const trpc = createTRPCClient<ReturnType<typeof makeRouter>>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({ url, EventSource, connectionParams: { user: 'sse' } }),
          false: httpLink({ url }),
        }),
      ],
    })
    const open = () =>
      new Promise<{
        first?: number
        error?: TRPCClientError<ReturnType<typeof makeRouter>>
        sub: { unsubscribe(): void }
      }>((resolve) => {
        const sub = trpc.forever.subscribe(undefined, {
          onData: (value) => resolve({ first: value, sub }),
          onError: (error) => {
            sub.unsubscribe()
            resolve({ error, sub })
          },
        })
      })
    const held = await open()
    expect(held.first).toBe(1)
    const refused = await open()
    expect(refused.error?.data?.code).toBe('TOO_MANY_REQUESTS')
    expect(refused.error?.message).toMatch(/Too many concurrent calls of forever/)
    held.sub.unsubscribe()
    const goneAt = Date.now()
    let back = false
    while (!back && Date.now() - goneAt < 3_000) {
      back = await free(redis.limiter, 'forever', 1, 'user:sse')
      if (!back) await new Promise((resolve) => setTimeout(resolve, 25))
    }
    expect(back).toBe(true)
    expect(Date.now() - goneAt).toBeLessThan(1_000)
    const again = await open()
    expect(again.first).toBe(1)
    again.sub.unsubscribe()
  })
})
