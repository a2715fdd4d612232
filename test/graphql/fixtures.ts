import { makeExecutableSchema } from '@graphql-tools/schema'
import type { IResolvers } from '@graphql-tools/utils'
import { type ExecutionResult, type GraphQLSchema, graphql } from 'graphql'
import { type RateLimitDirectiveOptions, rateLimitDirective } from '../../src/graphql/index.js'
import { createRateLimiter, MemoryStore, type RateLimiter, type RateLimiterOptions } from '../../src/index.js'
import { manualClock } from '../helpers.js'

/** A limiter on a memory store with a hand-moved clock. */
export function memoryLimiter(options: RateLimiterOptions = {}) {
  const clock = manualClock()
  const limiter = createRateLimiter({
    store: new MemoryStore({ clock, sweepIntervalMs: 0 }),
    logger: false,
    ...options,
  })
  return { limiter, clock }
}

/** Builds the transformed schema for SDL and resolvers. */
export function limitedSchema(
  limiter: RateLimiter,
  typeDefs: string,
  resolvers: IResolvers = {},
  options: Omit<RateLimitDirectiveOptions, 'limiter'> = {},
): GraphQLSchema {
  const { typeDefs: directive, transformer } = rateLimitDirective({ limiter, ...options })
  return transformer(
    makeExecutableSchema({
      typeDefs: [directive, typeDefs],
      resolvers,
      resolverValidationOptions: { requireResolversToMatchSchema: 'ignore' },
    }),
  )
}

/** Runs one operation with plain graphql-js; the context says who calls. */
export async function run(
  schema: GraphQLSchema,
  source: string,
  user = 'alice',
  variableValues?: Record<string, unknown>,
): Promise<ExecutionResult> {
  return graphql({ schema, source, contextValue: { user: { id: user } }, variableValues })
}

/** The codes of the errors of a result, in order. */
export function codes(result: ExecutionResult): unknown[] {
  return (result.errors ?? []).map((e) => e.extensions?.code ?? e.message)
}

/** Runs the same operation `times` times and returns which runs had no error. */
export async function admittedRuns(
  schema: GraphQLSchema,
  source: string,
  times: number,
  user = 'alice',
): Promise<boolean[]> {
  const out: boolean[] = []
  for (let i = 0; i < times; i++) out.push(((await run(schema, source, user)).errors ?? []).length === 0)
  return out
}
