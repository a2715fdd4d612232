import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { useConcurrencyLimit, useRateLimitHeaders } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter } from '../../src/index.js'
import { closeAfterEach } from '../helpers.js'

const opened = closeAfterEach()

function gate() {
  let open!: () => void
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  return { open, opened }
}

function server(wait: () => Promise<void>, headers = false) {
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  opened.push(limiter)
  const schema = makeExecutableSchema({
    typeDefs: 'type Query { slow: String, fast: String } type Subscription { feed: Int }',
    resolvers: {
      Query: { slow: () => wait().then(() => 'slow'), fast: () => 'fast' },
      Subscription: {
        feed: {
          subscribe: async function* () {
            yield { feed: 1 }
            await wait()
          },
        },
      },
    },
  })
  const yoga = createYoga({
    schema,
    plugins: [
      useConcurrencyLimit({ limiter, max: 1 }),
      ...(headers ? [useRateLimitHeaders({ directive: [] })] : []),
    ],
    context: ({ request }) => ({ user: { id: request.headers.get('x-user') ?? 'anon' } }),
    logging: false,
  })
  const post = (
    query: string,
    user = 'u',
    init: RequestInit = {},
    accept = 'application/graphql-response+json',
  ) =>
    yoga.fetch('http://yoga/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, 'x-user': user },
      body: JSON.stringify({ query }),
      ...init,
    })
  return { limiter, post }
}

const slotFree = async (limiter: RateLimiter, user = 'user:u') => {
  const slot = await limiter.acquire(user, { name: 'graphql-operations', max: 1 })
  await slot.release()
  return slot.allowed
}

describe('useConcurrencyLimit (operations in flight per caller)', () => {
  it('refuses an operation beyond max with 429, one CONCURRENCY_LIMITED error and no data, and frees the slot after', async () => {
    for (const headers of [false, true]) {
      const g = gate()
      const { post, limiter } = server(() => g.opened, headers)
      const first = post('{ slow }')
      await new Promise((resolve) => setTimeout(resolve, 20))
      const refused = await post('{ fast }')
      expect(refused.status).toBe(429)
      expect(refused.headers.get('retry-after')).toBeNull()
      const body = await refused.json()
      expect(body.data).toBeUndefined()
      expect(body.errors).toEqual([
        {
          message: 'Too many concurrent operations: at most 1 at once',
          extensions: { code: 'CONCURRENCY_LIMITED', limit: 1, active: 1, policy: 'graphql-operations' },
        },
      ])
      expect((await post('{ fast }', 'other')).status).toBe(200) // another caller
      g.open()
      expect(await (await first).json()).toEqual({ data: { slow: 'slow' } })
      expect(await slotFree(limiter)).toBe(true)
    }
  })

  it('takes no slot for a document that fails validation', async () => {
    const g = gate()
    const { post, limiter } = server(() => g.opened)
    expect((await post('{ nope }')).status).toBe(400)
    expect(await slotFree(limiter)).toBe(true)
    g.open()
  })

  it('holds a subscription slot until the client goes away', async () => {
    const { post, limiter } = server(() => new Promise(() => {}))
    const controller = new AbortController()
    const response = await post(
      'subscription { feed }',
      'u',
      { signal: controller.signal },
      'text/event-stream',
    )
    const reader = response.body!.getReader()
    let text = ''
    while (!text.includes('data:')) text += new TextDecoder().decode((await reader.read()).value)
    expect(text).toContain('"feed":1')
    expect(await slotFree(limiter)).toBe(false)
    controller.abort()
    await reader.cancel().catch(() => {})
    const goneAt = Date.now()
    let back = false
    while (!back && Date.now() - goneAt < 3_000) {
      back = await slotFree(limiter)
      if (!back) await new Promise((resolve) => setTimeout(resolve, 20))
    }
    expect(back).toBe(true)
    expect(Date.now() - goneAt).toBeLessThan(1_000)
  })

  it('validates its options when built', () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    opened.push(limiter)
    expect(() => useConcurrencyLimit({ limiter, max: 0 })).toThrow(/useConcurrencyLimit\(\): Expected `max`/)
    expect(() => useConcurrencyLimit({ limiter: {} as RateLimiter, max: 1 })).toThrow(/`limiter`/)
  })
})
