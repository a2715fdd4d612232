/**
 * `@concurrencyLimit` on a subscription field served over WebSocket (graphql-ws `useServer` on a
 * `ws` server, graphql-js `subscribe`), on Redis: a slot is held while the subscription is open,
 * and a client whose socket dies without a word gives its slot back within a second.
 */
import type { AddressInfo } from 'node:net'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { useServer } from 'graphql-ws/use/ws'
import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type WebSocket, WebSocketServer } from 'ws'
import { concurrencyLimitDirective } from '../../src/graphql/index.js'
import { createRateLimiter, type RateLimiter, RedisStore } from '../../src/index.js'
import { ready, redisClient, uniquePrefix } from '../helpers.js'
import { connectGraphQLWs as connect } from './ws-client.js'

const MAX = 2

function schemaOn(limiter: RateLimiter) {
  const { typeDefs, transformer } = concurrencyLimitDirective({ limiter })
  const resolvers = {
    Query: { ok: () => true },
    Subscription: {
      feed: {
        subscribe: async function* () {
          yield { feed: 1 }
          await new Promise(() => {}) // the feed never ends on its own
        },
      },
    },
  }
  const sdl = `type Query { ok: Boolean }
type Subscription { feed: Int @concurrencyLimit(max: ${MAX}) }`
  return transformer(makeExecutableSchema({ typeDefs: [typeDefs, sdl], resolvers }))
}

describe('@concurrencyLimit on a subscription over graphql-ws, on Redis', () => {
  let client: Redis
  beforeAll(async () => {
    client = await ready(redisClient())
  })
  afterAll(() => client.disconnect())

  it('refuses a subscription beyond max with CONCURRENCY_LIMITED, and frees a dead socket’s slot within a second', async () => {
    const limiter = createRateLimiter({
      store: new RedisStore({ client, logger: false }),
      prefix: uniquePrefix('gql-ws'),
      logger: false,
      timeoutMs: 5_000,
    })
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/graphql' })
    await new Promise((resolve) => server.once('listening', resolve))
    const cleanup = useServer({ schema: schemaOn(limiter), context: () => ({ user: { id: 'ws' } }) }, server)
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`
    const sockets: WebSocket[] = []
    try {
      const holders = await Promise.all(Array.from({ length: MAX }, () => connect(url)))
      sockets.push(...holders.map((h) => h.socket))
      for (const holder of holders) expect(await holder.subscribe()).toContain('"feed":1')
      const late = await connect(url)
      sockets.push(late.socket)
      const refused = await late.subscribe()
      expect(refused).toContain('CONCURRENCY_LIMITED')
      expect(refused).not.toContain('"feed":1')

      holders[0]!.socket.terminate() // gone without a close frame
      const goneAt = Date.now()
      let admitted = false
      while (!admitted && Date.now() - goneAt < 3_000) {
        admitted = (await late.subscribe()).includes('"feed":1')
        if (!admitted) await new Promise((resolve) => setTimeout(resolve, 25))
      }
      expect(admitted).toBe(true)
      expect(Date.now() - goneAt).toBeLessThan(1_000)
      // And max again: the next one is refused.
      expect(await late.subscribe()).toContain('CONCURRENCY_LIMITED')
    } finally {
      for (const socket of sockets) socket.terminate()
      await cleanup.dispose()
      await new Promise((resolve) => server.close(resolve))
      await limiter.close()
    }
  })
})
