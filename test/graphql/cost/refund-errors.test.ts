/**
 * A field error nulls the nearest nullable position of its path, and with it everything that ran
 * below: the actual cost must count such a field at its estimate (no refund for work that ran),
 * while the fields no error touched are still measured by what they returned.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { execute, parse } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { actualCost } from '../../../src/graphql/cost/actual-cost.js'
import { costTypeDefs, useCostBudget, useRateLimitExtensions } from '../../../src/graphql/cost/index.js'
import { createRateLimiter, MemoryStore } from '../../../src/index.js'

const typeDefs = /* GraphQL */ `
  type Item { name: String check(ok: Boolean!): Boolean! }
  type Edge { node: Item! }
  type Connection { edges: [Edge]! }
  type Viewer {
    items(first: Int!): [Item!]! @listSize(slicingArguments: ["first"])
    connection(first: Int!): Connection! @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
    check(ok: Boolean!): Boolean!
  }
  type Query { viewer: Viewer }
`

/** Every list returns at most 3 items, whatever `first` asks. */
const three = (first: number) => Array.from({ length: Math.min(first, 3) }, (_, i) => ({ name: `i${i}` }))
const schema = makeExecutableSchema({
  typeDefs: [costTypeDefs, typeDefs],
  resolvers: {
    Query: { viewer: () => ({}) },
    Viewer: {
      items: (_: unknown, { first }: { first: number }) => three(first),
      connection: (_: unknown, { first }: { first: number }) => ({
        edges: three(first).map((node) => ({ node })),
      }),
      check: (_: unknown, { ok }: { ok: boolean }) => {
        if (!ok) throw new Error('invalid input')
        return true
      },
    },
    Item: {
      check: (_: unknown, { ok }: { ok: boolean }) => {
        if (!ok) throw new Error('invalid input')
        return true
      },
    },
  },
})

/** Executes the query and prices the response with its errors. */
async function executed(query: string) {
  const document = parse(query)
  const result = await execute({ schema, document })
  return { result, cost: actualCost(schema, document, result.data, { errors: result.errors }) }
}

describe('the actual cost of a response with errors', () => {
  it('counts a subtree nulled by a failing non-null sibling at its estimate', async () => {
    const { result, cost } = await executed('{ viewer { items(first: 500) { name } check(ok: false) } }')
    expect(result.data).toEqual({ viewer: null })
    // Estimated 1 (viewer) + 500 items: the 3 items returned ran, but the null hides them.
    expect(cost).toBe(501)
  })

  it('still measures the fields no error touched by what they returned', async () => {
    const { result, cost } = await executed(`{
      a: viewer { items(first: 500) { name } }
      b: viewer { items(first: 500) { name } check(ok: false) }
    }`)
    expect(result.data).toMatchObject({ a: { items: [{}, {}, {}] }, b: null })
    expect(cost).toBe(1 + 3 + 501)
  })

  it('prices items nulled inside a list at the size their connection gives them', async () => {
    const { result, cost } = await executed(
      '{ viewer { connection(first: 100) { edges { node { check(ok: false) } } } } }',
    )
    expect(result.data).toEqual({ viewer: { connection: { edges: [null, null, null] } } })
    // viewer 1 + connection 1 + 100 edges × (edge 1 + node 1): the estimate, nothing given back.
    expect(cost).toBe(1 + 1 + 100 * 2)
  })

  it('is unknown when an error cannot be placed in the data', () => {
    const document = parse('{ viewer { items(first: 5) { name } } }')
    const data = { viewer: { items: [{ name: 'a' }] } }
    expect(actualCost(schema, document, data)).toBe(2)
    expect(actualCost(schema, document, data, { errors: [{}] })).toBeUndefined()
    expect(actualCost(schema, document, data, { errors: [{ path: ['viewer', 'items'] }] })).toBeUndefined()
    expect(actualCost(schema, document, data, { errors: [{ path: ['elsewhere'] }] })).toBeUndefined()
  })

  it('gives back through yoga only what the fields no error touched did not use', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    const yoga = createYoga({
      schema,
      logging: false,
      plugins: [
        useCostBudget({ limiter, limit: 2_000, window: '1h', refund: true }),
        useRateLimitExtensions(),
      ],
      context: () => ({ userId: 'alice' }),
    })
    const post = async (query: string) => {
      const response = await yoga.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      })
      // biome-ignore lint/suspicious/noExplicitAny: the body is checked field by field.
      return (await response.json()) as any
    }
    const first = await post(`{
      a: viewer { items(first: 500) { name } }
      b: viewer { items(first: 500) { name } check(ok: false) }
    }`)
    expect(first.extensions.rateLimit).toMatchObject({ cost: 1002, actualCost: 505 })
    // 1002 − 505 = 497 points came back before the response was sent.
    const next = await post('{ viewer { check(ok: true) } }')
    expect(next.extensions.rateLimit.policies[0].remaining).toBe(2_000 - 505 - 1)
  })
})
