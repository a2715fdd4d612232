/**
 * A tRPC subscription whose resolver returns neither an observable nor an async iterable (a bug,
 * or a value tRPC then rejects) opens nothing, so nothing would ever end it: it must not keep its
 * concurrency slot — a lease renewed in the background for as long as the process runs.
 */
import { initTRPC } from '@trpc/server'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import { concurrencyLimit } from '../../src/trpc/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

describe('a tRPC subscription that returns no stream', () => {
  it('gives its concurrency slot back at once', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    opened.push(limiter)
    const t = initTRPC.context<{ user: { id: string } }>().create()
    const router = t.router({
      feed: t.procedure.use(concurrencyLimit({ limiter, max: 1 })).subscription(() => 42 as never),
    })
    const caller = t.createCallerFactory(router)({ user: { id: 'mallory' } })
    await caller.feed()
    const probe = await limiter.acquire('user:mallory', { name: 'feed', max: 1 })
    expect(probe.allowed).toBe(true)
    await probe.release()
  })
})
