/**
 * tRPC v11 lets a query or mutation return an async iterable that is streamed to the client
 * (`httpBatchStreamLink`); its work runs while the stream is read. A concurrency-limited
 * procedure that streams must hold its slot until the stream ends — done, failed, cancelled or
 * its client gone — not give it back as soon as the iterable is returned, which let one caller
 * read any number of streams at once.
 */
import { initTRPC } from '@trpc/server'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import { concurrencyLimit } from '../../src/trpc/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

function setup() {
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  opened.push(limiter)
  let finish!: () => void
  const done = new Promise<void>((resolve) => {
    finish = resolve
  })
  const t = initTRPC.context<{ user: { id: string } }>().create()
  const router = t.router({
    rows: t.procedure.use(concurrencyLimit({ limiter, max: 1 })).query(async function* () {
      yield 1
      await done
      yield 2
    }),
  })
  const caller = (signal?: AbortSignal) =>
    t.createCallerFactory(router)({ user: { id: 'mallory' } }, signal ? { signal } : {})
  const slotFree = async () => {
    const probe = await limiter.acquire('user:mallory', { name: 'rows', max: 1 })
    await probe.release()
    return probe.allowed
  }
  return { caller, finish, slotFree }
}

describe('a concurrency-limited tRPC query that streams an async iterable', () => {
  it('holds its slot while the stream is open, and gives it back when it ends', async () => {
    const { caller, finish, slotFree } = setup()
    const stream = (await caller().rows())[Symbol.asyncIterator]()
    expect(await stream.next()).toEqual({ done: false, value: 1 })
    expect(await slotFree()).toBe(false)
    await expect(caller().rows()).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' })
    finish()
    expect(await stream.next()).toEqual({ done: false, value: 2 })
    expect((await stream.next()).done).toBe(true)
    expect(await slotFree()).toBe(true)
  })

  it('gives the slot back when the stream is cancelled or its client goes away', async () => {
    const { caller, slotFree } = setup()
    const stream = (await caller().rows())[Symbol.asyncIterator]()
    await stream.next()
    await stream.return?.()
    expect(await slotFree()).toBe(true)
    const controller = new AbortController()
    const second = (await caller(controller.signal).rows())[Symbol.asyncIterator]()
    await second.next()
    expect(await slotFree()).toBe(false)
    controller.abort()
    expect(await slotFree()).toBe(true)
  })
})
