/**
 * `@listSize` / `@cost` written on an interface field are read from the object type's own field
 * only, so an implementation that repeats the field without the directive (graphql-js does not
 * copy directives to implementations) is priced at `defaultListSize` while its resolver honours
 * `first: 1000` — 100× under the real work, whether the client asks through the interface or the
 * object type. The library's own `@rateLimit` does inherit from interface fields, so a schema
 * author has every reason to expect the same here. Safe: priced from the interface field, or the
 * schema refused when it is compiled.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { analyzeCost } from '../../src/graphql/cost/analyze.js'
import { compileCostSchema } from '../../src/graphql/cost/cost-schema.js'
import { costTypeDefs } from '../../src/graphql/cost/directives.js'
import { RateLimitConfigError } from '../../src/index.js'

const schema = makeExecutableSchema({
  typeDefs: [
    costTypeDefs,
    /* GraphQL */ `
      interface Node { id: ID! friends(first: Int!): [User!]! @listSize(slicingArguments: ["first"]) }
      type User implements Node { id: ID! friends(first: Int!): [User!]! }
      type Query { node: Node user: User }
    `,
  ],
})

describe('a @listSize declared on an interface field', () => {
  // Tightened with the fix: the directive is inherited (as @rateLimit's is), so the schema compiles.
  it('prices the implementations by it', () => {
    expect(() => compileCostSchema(schema)).not.toThrow(RateLimitConfigError)
    for (const query of [
      '{ node { friends(first: 1000) { id } } }',
      '{ user { friends(first: 1000) { id } } }',
    ]) {
      expect(analyzeCost(schema, parse(query))?.cost).toBeGreaterThanOrEqual(1000)
    }
  })
})
