/**
 * `useConcurrencyLimit` on graphql-yoga served over WebSocket the way yoga documents it (graphql-ws
 * `useServer` calling the enveloped `subscribe`): a hostile client opens subscriptions whose
 * source waits forever and then kills its socket without a close frame, or completes them. The
 * slots must come back: graphql-ws ends a subscription by calling `return()` on what `subscribe`
 * returned — and only when that object has a `return()` of its own (an async generator).
 */
import type { AddressInfo } from 'node:net'
import { makeExecutableSchema } from '@graphql-tools/schema'
import type { ExecutionArgs } from 'graphql'
import { useServer } from 'graphql-ws/use/ws'
import { createYoga } from 'graphql-yoga'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocketServer } from 'ws'
import { useConcurrencyLimit } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { connectGraphQLWs as connect } from '../graphql/ws-client.js'

const cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close()
})

async function start(limiter: RateLimiter) {
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { ok: Boolean } type Subscription { feed: Int }',
    resolvers: {
      Subscription: {
        feed: {
          subscribe: async function* () {
            yield { feed: 1 }
            await new Promise(() => {}) // never ends on its own
          },
        },
      },
    },
  })
  const yoga = createYoga({
    schema,
    logging: false,
    plugins: [useConcurrencyLimit({ limiter, max: 1 })],
    context: () => ({ user: { id: 'mallory' } }),
  })
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/graphql' })
  await new Promise((resolve) => server.once('listening', resolve))
  type Run = (args: ExecutionArgs) => unknown
  const root = (args: ExecutionArgs) => args.rootValue as { execute: Run; subscribe: Run }
  const ws = useServer(
    {
      execute: (args) => root(args).execute(args) as never,
      subscribe: (args) => root(args).subscribe(args) as never,
      onSubscribe: async (ctx, _id, params) => {
        const enveloped = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params,
        })
        return {
          schema: enveloped.schema,
          operationName: params.operationName,
          document: enveloped.parse(params.query),
          variableValues: params.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        }
      },
    },
    server,
  )
  cleanup.push(async () => {
    for (const client of server.clients) client.terminate()
    await ws.dispose()
    await new Promise((resolve) => server.close(resolve))
  })
  return `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function slotFree(limiter: RateLimiter): Promise<boolean> {
  const probe = await limiter.acquire('user:mallory', { name: 'graphql-operations', max: 1 })
  await probe.release()
  return probe.allowed
}

async function slotBackWithin(limiter: RateLimiter, ms: number): Promise<boolean> {
  const since = Date.now()
  while (!(await slotFree(limiter))) {
    if (Date.now() - since > ms) return false
    await sleep(20)
  }
  return true
}

describe('useConcurrencyLimit subscriptions over graphql-ws', () => {
  it('give the slot back when the client terminates its socket', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    cleanup.push(() => limiter.close())
    const client = await connect(await start(limiter))
    expect(await client.subscribe()).toContain('"feed":1')
    expect(await slotFree(limiter)).toBe(false)
    client.socket.terminate()
    expect(await slotBackWithin(limiter, 1_000)).toBe(true)
  })

  it('give the slot back when the client completes the subscription', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    cleanup.push(() => limiter.close())
    const client = await connect(await start(limiter))
    expect(await client.subscribe()).toContain('"feed":1')
    expect(await slotFree(limiter)).toBe(false)
    client.complete('s1')
    expect(await slotBackWithin(limiter, 1_000)).toBe(true)
    client.socket.terminate()
  })
})
