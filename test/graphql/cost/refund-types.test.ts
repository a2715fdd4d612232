/**
 * The actual cost of an interface or union item counts the type execution resolved, never one a
 * client can name through an alias: aliasing a client-controlled string to `__typename` must not
 * buy a refund.
 */
import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { actualCost } from '../../../src/graphql/cost/actual-cost.js'
import { hostileSchema, hostileServer } from './hostile-fixture.js'

const schema = hostileSchema()

describe('the actual cost of interface and union items', () => {
  it('is not lowered by aliasing a client-controlled string field to __typename', async () => {
    const { post, calls } = hostileServer({ refund: true, limit: 10_000 })
    // 100 Persons named "Doc", each with 60 friends: 100 × (1 + 60) = 6100, as estimated.
    const query = `{ search(first: 100, term: "Doc") {
      ... on Person { __typename: name friends(first: 60) { name } }
      ... on Doc { title }
    } }`
    const response = await post(query)
    expect(calls.search).toBe(1)
    expect(response.body.data.search[0].__typename).toBe('Doc')
    expect(response.body.extensions.rateLimit).toMatchObject({ cost: 6100, actualCost: 6100 })
    // Nothing was refunded: the next operation sees 10 000 − 6 100.
    const next = await post('{ people { name } }')
    expect(next.body.extensions.rateLimit.policies[0].remaining).toBe(10_000 - 6100 - 10)
  })

  it('is not lowered by giving another member the same response keys and a matching fake __typename', () => {
    const document = parse(`{ search(first: 2, term: "Doc") {
      ... on Person { __typename: name friends(first: 60) { name } }
      ... on Doc { __typename friends: title }
    } }`)
    const friends = Array.from({ length: 60 }, () => ({ name: 'f' }))
    const data = { search: [0, 1].map(() => ({ __typename: 'Doc', friends })) }
    // Doc could have produced these keys, Person did: the more expensive of the two counts.
    expect(actualCost(schema, document, data)).toBe(2 * 61)
  })

  it('counts the resolved type when the response shape or a real __typename tells it', () => {
    const query = '{ search(first: 10, term: "a") { ... on Person { name } ... on Doc { title } } }'
    const people = { search: Array.from({ length: 10 }, () => ({ name: 'a' })) }
    // Only Person selects `name`: each item is a Person (1), not a Doc (50).
    expect(actualCost(schema, parse(query), people)).toBe(10)
    const docs = { search: Array.from({ length: 10 }, () => ({ title: 't' })) }
    expect(actualCost(schema, parse(query), docs)).toBe(10 * 50)
    // The same keys for both members: a __typename selected by the client (Apollo Client adds it) decides.
    const typed = '{ search(first: 10, term: "a") { __typename } }'
    const typedPeople = { search: Array.from({ length: 10 }, () => ({ __typename: 'Person' })) }
    expect(actualCost(schema, parse(typed), typedPeople)).toBe(10)
    // The same keys and no __typename: the most expensive member that could have produced them counts.
    const untyped = '{ search(first: 10, term: "a") { ... on Person { x: name } ... on Doc { x: title } } }'
    const xs = { search: Array.from({ length: 10 }, () => ({ x: 'a' })) }
    expect(actualCost(schema, parse(untyped), xs)).toBe(10 * 50)
    expect(actualCost(schema, parse('{ entity { id } }'), { entity: { id: 'd' } })).toBe(9)
  })

  it('refunds exactly through yoga when the client selects __typename', async () => {
    const { post } = hostileServer({ refund: 'report' })
    const response = await post('{ search(first: 10, term: "a") { __typename ... on Person { name } } }')
    expect(response.body.extensions.rateLimit).toMatchObject({ cost: 10 * 50, actualCost: 10 })
  })
})
