import { type ExecutionResult, parse, subscribe } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { admittedRuns, codes, limitedSchema, memoryLimiter, run } from './fixtures.js'

const posts = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i, title: `t${i}` }))
const listSdl = `type Query { posts(n: Int!): [Post!]!, post: Post }
  type Post { id: Int!, title: String, author: String @rateLimit(limit: 5, window: "1m") }`
const listResolvers = {
  Query: { posts: (_: unknown, { n }: { n: number }) => posts(n), post: () => ({ id: 0 }) },
  Post: { author: (p: { id: number }) => `a${p.id}` },
}

describe('fields under lists', () => {
  it('counts a field once per response path without list indices by default (a 100-item list costs 1)', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, listSdl, listResolvers)
    const result = await run(schema, '{ posts(n: 100) { author } }')
    expect(result.errors).toBeUndefined()
    expect((result.data!.posts as unknown[]).length).toBe(100)
    // 1 unit used by the list above; aliases are other paths and count on their own.
    const aliased = await run(
      schema,
      '{ a: posts(n: 3) { author } b: posts(n: 3) { author } c: post { author } }',
    )
    expect(aliased.errors).toBeUndefined()
    // 4 of 5 used: one more operation is admitted, then the budget is spent.
    expect(await admittedRuns(schema, '{ post { author } }', 2)).toEqual([true, false])
  })

  it('refuses every item of the path when its one check is refused', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, listSdl, listResolvers)
    for (let i = 0; i < 5; i++) await run(schema, '{ post { author } }')
    const result = await run(schema, '{ posts(n: 3) { id author } }')
    expect(result.data).toEqual({ posts: [0, 1, 2].map((id) => ({ id, author: null })) })
    expect(result.errors!.map((e) => e.path)).toEqual([0, 1, 2].map((i) => ['posts', i, 'author']))
  })

  it("counts every resolution with listMode: 'each'", async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, listSdl, listResolvers, { listMode: 'each' })
    const result = await run(schema, '{ posts(n: 8) { author } }')
    const authors = (result.data!.posts as Array<{ author: string | null }>).map((p) => p.author)
    expect(authors).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', null, null, null])
    expect(codes(result)).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED'])
  })

  it('does not share decisions between operations, even with one shared context object', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(limiter, listSdl, listResolvers)
    const { graphql } = await import('graphql')
    const contextValue = { user: { id: 'carol' } }
    const outcomes: boolean[] = []
    for (let i = 0; i < 6; i++) {
      const result = await graphql({ schema, source: '{ posts(n: 2) { author } }', contextValue })
      outcomes.push(result.errors === undefined)
    }
    expect(outcomes).toEqual([true, true, true, true, true, false])
  })

  it('counts a list path again in every request served by yoga (no state leaks between executions)', async () => {
    const { limiter } = memoryLimiter()
    const shared = { user: { id: 'dora' } }
    const yoga = createYoga({
      schema: limitedSchema(limiter, listSdl, listResolvers),
      context: () => shared,
      logging: false,
    })
    const ask = async () =>
      (await (await yoga.fetch('http://yoga/graphql?query={posts(n:3){author}}')).json()) as {
        errors?: unknown[]
      }
    const outcomes: boolean[] = []
    for (let i = 0; i < 6; i++) outcomes.push((await ask()).errors === undefined)
    expect(outcomes).toEqual([true, true, true, true, true, false])
  })
})

async function* ticks(n: number) {
  for (let i = 0; i < n; i++) yield { tick: i }
}

describe('subscriptions', () => {
  const sdl = `type Query { ok: Boolean }
    type Subscription { tick: Int @rateLimit(limit: 2, window: "1m") }`
  const resolvers = {
    Subscription: { tick: { subscribe: () => ticks(5), resolve: (e: { tick: number }) => e.tick } },
  }

  it('are limited when they start, and their events are not counted', async () => {
    const { limiter } = memoryLimiter()
    let decisions = 0
    limiter.on('decision', () => decisions++)
    const schema = limitedSchema(limiter, sdl, resolvers)
    const start = () =>
      subscribe({ schema, document: parse('subscription { tick }'), contextValue: { user: { id: 'ann' } } })
    for (let i = 0; i < 2; i++) {
      const stream = (await start()) as AsyncIterable<ExecutionResult>
      const events: unknown[] = []
      for await (const event of stream) events.push(event.data?.tick)
      expect(events).toEqual([0, 1, 2, 3, 4])
    }
    expect(decisions).toBe(2)
    const refused = (await start()) as ExecutionResult
    expect(Symbol.asyncIterator in refused).toBe(false)
    expect(refused.errors!.map((e) => [e.path, e.extensions.code])).toEqual([[['tick'], 'RATE_LIMITED']])
    expect(refused.errors![0]!.extensions.retryAfter).toBeGreaterThanOrEqual(60)
  })

  it('does not count limited fields inside subscription events', async () => {
    const { limiter } = memoryLimiter()
    const schema = limitedSchema(
      limiter,
      `type Query { ok: Boolean }
       type Subscription { post: Post }
       type Post { title: String @rateLimit(limit: 1, window: "1m") }`,
      { Subscription: { post: { subscribe: () => ticks(3), resolve: () => ({ title: 't' }) } } },
    )
    const stream = (await subscribe({
      schema,
      document: parse('subscription { post { title } }'),
      contextValue: {},
    })) as AsyncIterable<ExecutionResult>
    const events: ExecutionResult[] = []
    for await (const event of stream) events.push(event)
    expect(events.map((e) => e.errors)).toEqual([undefined, undefined, undefined])
  })
})
