/**
 * Cost analysis overhead: a 50-field operation (connections, nested lists, a union with inline
 * fragments, aliases, a fragment, variables) priced by the cost analyzer, against executing the
 * same operation (graphql-js `execute`, trivial resolvers), and end to end through `yoga.fetch`
 * with `useCostBudget` on the memory store against the same server without it.
 *
 * - cold: a new analyzer each time (the first request with this document and these variables);
 * - warm: the cached analysis (graphql-yoga reuses parsed documents, so a repeated operation with
 *   the same cost-relevant variable values is a map lookup). Goal: under 5 % of execution.
 * - hostile: 24 fragments that each spread the previous one twice (2^24 paths through a document
 *   of 1.5 kB), priced before execution inside a sized connection and after it: bounded work, so
 *   microseconds, not seconds.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type DocumentNode, execute, type GraphQLSchema, Kind, parse, visit } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { actualCost } from '../src/graphql/cost/actual-cost.js'
import { createCostAnalyzer } from '../src/graphql/cost/analyze.js'
import { costTypeDefs, useCostBudget } from '../src/graphql/index.js'
import { createRateLimiter, MemoryStore } from '../src/index.js'
import { type BenchContext, type BenchFn, compare, median, perSecond, printTable } from './harness.js'

const typeDefs = /* GraphQL */ `
  interface Node { id: ID! }
  type User implements Node {
    id: ID! login: String! name: String bio: String
    repositories(first: Int, last: Int): RepositoryConnection! @listSize(slicingArguments: ["first", "last"], sizedFields: ["nodes"])
    followers(first: Int): [User!]! @listSize(slicingArguments: ["first"])
  }
  type Repository implements Node @cost(weight: "2") {
    id: ID! name: String! description: String stars: Int @cost(weight: "3") forks: Int url: String
    owner: User! topics: [String!]! issues(first: Int!): [Issue!]! @listSize(slicingArguments: ["first"])
  }
  type Issue implements Node { id: ID! title: String! state: String author: User }
  type RepositoryConnection { totalCount: Int! nodes: [Repository!]! }
  union SearchResult = User | Repository | Issue
  type Query {
    viewer: User!
    user(login: String!): User
    search(query: String!, first: Int!): [SearchResult!]! @listSize(slicingArguments: ["first"])
  }
`

const user = (login: string) => ({ id: login, login, name: login, bio: '' })
const repo = (i: number) => ({
  id: `r${i}`,
  name: `r${i}`,
  description: '',
  stars: i,
  forks: i,
  url: '',
  topics: ['a', 'b'],
})
const list = <T>(n: number, make: (i: number) => T) =>
  Array.from({ length: Math.min(n, 5) }, (_, i) => make(i))
const resolvers = {
  Query: {
    viewer: () => user('viewer'),
    user: (_: unknown, { login }: { login: string }) => user(login),
    search: (_: unknown, { first }: { first: number }) =>
      list(first, (i) => (i % 2 ? repo(i) : user(`s${i}`))),
  },
  User: {
    repositories: (_: unknown, { first, last }: { first?: number; last?: number }) => ({
      totalCount: 5,
      nodes: list(first ?? last ?? 0, repo),
    }),
    followers: (_: unknown, { first }: { first: number }) => list(first, (i) => user(`f${i}`)),
  },
  Repository: {
    owner: () => user('owner'),
    issues: (_: unknown, { first }: { first: number }) =>
      list(first, (i) => ({ id: `i${i}`, title: 't', state: 'open' })),
  },
  SearchResult: { __resolveType: (v: { login?: string }) => (v.login ? 'User' : 'Repository') },
  Node: { __resolveType: (v: { login?: string }) => (v.login ? 'User' : 'Repository') },
}

const QUERY = /* GraphQL */ `
  query Bench($n: Int!, $q: String!) {
    viewer { ...UserBits followers(first: 2) { id login name } repositories(first: $n) { totalCount nodes { ...RepoBits owner { login name } issues(first: 3) { id title state author { login } } } } }
    other: user(login: "x") {
      ...UserBits
      followers(first: 4) { id login name }
      repositories(last: 2) { totalCount nodes { id name stars } }
    }
    search(query: $q, first: $n) {
      ... on User { id login name bio }
      ... on Repository { id name stars forks }
      ... on Issue { id title }
    }
  }
  fragment UserBits on User { id login name bio }
  fragment RepoBits on Repository { id name description stars forks url topics }
`

/** `depth` fragments on `type`, each spreading the previous one twice, under `root`. */
function doubling(root: string, depth: number, type: string, leaf: string): DocumentNode {
  let text = `${root.replace('SPREAD', `...F${depth}`)}\nfragment F0 on ${type} { ${leaf} }\n`
  for (let i = 1; i <= depth; i++) text += `fragment F${i} on ${type} { ...F${i - 1} ...F${i - 1} }\n`
  return parse(text)
}

