import { readFileSync } from 'node:fs'
import { makeExecutableSchema } from '@graphql-tools/schema'
import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { analyzeCost, createCostAnalyzer } from '../../../src/graphql/cost/analyze.js'
import { compileCostSchema } from '../../../src/graphql/cost/cost-schema.js'
import { costTypeDefs } from '../../../src/graphql/cost/directives.js'
import { RateLimitConfigError } from '../../../src/index.js'
import { costSchema } from './fixture.js'

const schema = costSchema()
const cost = (query: string, variables?: Record<string, unknown>, options = {}) =>
  analyzeCost(schema, parse(query), { variables, ...options })!.cost
const estimate = (query: string, variables?: Record<string, unknown>) =>
  analyzeCost(schema, parse(query), { variables })!.estimate

describe('cost of an operation (hand-computed against the IBM spec defaults)', () => {
  it('charges 1 per object and nothing for scalars', () => {
    // viewer (User object) = 1; login is a scalar = 0
    expect(cost('{ viewer { login } }')).toBe(1)
    // user 1 + owner-less: avatar is a String (0) with no argument
    expect(cost('{ a: viewer { login } b: user(login: "x") { id } }')).toBe(2)
  })

  it('sizes a connection by its first argument and applies it to edges (sizedFields)', () => {
    // viewer 1 × (1 + repositories)
    // repositories: 1 × (connection 1 + edges 10 × (edge 1 + node 1 × (Repository @cost 2 + stars @cost 3)))
    //             = 1 + 10 × 6 = 61  →  total 62
    const query = '{ viewer { repositories(first: 10) { totalCount edges { cursor node { name stars } } } } }'
    expect(cost(query)).toBe(62)
  })

  it('reads the slicing argument from a variable and from last', () => {
    const query = 'query($n: Int) { viewer { repositories(last: $n) { edges { node { stars } } } } }'
    // edges 3 × (1 + 2 + 3) = 18; repositories 1 + 18 = 19; viewer 1 + 19 = 20
    expect(cost(query, { n: 3 })).toBe(20)
    expect(cost(query, { n: 1 })).toBe(1 + 1 + 6)
    // a variable default counts when the variable is not given
    expect(cost('query($n: Int = 2) { viewer { repositories(first: $n) { nodes { id } } } }')).toBe(
      1 + 1 + 2 * 2,
    )
  })

  it('multiplies nested lists', () => {
    // issues: 1 × (1 + nodes 4 × (Issue 1 + author 1)) = 9
    // repository nodes: 5 × (2 + 9) = 55; repositories 1 + 55 = 56; viewer 57
    const query =
      '{ viewer { repositories(first: 5) { nodes { issues(first: 4) { nodes { title author { login } } } } } } }'
    expect(cost(query)).toBe(57)
  })

  it('counts the most expensive branch of a union, its type weight included, through inline fragments', () => {
    // search: 1 × (1 + nodes 10 × max(User 1 + 5, Repository @cost 2 + stars 3, Issue 1 + 0)) = 61
    const query = `{ search(query: "x", first: 10) { issueCount nodes {
      ... on User { login followers(first: 5) { login } }
      ... on Repository { name stars }
      ... on Issue { title }
    } } }`
    expect(cost(query)).toBe(61)
    const cheaperUser = query.replace('followers(first: 5)', 'followers(first: 2)')
    // max(User 1 + 2, Repository 2 + 3, Issue 1) = 5 → 1 + 10 × 5 = 51
    expect(cost(cheaperUser)).toBe(51)
  })

  it('counts the most expensive implementation of an interface, and argument weights', () => {
    // node: max(User 1 + avatar(size:) argument @cost 2, Repository @cost 2 + stars 3, Issue 1) = 5
    expect(cost('{ node(id: "1") { id ... on Repository { stars } ... on User { avatar(size: 3) } } }')).toBe(
      5,
    )
    // a named fragment on the interface applies to every implementation
    const query = '{ node(id: "1") { ...N } } fragment N on Node { id ... on User { avatar(size: 1) } }'
    expect(cost(query)).toBe(1 + 2)
  })

  it('counts each alias and each fragment spread', () => {
    // user 1 + repositories (1 + nodes 2 × 2) = 6, twice
    const query = `{ a: user(login: "a") { ...U } b: user(login: "b") { ...U } }
      fragment U on User { login repositories(first: 2) { nodes { name } } }`
    expect(cost(query)).toBe(12)
  })

  it('leaves out what @skip and @include leave out, with literals and variables', () => {
    const query = `query($withRepos: Boolean!, $skipUser: Boolean = false) {
      viewer { login repositories(first: 10) @include(if: $withRepos) { totalCount } }
      user(login: "x") @skip(if: $skipUser) { id }
    }`
    expect(cost(query, { withRepos: true })).toBe(1 + 1 + 1)
    expect(cost(query, { withRepos: false })).toBe(1 + 1)
    expect(cost(query, { withRepos: false, skipUser: true })).toBe(1)
    expect(cost('{ viewer { ... @skip(if: true) { repositories(first: 9) { totalCount } } } }')).toBe(1)
  })

  it('uses assumedSize, argument defaults, nested slicing paths and the default list size', () => {
    expect(cost('{ trending { name } }')).toBe(25 * 2)
    expect(cost('{ topics { name } }')).toBe(5)
    expect(cost('{ topics(limit: 2) { name } }')).toBe(2)
    // 7 topics + the TopicFilter input object (1)
    expect(cost('{ topicsBy(filter: { first: 7 }) { name } }')).toBe(8)
    expect(
      cost('query($f: TopicFilter) { topicsBy(filter: $f) { name } }', { f: { first: 4, name: 'x' } }),
    ).toBe(5)
    // followers has no slicing value and no assumedSize: the default list size (10, or the option)
    expect(cost('{ viewer { followers { login } } }')).toBe(1 + 10)
    expect(cost('{ viewer { followers { login } } }', undefined, { defaultListSize: 20 })).toBe(1 + 20)
    // languages: 10 (default) × enum @cost 0.5 = 5; createdAt: scalar @cost 0.25
    expect(estimate('{ viewer { repositories(first: 1) { nodes { languages createdAt } } } }')).toBe(
      1 + 1 + (2 + 5 + 0.25),
    )
  })

  it('rounds a fractional estimate up and charges at least the minimum cost', () => {
    expect(estimate('{ expensive }')).toBe(7.5)
    expect(cost('{ expensive }')).toBe(8)
    expect(cost('{ tags }')).toBe(1)
    expect(cost('{ tags }', undefined, { minimumCost: 0 })).toBe(0)
  })

  it('adds the mutation cost per root mutation field and weighs input objects', () => {
    // 10 + Repository 2 + input object 1 + note @cost 4 = 17
    const one = 'mutation { addStar(input: { repositoryId: "1", note: "hi" }) { name } }'
    expect(cost(one)).toBe(17)
    expect(
      cost('mutation($i: AddStarInput!) { a: addStar(input: $i) { id } b: addStar(input: $i) { id } }', {
        i: { repositoryId: '1' },
      }),
    ).toBe(2 * (10 + 2 + 1))
    expect(cost(one, undefined, { mutationCost: 0 })).toBe(7)
  })

  it('charges introspection by the objects it returns plus its flat cost, and __typename nothing', () => {
    const types = Object.keys(schema.getTypeMap()).length
    expect(estimate('{ __schema { types { name } } }')).toBe(1 + types)
    expect(cost('{ __typename }')).toBe(1)
    // (5 + __schema 1 + its types) + (5 + __type 1)
    expect(
      cost('{ __schema { types { name } } __type(name: "User") { name } }', undefined, {
        introspectionCost: 5,
      }),
    ).toBe(5 + 1 + types + 5 + 1)
  })

  it('refuses a list field without exactly one required slicing argument', () => {
    expect(() => cost('{ viewer { repositories { totalCount } } }')).toThrow(
      /User.repositories needs exactly one/,
    )
    expect(() => cost('{ viewer { repositories(first: 1, last: 2) { totalCount } } }')).toThrow(/got 2/)
    try {
      cost('{ viewer { repositories { totalCount } } }')
    } catch (error) {
      expect((error as { extensions: Record<string, unknown> }).extensions).toMatchObject({
        code: 'INVALID_SLICING_ARGUMENTS',
        http: { status: 400 },
      })
    }
  })

  it('selects the named operation and returns undefined when there is none', () => {
    const document = parse('query A { viewer { id } } query B { trending { id } }')
    expect(analyzeCost(schema, document, { operationName: 'B' })!.cost).toBe(50)
    expect(analyzeCost(schema, document, { operationName: 'C' })).toBeUndefined()
    expect(analyzeCost(schema, document)).toBeUndefined()
  })
})

