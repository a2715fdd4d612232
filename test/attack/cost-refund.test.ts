/**
 * Attacks on `useCostBudget({ refund: true })`: the refund is computed from the response `data`,
 * so any work that ran but does not show in the data is given back. A client that makes a sibling
 * non-null field fail (any resolver that throws on the client's input, or a `@rateLimit`ed field it
 * has already exhausted) nulls the parent: the whole subtree counts 0, although every resolver in
 * it ran and returned its items.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { costTypeDefs, useCostBudget, useRateLimitExtensions } from '../../src/graphql/cost/index.js'
import { createRateLimiter, MemoryStore } from '../../src/index.js'

const typeDefs = /* GraphQL */ `
  type Item { name: String }
  type Viewer {
    items(first: Int!): [Item!]! @listSize(slicingArguments: ["first"])
    "Throws on a bad argument, as many resolvers do (not found, forbidden, invalid input)."
    check(ok: Boolean!): Boolean!
  }
  type Query { viewer: Viewer }
`

function server() {
  const work = { items: 0 }
  const schema = makeExecutableSchema({
    typeDefs: [costTypeDefs, typeDefs],
    resolvers: {
      Query: { viewer: () => ({}) },
      Viewer: {
        items: (_: unknown, { first }: { first: number }) => {
          work.items += first
          return Array.from({ length: first }, (_, i) => ({ name: `item ${i}` }))
        },
        check: (_: unknown, { ok }: { ok: boolean }) => {
          if (!ok) throw new Error('invalid input')
          return true
        },
      },
    },
  })
  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  const yoga = createYoga({
    schema,
    logging: false,
    plugins: [
      useCostBudget({ limiter, limit: 1000, window: '1h', maxCost: 1000, refund: true }),
      useRateLimitExtensions(),
    ],
    context: () => ({ userId: 'mallory' }),
  })
  const post = async (query: string) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
    })
    // biome-ignore lint/suspicious/noExplicitAny: the body is checked field by field.
    return { status: response.status, body: (await response.json()) as any }
  }
  return { post, work }
}

describe('refund: true against a client that nulls the work it asked for', () => {
  it('does not give back the points of a subtree that ran but was nulled by a failing sibling', async () => {
    const { post, work } = server()
    // Estimated 1 (viewer) + 500 items = 501: the budget of 1000 pays for it once.
    const query = '{ viewer { items(first: 500) { name } check(ok: false) } }'
    let admitted = 0
    for (let i = 0; i < 10; i++) {
      const { body } = await post(query)
      if (body.data?.viewer === null && body.extensions?.rateLimit?.cost === 501) admitted++
    }
    // Each admitted operation resolved 500 items; a budget of 1000 points per hour pays for 2.
    expect(work.items).toBe(admitted * 500)
    expect(work.items).toBeLessThanOrEqual(1000)
  })
})
