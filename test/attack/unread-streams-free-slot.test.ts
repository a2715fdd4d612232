/**
 * Async iterables that nobody reads must not hold a concurrency slot for ever (each lease is
 * renewed while held, so "for ever" is a timer and a store call every `leaseMs / 3` for the
 * life of the process), and a field's value that merely happens to be async-iterable is not a
 * stream at all. Found in review: a tRPC query returning an async iterable, called over a link
 * that cannot stream, gets 415 and its iterable is never opened; and `@concurrencyLimit` on an
 * object-typed field replaced an async-iterable value with a bare iterator wrapper.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { initTRPC } from '@trpc/server'
import { fetchRequestHandler } from '@trpc/server/adapters/fetch'
import { execute, parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { concurrencyLimitDirective } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { concurrencyLimit } from '../../src/trpc/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

function memoryLimiter(): RateLimiter {
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  opened.push(limiter)
  return limiter
}

async function slotFree(limiter: RateLimiter, identity: string, name: string): Promise<boolean> {
  const probe = await limiter.acquire(identity, { name, max: 1 })
  await probe.release()
  return probe.allowed
}

describe('unread async iterables', () => {
  it('tRPC: a streamed query asked over a link that cannot stream (415) gives its slot back', async () => {
    const limiter = memoryLimiter()
    const t = initTRPC.context<{ user: { id: string } }>().create()
    const router = t.router({
      rows: t.procedure.use(concurrencyLimit({ limiter, max: 1, leaseMs: 300 })).query(async function* () {
        yield 1
      }),
    })
    const call = async () => {
      const response = await fetchRequestHandler({
        endpoint: '/trpc',
        req: new Request('http://x/trpc/rows'),
        router,
        createContext: () => ({ user: { id: 'mallory' } }),
      })
      await response.text()
      return response.status
    }
    expect(await call()).toBe(415)
    // 1.5 s is five leases: a slot nobody releases would still be held, renewed.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(await slotFree(limiter, 'user:mallory', 'rows')).toBe(true)
    expect(await call()).toBe(415) // not 429: the first call holds nothing
  })

  it('GraphQL: an object-typed field whose value is async-iterable is returned as it is', async () => {
    class Feed {
      title = 'news'
      count = 3
      async *[Symbol.asyncIterator]() {
        yield 1
      }
    }
    const limiter = memoryLimiter()
    const concurrency = concurrencyLimitDirective({ limiter })
    const schema = concurrency.transformer(
      makeExecutableSchema({
        typeDefs: [
          concurrency.typeDefs,
          'type Feed { title: String count: Int } type Query { feed: Feed @concurrencyLimit(max: 1) }',
        ],
        resolvers: { Query: { feed: () => new Feed() } },
      }),
    )
    const result = await execute({
      schema,
      document: parse('{ feed { title count } }'),
      contextValue: { user: { id: '1' } },
    })
    expect(result).toEqual({ data: { feed: { title: 'news', count: 3 } } })
    expect(await slotFree(limiter, 'user:1', 'Query.feed')).toBe(true)
  })
})