describe('cost analyzer cache', () => {
  it('keys cached results by the values of the variables that change the cost', () => {
    const analyze = createCostAnalyzer()
    const document = parse(
      'query($n: Int, $login: String!) { user(login: $login) { repositories(first: $n) { nodes { id } } } }',
    )
    const a = analyze(schema, document, { n: 3, login: 'a' })!
    expect(a.cost).toBe(1 + 1 + 6)
    expect(analyze(schema, document, { n: 3, login: 'b' })).toBe(a)
    expect(analyze(schema, document, { n: 5, login: 'a' })!.cost).toBe(1 + 1 + 10)
    expect(analyze(schema, document, { n: 3, login: 'c' })!.cost).toBe(8)
  })

  it('learns variables read only on some branches', () => {
    const analyze = createCostAnalyzer()
    const document = parse(
      'query($deep: Boolean!, $n: Int) { viewer { repositories(first: $n) @include(if: $deep) { totalCount } } }',
    )
    expect(analyze(schema, document, { deep: false, n: 9 })!.cost).toBe(1)
    expect(analyze(schema, document, { deep: true, n: 9 })!.cost).toBe(2)
    expect(analyze(schema, document, { deep: true, n: 1 })!.cost).toBe(2)
    expect(analyze(schema, document, { deep: false, n: 1 })!.cost).toBe(1)
  })
})

