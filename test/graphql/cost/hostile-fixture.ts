/**
 * A schema for the hostile-input tests: resolvers that honour their slicing arguments the usual way
 * (`slice(0, first)`), nested lists, a union whose members weigh differently, a client-controlled
 * string, and counters that prove whether a resolver ran. Plus helpers that build hostile
 * documents and count how much of a document an analysis walks.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { type DocumentNode, Kind, type SelectionSetNode, visit } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { costTypeDefs, useCostBudget, useRateLimitExtensions } from '../../../src/graphql/cost/index.js'
import { createRateLimiter } from '../../../src/index.js'

export const hostileTypeDefs = /* GraphQL */ `
  type Item {
    id: ID!
    name: String
    children(first: Int!): [Item!]! @listSize(slicingArguments: ["first"])
  }
  type ItemConnection { total: Int! nodes: [Item!]! }

  type Person { name: String! friends(first: Int!): [Person!]! @listSize(slicingArguments: ["first"]) }
  type Doc @cost(weight: "50") { title: String! }
  union Result = Person | Doc
  interface Entity { id: ID! }
  type Cheap implements Entity { id: ID! }
  type Dear implements Entity @cost(weight: "9") { id: ID! }

  type Query {
    "requireOneSlicingArgument: false; first has a schema default"
    items(first: Int = 100, last: Int): [Item!]!
      @listSize(slicingArguments: ["first", "last"], requireOneSlicingArgument: false)
    "requireOneSlicingArgument (the default); first has a schema default"
    paged(first: Int = 100, last: Int): [Item!]! @listSize(slicingArguments: ["first", "last"])
    "requireOneSlicingArgument, no default"
    page(first: Int, last: Int): [Item!]! @listSize(slicingArguments: ["first", "last"])
    matrix(size: Int!): [[Item!]!]! @listSize(slicingArguments: ["size"])
    grid: [[Item]] @listSize(assumedSize: 300)
    connection(first: Int!): ItemConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"])
    "Persons named after the search term: the client controls every string it returns."
    search(first: Int!, term: String!): [Result!]! @listSize(slicingArguments: ["first"])
    entity: Entity
    people: [Person!]!
    "A costed string argument: its value is part of the analysis cache key."
    annotate(note: String @cost(weight: "3")): Int
  }
`

/** How many times each root resolver ran. */
export type Calls = Record<string, number>

const items = (n: number) =>
  Array.from({ length: Math.max(0, n) }, (_, i) => ({ id: `i${i}`, name: `item ${i}` }))
/** `slice(0, first)` on a list of 500: a negative `first` returns (nearly) everything, as in most resolvers. */
const slice = <T>(all: T[], first?: number | null, last?: number | null) =>
  first != null ? all.slice(0, first) : last != null ? all.slice(-last) : all

export function hostileSchema(calls: Calls = {}) {
  const counted =
    <A extends unknown[], R>(name: string, fn: (...args: A) => R) =>
    (...args: A): R => {
      calls[name] = (calls[name] ?? 0) + 1
      return fn(...args)
    }
  type Slicing = { first?: number | null; last?: number | null }
  const person = (name: string) => ({ kind: 'Person', name })
  return makeExecutableSchema({
    typeDefs: [costTypeDefs, hostileTypeDefs],
    resolvers: {
      Query: {
        items: counted('items', (_: unknown, a: Slicing) => slice(items(500), a.first, a.last)),
        paged: counted('paged', (_: unknown, a: Slicing) => slice(items(500), a.first, a.last)),
        page: counted('page', (_: unknown, a: Slicing) => slice(items(500), a.first, a.last)),
        matrix: counted('matrix', (_: unknown, { size }: { size: number }) =>
          Array.from({ length: size }, () => items(size)),
        ),
        grid: counted('grid', () => [items(2), items(2)]),
        connection: counted('connection', (_: unknown, { first }: { first: number }) => {
          const nodes = items(first)
          return { total: nodes.length, nodes }
        }),
        search: counted('search', (_: unknown, { first, term }: { first: number; term: string }) =>
          Array.from({ length: first }, () => person(term)),
        ),
        entity: counted('entity', () => ({ kind: 'Dear', id: 'd' })),
        people: counted('people', () => [person('a')]),
        annotate: counted('annotate', (_: unknown, { note }: { note?: string }) => note?.length ?? 0),
      },
      Item: { children: (_: unknown, { first }: { first: number }) => slice(items(500), first) },
      Person: {
        friends: (_: unknown, { first }: { first: number }) =>
          Array.from({ length: Math.max(0, first) }, (_, i) => person(`friend ${i}`)),
      },
      Result: { __resolveType: (value: { kind: string }) => value.kind },
      Entity: { __resolveType: (value: { kind: string }) => value.kind },
    },
  })
}

/** graphql-yoga with `useCostBudget` (memory store) on the hostile schema, and a `post` helper. */
export function hostileServer(budget: Partial<Parameters<typeof useCostBudget>[0]> = {}) {
  const calls: Calls = {}
  const limiter = createRateLimiter({ logger: false })
  const plugin = useCostBudget({ limiter, limit: 1_000_000, window: '1h', ...budget })
  let counter: ReturnType<typeof countSelectionReads> | undefined
  // Counts the selection-set reads of each parsed document (validation's included).
  const countReads = {
    onParse:
      () =>
      ({ result }: { result: unknown }) => {
        if (result && typeof result === 'object' && 'kind' in result)
          counter = countSelectionReads(result as DocumentNode)
      },
  }
  const yoga = createYoga({
    schema: hostileSchema(calls),
    plugins: [countReads, plugin, useRateLimitExtensions()],
    context: () => ({ userId: 'attacker' }),
    logging: false,
  })
  /** Posts a raw JSON body (so that tests can send numbers JSON.stringify cannot write, like 1e400). */
  const postRaw = async (body: string) => {
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field.
    return { status: response.status, body: (await response.json()) as any }
  }
  const post = (query: string, variables?: Record<string, unknown>, operationName?: string) =>
    postRaw(JSON.stringify({ query, variables, operationName }))
  /** Selection-set reads of the last document parsed, since it was parsed. */
  const reads = () => counter?.reads() ?? 0
  return { post, postRaw, calls, plugin, yoga, reads }
}

/**
 * `depth` fragments on `type`, each spreading the previous one twice: the document is a few
 * hundred bytes, a naive walk visits `leaf` 2^depth times.
 */
export function doublingFragments(depth: number, type: string, leaf: string): string {
  let text = `fragment F0 on ${type} { ${leaf} }\n`
  for (let i = 1; i <= depth; i++) text += `fragment F${i} on ${type} { ...F${i - 1} ...F${i - 1} }\n`
  return text
}

/**
 * Makes every `selections` read of the document's selection sets count: a walk must read a
 * selection set's `selections` to visit it, so the count measures the work of any analysis
 * (deterministically, unlike wall time).
 */
export function countSelectionReads(document: DocumentNode): { reads(): number; reset(): void } {
  let reads = 0
  visit(document, {
    [Kind.SELECTION_SET]: (node: SelectionSetNode) => {
      const selections = node.selections
      Object.defineProperty(node, 'selections', {
        get() {
          reads++
          return selections
        },
        enumerable: true,
      })
    },
  })
  return {
    reads: () => reads,
    reset: () => {
      reads = 0
    },
  }
}
