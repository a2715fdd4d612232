/**
 * A hostile client sends a request to a concurrency-limited field, operation or procedure and
 * closes the connection at once, again and again. The server keeps running each resolver that
 * ignores the abort (graphql-js and tRPC cannot stop a running resolver), so if the abort gave
 * the slot back the client would run as many slow resolvers at once as it cares to start: the
 * very load a concurrency limit exists to bound. A query or mutation therefore holds its slot
 * until its resolver settles; a resolver that honours the signal settles, and frees it, at once.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { initTRPC } from '@trpc/server'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { concurrencyLimitDirective, useConcurrencyLimit } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { concurrencyLimit } from '../../src/trpc/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

function memoryLimiter(): RateLimiter {
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  opened.push(limiter)
  return limiter
}

/** Resolvers that ignore the abort: counts how many run at once, until `finish()`. */
function slowWork() {
  let running = 0
  let most = 0
  let finish!: () => void
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  let started = 0
  const work = async () => {
    started++
    most = Math.max(most, ++running)
    await done
    running--
    return 'done'
  }
  return { work, finish, most: () => most, started: () => started }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5))

/** Waits until `started()` passes `count` (the first request's resolver runs), at most 2 s. */
async function untilStarted(started: () => number, count = 0) {
  for (const since = Date.now(); started() <= count && Date.now() - since < 2_000; ) await tick()
}

/** Sends `query` five times, aborting each request once its resolver has started. */
async function sendAndAbort(
  yoga: { fetch: (url: string, init: RequestInit) => unknown },
  query: string,
  started: () => number,
) {
  for (let i = 0; i < 5; i++) {
    const controller = new AbortController()
    const response = Promise.resolve(
      yoga.fetch('http://yoga/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': 'mallory' },
        body: JSON.stringify({ query }),
        signal: controller.signal,
      }),
    ).catch(() => undefined)
    if (i === 0) await untilStarted(started)
    else await tick()
    controller.abort()
    await response
    await tick()
  }
}

describe('a client that aborts its requests and sends them again', () => {
  it('runs at most max resolvers of a @concurrencyLimit field at once', async () => {
    const limiter = memoryLimiter()
    const slow = slowWork()
    const { typeDefs, transformer } = concurrencyLimitDirective({ limiter })
    const schema = transformer(
      makeExecutableSchema({
        typeDefs: [typeDefs, 'type Query { export: String @concurrencyLimit(max: 1) }'],
        resolvers: { Query: { export: slow.work } },
      }),
    )
    const yoga = createYoga({
      schema,
      logging: false,
      context: ({ request }) => ({ user: { id: request.headers.get('x-user') } }),
    })
    await sendAndAbort(yoga, '{ export }', slow.started)
    slow.finish()
    expect(slow.most()).toBe(1)
  })

  it('runs at most max operations under useConcurrencyLimit at once', async () => {
    const limiter = memoryLimiter()
    const slow = slowWork()
    const schema = makeExecutableSchema({
      typeDefs: 'type Query { export: String }',
      resolvers: { Query: { export: slow.work } },
    })
    const yoga = createYoga({
      schema,
      logging: false,
      plugins: [useConcurrencyLimit({ limiter, max: 1 })],
      context: ({ request }) => ({ user: { id: request.headers.get('x-user') } }),
    })
    await sendAndAbort(yoga, '{ export }', slow.started)
    slow.finish()
    expect(slow.most()).toBe(1)
  })

  it('runs at most max calls of a concurrencyLimit() procedure at once', async () => {
    const limiter = memoryLimiter()
    const slow = slowWork()
    const t = initTRPC.context<{ user: { id: string } }>().create()
    const router = t.router({
      export: t.procedure.use(concurrencyLimit({ limiter, max: 1 })).mutation(slow.work),
    })
    const calls = t.createCallerFactory(router)
    for (let i = 0; i < 5; i++) {
      const controller = new AbortController()
      const call = calls({ user: { id: 'mallory' } }, { signal: controller.signal })
        .export()
        .catch(() => undefined)
      if (i === 0) await untilStarted(slow.started)
      else await tick()
      controller.abort()
      void call
      await tick()
    }
    slow.finish()
    expect(slow.most()).toBe(1)
  })

  it('frees the slot at once when the resolver honours the abort', async () => {
    const limiter = memoryLimiter()
    const t = initTRPC.context<{ user: { id: string } }>().create()
    const router = t.router({
      export: t.procedure
        .use(concurrencyLimit({ limiter, max: 1 }))
        .mutation(
          ({ signal }) =>
            new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
        ),
    })
    const calls = t.createCallerFactory(router)
    const controller = new AbortController()
    const call = calls({ user: { id: 'mallory' } }, { signal: controller.signal }).export()
    await tick()
    controller.abort()
    await expect(call).rejects.toBeDefined()
    const probe = await limiter.acquire('mallory', { name: 'export', max: 1 })
    expect(probe.allowed).toBe(true)
    await probe.release()
  })
})