describe('cost directives in the schema', () => {
  it('keeps schema/cost.graphql and the exported SDL identical', () => {
    expect(readFileSync(new URL('../../../schema/cost.graphql', import.meta.url), 'utf8')).toBe(costTypeDefs)
  })

  const build = (sdl: string) => makeExecutableSchema({ typeDefs: [costTypeDefs, sdl] })

  it('fails when the schema is compiled on a weight that is not a number, naming the coordinate', () => {
    expect(() => compileCostSchema(build('type Query { a: Int @cost(weight: "many") }'))).toThrow(
      /Query.a: expected @cost\(weight:\) to be a non-negative number/,
    )
    expect(() => compileCostSchema(build('type Query { a(x: Int @cost(weight: "-1")): Int }'))).toThrow(
      /Query.a\(x:\)/,
    )
  })

  it('fails on slicing arguments and sized fields that do not exist', () => {
    expect(() =>
      compileCostSchema(build('type Query { a(first: Int): [Int] @listSize(slicingArguments: ["count"]) }')),
    ).toThrow(/Query.a: @listSize\(slicingArguments:\) names "count"/)
    expect(() =>
      compileCostSchema(
        build('type Query { a(first: String): [Int] @listSize(slicingArguments: ["first"]) }'),
      ),
    ).toThrow(/must be of type Int/)
    expect(() =>
      compileCostSchema(
        build(
          'type C { items: [Int] } type Query { a(first: Int): C @listSize(slicingArguments: ["first"], sizedFields: ["edges"]) }',
        ),
      ),
    ).toThrow(/"edges", which is not a field of C/)
  })
})

