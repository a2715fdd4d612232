/**
 * A `@concurrencyLimit` subscription whose source is an async iterable that fails to start (its
 * `[Symbol.asyncIterator]()` throws): nothing is open, and nothing will ever call `return()`, so
 * the slot must be given back there — else its lease is renewed for as long as the process runs.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { parse, subscribe } from 'graphql'
import { describe, expect, it } from 'vitest'
import { concurrencyLimitDirective } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

describe('a subscription whose source iterator fails to start', () => {
  it('gives its concurrency slot back', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    opened.push(limiter)
    const { typeDefs, transformer } = concurrencyLimitDirective({ limiter })
    const schema = transformer(
      makeExecutableSchema({
        typeDefs: [
          typeDefs,
          'type Query { ok: Boolean } type Subscription { feed: Int @concurrencyLimit(max: 1) }',
        ],
        resolvers: {
          Subscription: {
            feed: {
              subscribe: () => ({
                [Symbol.asyncIterator]() {
                  throw new Error('the feed could not start')
                },
              }),
            },
          },
        },
      }),
    )
    const contextValue = { user: { id: 'mallory' } }
    await Promise.resolve(
      subscribe({ schema, document: parse('subscription { feed }'), contextValue }),
    ).catch(() => undefined)
    const probe = await limiter.acquire('user:mallory', { name: 'Subscription.feed', max: 1 })
    expect(probe.allowed).toBe(true)
    await probe.release()
  })
})
