import { makeExecutableSchema } from '@graphql-tools/schema'
import { costTypeDefs } from '../../../src/graphql/cost/directives.js'

/** A GitHub-like schema: connections sized by first/last, nested lists, a union, an interface, weights. */
export const typeDefs = /* GraphQL */ `
  scalar DateTime @cost(weight: "0.25")
  enum Language @cost(weight: "0.5") { TS GO RUST }

  interface Node { id: ID! }

  type User implements Node {
    id: ID!
    login: String!
    avatar(size: Int @cost(weight: "2")): String
    repositories(first: Int, last: Int, after: String): RepositoryConnection!
      @listSize(slicingArguments: ["first", "last"], sizedFields: ["edges", "nodes"])
    followers(first: Int): [User!]! @listSize(slicingArguments: ["first"], requireOneSlicingArgument: false)
  }

  type Repository implements Node @cost(weight: "2") {
    id: ID!
    name: String!
    stars: Int @cost(weight: "3")
    createdAt: DateTime
    owner: User!
    languages: [Language!]!
    issues(first: Int!): IssueConnection! @listSize(slicingArguments: ["first"], sizedFields: ["nodes"])
  }

  type Issue implements Node {
    id: ID!
    title: String!
    author: User
  }

  type PageInfo { hasNextPage: Boolean! endCursor: String }
  type RepositoryEdge { cursor: String! node: Repository! }
  type RepositoryConnection { totalCount: Int! edges: [RepositoryEdge!]! nodes: [Repository!]! pageInfo: PageInfo! }
  type IssueConnection { totalCount: Int! nodes: [Issue!]! }

  union SearchResult = User | Repository | Issue
  type SearchConnection { issueCount: Int! nodes: [SearchResult!]! }

  type Topic { name: String! }
  input TopicFilter { first: Int, name: String }
  input AddStarInput { repositoryId: ID!, note: String @cost(weight: "4") }

  type Query {
    viewer: User!
    user(login: String!): User
    node(id: ID!): Node
    search(query: String!, first: Int, last: Int): SearchConnection!
      @listSize(slicingArguments: ["first", "last"], sizedFields: ["nodes"])
    trending: [Repository!]! @listSize(assumedSize: 25, requireOneSlicingArgument: false)
    topics(limit: Int = 5): [Topic!]! @listSize(slicingArguments: ["limit"])
    topicsBy(filter: TopicFilter): [Topic!]! @listSize(slicingArguments: ["filter.first"])
    tags: [String!]!
    expensive: Int @cost(weight: "7.5")
  }

  type Mutation {
    addStar(input: AddStarInput!): Repository
  }
`

const user = (login: string) => ({ id: `u-${login}`, login, avatar: null })
const repo = (i: number) => ({ id: `r${i}`, name: `repo${i}`, stars: i, languages: ['TS'] })

/** Resolvers returning small fixed data (list sizes honour `first`). */
export const resolvers = {
  Query: {
    viewer: () => user('viewer'),
    user: (_: unknown, { login }: { login: string }) => user(login),
    node: () => repo(1),
    tags: () => ['a', 'b'],
    expensive: () => 1,
    trending: () => [repo(1), repo(2)],
    topics: (_: unknown, { limit }: { limit: number }) =>
      Array.from({ length: Math.min(limit, 3) }, (_, i) => ({ name: `t${i}` })),
  },
  Mutation: { addStar: () => repo(7) },
  User: {
    repositories: (_: unknown, { first, last }: { first?: number; last?: number }) => {
      const nodes = Array.from({ length: Math.min(first ?? last ?? 0, 3) }, (_, i) => repo(i))
      return {
        totalCount: nodes.length,
        nodes,
        edges: nodes.map((node) => ({ cursor: node.id, node })),
        pageInfo: {},
      }
    },
    followers: () => [],
  },
  Repository: { owner: () => user('owner'), issues: () => ({ totalCount: 0, nodes: [] }) },
  Node: {
    __resolveType: (value: { login?: string; title?: string }) =>
      value.login ? 'User' : value.title ? 'Issue' : 'Repository',
  },
  SearchResult: {
    __resolveType: (value: { login?: string; title?: string }) =>
      value.login ? 'User' : value.title ? 'Issue' : 'Repository',
  },
}

/** The fixture schema with the cost directives declared. */
export function costSchema() {
  return makeExecutableSchema({ typeDefs: [costTypeDefs, typeDefs], resolvers })
}
