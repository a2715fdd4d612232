/**
 * The demo's GraphQL API: every kind of `@rateLimit`, `@concurrencyLimit`, a cost budget and the yoga plugins.
 * Limits are the free tier; the pro plan scales them (see identity.ts).
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { createYoga, type YogaServerInstance } from 'graphql-yoga'
import {
  concurrencyLimitDirective,
  costTypeDefs,
  rateLimitDirective,
  useCostBudget,
  useRateLimitExtensions,
  useRateLimitHeaders,
} from '../../src/graphql/index.js'
import { type RateLimiter, resolveCaller } from '../../src/index.js'
import { addReview, type Book, books, exportCatalog, findBook, reviewsOf, searchBooks } from './catalog.js'

export const typeDefs = /* GraphQL */ `
  "Per type: every Query field without its own @rateLimit gets 20 per minute, each its own budget."
  type Query @rateLimit(limit: 20, window: "1m") {
    "How the limiter sees you: API key owner and plan, else your client IP."
    whoami: Caller!
    books: [Book!]!
    book(id: ID!): Book
    "Burst and sustained, checked atomically: 5 per 10 seconds and 50 per hour."
    search(q: String!): [Book!]! @rateLimit(limit: 5, window: "10s") @rateLimit(limit: 50, window: "1h")
    "A shared bucket: recommendations and bestsellers spend one budget of 6 per minute."
    recommendations: [Book!]! @rateLimit(limit: 6, window: "1m", bucket: "insights")
    bestsellers: [Book!]! @rateLimit(limit: 6, window: "1m", bucket: "insights")
  }

  type Mutation {
    "Shares the bucket 'reviews' (3 per minute) with the tRPC procedure review.add."
    addReview(bookId: ID!, stars: Int!, text: String = ""): Review!
      @rateLimit(limit: 3, window: "1m", bucket: "reviews")
    "A costly mutation: each export costs 5 of 10 units per hour (2 exports per hour; pro: 20), at most 2 running at once."
    exportCatalog(format: String = "csv"): Export!
      @rateLimit(limit: 10, window: "1h", cost: 5, message: "Catalogue exports are limited: 2 per hour on the free plan.")
      @concurrencyLimit(max: 2)
  }

  type Subscription {
    "Limited when it starts: 2 subscriptions per minute (pro: 20), at most 3 open at once; its events are free."
    priceWatch(bookId: ID!): PriceUpdate! @rateLimit(limit: 2, window: "1m") @concurrencyLimit(max: 3)
  }

  type Book {
    id: ID!
    title: String!
    author: String!
    year: Int!
    price: Float!
    "The newest reviews, at most first; priced at first (the shop keeps the newest 20 per book)."
    reviews(first: Int = 10): [Review!]! @listSize(slicingArguments: ["first"])
  }
  type Review { id: Int! bookId: ID! stars: Int! text: String! }
  type Export { format: String! rows: Int! url: String! }
  type PriceUpdate { bookId: ID! price: Float! }
  type Caller { id: String! kind: String! owner: String plan: String }
`

/** Three price updates, 200 ms apart. */
async function* priceUpdates(
  bookId: string,
): AsyncGenerator<{ priceWatch: { bookId: string; price: number } }> {
  const base = findBook(bookId)?.price ?? 10
  for (let i = 1; i <= 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 200))
    yield { priceWatch: { bookId, price: Math.round(base * (1 - i / 20) * 100) / 100 } }
  }
}

function resolvers(limiter: RateLimiter) {
  const top = (n: number): Book[] => [...books].sort((a, b) => b.year - a.year).slice(0, n)
  return {
    Query: {
      whoami: async (_: unknown, __: unknown, ctx: unknown) => {
        const caller = await resolveCaller(limiter.identify, ctx)
        return { id: caller.id, kind: caller.kind, owner: caller.owner, plan: caller.plan?.name }
      },
      books: () => books,
      book: (_: unknown, { id }: { id: string }) => findBook(id),
      search: (_: unknown, { q }: { q: string }) => searchBooks(q),
      recommendations: () => top(3),
      bestsellers: () => books.slice(0, 3),
    },
    Mutation: {
      addReview: (_: unknown, a: { bookId: string; stars: number; text: string }) =>
        addReview(a.bookId, a.stars, a.text),
      exportCatalog: (_: unknown, { format }: { format: string }) => exportCatalog(format),
    },
    Subscription: {
      priceWatch: { subscribe: (_: unknown, { bookId }: { bookId: string }) => priceUpdates(bookId) },
    },
    Book: {
      reviews: (book: Book, { first }: { first: number }) => reviewsOf(book.id, first),
    },
  }
}

/**
 * graphql-yoga at `/graphql` (GraphiQL in a browser). With no context function, yoga on
 * `node:http` puts `req` into the context, where the default identify finds the client address.
 */
export function createDemoYoga(limiter: RateLimiter): YogaServerInstance<object, object> {
  const rate = rateLimitDirective({ limiter })
  const concurrency = concurrencyLimitDirective({ limiter })
  // The rate check outside, the slot inside: a field its rate limit refuses never takes a slot.
  const schema = rate.transformer(
    concurrency.transformer(
      makeExecutableSchema({
        typeDefs: [rate.typeDefs, concurrency.typeDefs, costTypeDefs, typeDefs],
        resolvers: resolvers(limiter),
      }),
    ),
  )
  return createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    plugins: [
      // RateLimit / RateLimit-Policy headers; 429 when every root field was refused (Retry-After for a rate refusal)
      useRateLimitHeaders({ directive: ['rateLimit', 'concurrencyLimit'] }),
      // 2 000 points per minute per caller, priced before execution; one operation at most 500 (a full introspection, as GraphiQL sends it, costs ~340).
      useCostBudget({ limiter, limit: 2000, window: '1m', maxCost: 500 }),
      useRateLimitExtensions(), // extensions.rateLimit: every policy the operation touched, and its cost
    ],
  })
}
