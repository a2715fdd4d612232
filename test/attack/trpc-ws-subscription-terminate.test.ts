/**
 * A hostile client opens concurrency-limited tRPC subscriptions over WebSocket and kills its
 * socket without a close frame (`terminate()`), while the subscriptions' generators are waiting
 * for an event that never comes. The slots must come back once the server sees the socket die,
 * and a second caller's slots must stay its own.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { initTRPC } from '@trpc/server'
import { applyWSSHandler } from '@trpc/server/adapters/ws'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { concurrencyLimit } from '../../src/trpc/index.js'

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

async function start(limiter: RateLimiter) {
  const t = initTRPC.context<{ user: { id: string } }>().create()
  const router = t.router({
    feed: t.procedure.use(concurrencyLimit({ limiter, max: 2 })).subscription(async function* () {
      yield 1
      await new Promise(() => {}) // an event that never comes; the abort is ignored
    }),
  })
  const server = createServer()
  const wss = new WebSocketServer({ server })
  const handler = applyWSSHandler({
    wss,
    router,
    createContext: ({ req }) => ({ user: { id: String(req.headers['x-user']) } }),
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanup.push(
    () =>
      new Promise<void>((resolve) => {
        handler.broadcastReconnectNotification()
        for (const client of wss.clients) client.terminate()
        wss.close()
        server.close(() => resolve())
      }),
  )
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** Opens `count` subscriptions on one socket and resolves once each has had its first event. */
async function subscribe(url: string, user: string, count: number): Promise<WebSocket> {
  const socket = new WebSocket(url, { headers: { 'x-user': user } })
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
  const firsts = new Set<number>()
  const started = new Promise<void>((resolve) => {
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { id: number; result?: { type: string } }
      if (message.result?.type === 'data') firsts.add(message.id)
      if (firsts.size === count) resolve()
    })
  })
  for (let id = 1; id <= count; id++) {
    socket.send(JSON.stringify({ id, method: 'subscription', params: { path: 'feed' } }))
  }
  await started
  return socket
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function freeSlots(limiter: RateLimiter, identity: string) {
  const decisions = await Promise.all([1, 2].map(() => limiter.acquire(identity, { name: 'feed', max: 2 })))
  await Promise.all(decisions.map((d) => d.release()))
  return decisions.filter((d) => d.allowed).length
}

describe('tRPC subscriptions over WebSocket whose client terminates its socket', () => {
  it('give their concurrency slots back within a second', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    cleanup.push(() => limiter.close())
    const url = await start(limiter)
    const socket = await subscribe(url, 'mallory', 2)
    const bystander = await subscribe(url, 'alice', 1)
    expect(await freeSlots(limiter, 'user:mallory')).toBe(0)
    socket.terminate()
    const goneAt = Date.now()
    while ((await freeSlots(limiter, 'user:mallory')) < 2 && Date.now() - goneAt < 2_000) await sleep(20)
    expect(await freeSlots(limiter, 'user:mallory')).toBe(2)
    expect(Date.now() - goneAt).toBeLessThan(1_000)
    expect(await freeSlots(limiter, 'user:alice')).toBe(1)
    bystander.terminate()
  })
})