describe('names that are also Object.prototype properties', () => {
  const named = makeExecutableSchema({
    typeDefs: [
      costTypeDefs,
      /* GraphQL */ `
        input Page { constructor: Int }
        type Item { id: ID }
        type Query {
          a(constructor: Int @cost(weight: "5")): Int
          items(page: Page): [Item]
            @listSize(slicingArguments: ["page.constructor"], assumedSize: 3, requireOneSlicingArgument: false)
        }
      `,
    ],
  })
  const price = (query: string, variables?: Record<string, unknown>) =>
    analyzeCost(named, parse(query), { variables })!.estimate

  it('charge an argument named constructor only when the request gives it', () => {
    expect(price('query ($c: Int) { a(constructor: $c) }', { c: 1 })).toBe(5)
    expect(price('query ($c: Int) { a(constructor: $c) }')).toBe(0)
  })

  it('read a slicing path through such a name only where the request wrote it', () => {
    // Each Page value given costs 1 (an input object), plus the items it sizes.
    expect(price('{ items(page: { constructor: 7 }) { id } }')).toBe(1 + 7)
    expect(price('query ($p: Page) { items(page: $p) { id } }', { p: { constructor: 7 } })).toBe(1 + 7)
    expect(price('{ items(page: {}) { id } }')).toBe(1 + 3)
  })
})

describe('@cost and @listSize written on an interface field', () => {
  const build = (sdl: string) => makeExecutableSchema({ typeDefs: [costTypeDefs, sdl] })
  const NODE = /* GraphQL */ `
    interface Node {
      friends(first: Int!): [User!]! @listSize(slicingArguments: ["first"])
      score(boost: Int @cost(weight: "3")): Int @cost(weight: "5")
    }
  `

  it('govern every implementation without its own, asked through the interface or the object type', () => {
    const schema = build(`${NODE}
      type User implements Node { friends(first: Int!): [User!]! score(boost: Int): Int }
      type Query { node: Node user: User }`)
    for (const root of ['node', 'user']) {
      const price = (selection: string) =>
        analyzeCost(schema, parse(`{ ${root} { ${selection} } }`))!.estimate
      expect(price('friends(first: 1000) { __typename }')).toBe(1 + 1000)
      expect(price('score')).toBe(1 + 5)
      expect(price('score(boost: 1)')).toBe(1 + 5 + 3)
    }
    // Refused the same way as on the field itself.
    expect(() => analyzeCost(schema, parse('{ user { friends { __typename } } }'))).toThrow()
  })

  it('give way to the implementation’s own directive', () => {
    const schema = build(`${NODE}
      type User implements Node {
        friends(first: Int!): [User!]! @listSize(assumedSize: 7, requireOneSlicingArgument: false)
        score(boost: Int @cost(weight: "0")): Int @cost(weight: "1")
      }
      type Query { user: User }`)
    const price = (query: string) => analyzeCost(schema, parse(query))!.estimate
    expect(price('{ user { friends(first: 1000) { __typename } } }')).toBe(1 + 7)
    expect(price('{ user { score(boost: 1) } }')).toBe(1 + 1)
  })

  it('refuse the schema when two interfaces disagree, naming the field and both interfaces', () => {
    const twoSizes = build(`${NODE}
      interface Friendly { friends(first: Int!): [User!]! @listSize(assumedSize: 5, requireOneSlicingArgument: false) }
      type User implements Node & Friendly { friends(first: Int!): [User!]! score(boost: Int): Int }
      type Query { user: User }`)
    let error: unknown
    try {
      compileCostSchema(twoSizes)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(RateLimitConfigError)
    expect(error).toMatchObject({ code: 'INVALID_DIRECTIVE' })
    expect((error as Error).message).toMatch(
      /User\.friends: inherits different @listSize directives from Node\.friends and Friendly\.friends; write the one that fits on User\.friends itself/,
    )
    // The same directive on both is no disagreement.
    const same = build(`${NODE}
      interface Friendly { friends(first: Int!): [User!]! @listSize(slicingArguments: ["first"]) }
      type User implements Node & Friendly { friends(first: Int!): [User!]! score(boost: Int): Int }
      type Query { user: User }`)
    expect(analyzeCost(same, parse('{ user { friends(first: 50) { __typename } } }'))!.estimate).toBe(51)
  })
})