function countFields(document: DocumentNode): number {
  let fields = 0
  visit(document, { [Kind.FIELD]: () => void fields++ })
  return fields
}

/** Mean microseconds per call of `fn` (awaited only when it returns a promise), median of `rounds` rounds. */
async function microsPerCall(fn: () => unknown, iterations: number, rounds: number): Promise<number> {
  const run = async () => {
    for (let i = 0; i < iterations; i++) {
      const result = fn()
      if (result instanceof Promise) await result
    }
  }
  await run()
  const samples: number[] = []
  for (let r = 0; r < rounds; r++) {
    const started = performance.now()
    await run()
    samples.push(((performance.now() - started) * 1000) / iterations)
  }
  return median(samples)
}

function yogaFn(schema: GraphQLSchema, plugins: object[]): BenchFn {
  const yoga = createYoga({ schema, plugins, logging: false, context: () => ({ userId: 'bench' }) })
  const body = JSON.stringify({ query: QUERY, variables: { n: 5, q: 'graphql' } })
  return async () => {
    const response = await yoga.fetch('http://bench/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    const text = await response.text()
    if (response.status !== 200 || text.includes('"errors"')) throw new Error(`unexpected answer: ${text}`)
  }
}

export default async function (ctx: BenchContext): Promise<void> {
  const schema = makeExecutableSchema({ typeDefs: [costTypeDefs, typeDefs], resolvers })
  const document = parse(QUERY)
  const variableValues = { n: 5, q: 'graphql' }
  const iterations = ctx.quick ? 300 : 3000
  const rounds = ctx.quick ? 3 : 7
  const warm = createCostAnalyzer()
  const cost = warm(schema, document, variableValues)!.cost
  const exec = await microsPerCall(() => execute({ schema, document, variableValues }), iterations, rounds)
  const cold = await microsPerCall(
    () => createCostAnalyzer()(schema, document, variableValues),
    iterations,
    rounds,
  )
  const cached = await microsPerCall(() => warm(schema, document, variableValues), iterations * 10, rounds)
  const pct = (part: number) => `${((part / exec) * 100).toFixed(1)} %`
  printTable(
    `Cost analysis of a ${countFields(document)}-field operation (cost ${cost}) vs its execution (graphql-js execute, memory only)`,
    ['step', 'µs per operation', 'share of execution'],
    [
      ['execute()', exec.toFixed(1), '100 %'],
      ['analysis, cold (new document or variable values)', cold.toFixed(2), pct(cold)],
      ['analysis, warm (cached, the steady state under yoga)', cached.toFixed(3), pct(cached)],
    ],
  )
  console.log(
    `ratio analysis/execution: cold ${(cold / exec).toFixed(3)}, warm ${(cached / exec).toFixed(4)} (goal < 0.05)`,
  )

  const sized = doubling(
    '{ viewer { repositories(first: 5) { SPREAD } } }',
    24,
    'RepositoryConnection',
    'nodes { id }',
  )
  const shape = doubling('{ viewer { SPREAD } }', 24, 'User', 'login')
  const few = Math.max(30, iterations / 10)
  const estimateHostile = await microsPerCall(() => createCostAnalyzer()(schema, sized), few, rounds)
  const actualHostile = await microsPerCall(
    () => actualCost(schema, shape, { viewer: { login: 'x' } }),
    few,
    rounds,
  )
  printTable(
    'Hostile documents: 24 fragments each spreading the previous one twice (2^24 paths), cold',
    ['step', 'µs per operation', 'share of the execution above'],
    [
      ['estimate, inside a sized connection', estimateHostile.toFixed(1), pct(estimateHostile)],
      ['actual cost of the response', actualHostile.toFixed(1), pct(actualHostile)],
    ],
  )

  const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
  const budget = useCostBudget({ limiter, limit: 1_000_000_000, window: '1h', algorithm: 'sliding-window' })
  const result = await compare(
    'yoga.fetch, 1 caller',
    { 'with useCostBudget': yogaFn(schema, [budget]), without: yogaFn(schema, []) },
    { quick: ctx.quick, inFlight: 16 },
  )
  const [withBudget, without] = Object.values(result.medians) as [number, number]
  printTable(
    'End to end through yoga.fetch: useCostBudget (analysis + memory-store consume) vs no budget',
    ['contender', 'median', 'overhead'],
    [
      ['with useCostBudget', perSecond(withBudget), `${((without / withBudget - 1) * 100).toFixed(1)} %`],
      ['without', perSecond(without), ''],
    ],
  )
  await limiter.close()
}
