/**
 * The parts of Apollo Server's plugin API the plugins use, typed structurally so that this package
 * needs no `@apollo/server` at run time nor one major's types: Apollo Server 4 and 5 both pass
 * these shapes, and accept plugins typed so (hooks are methods, so their parameters compare
 * bivariantly with Apollo's own request contexts).
 */
import type { DocumentNode, GraphQLSchema } from 'graphql'

/** Apollo's `HeaderMap` (a `Map` that lowercases names), as far as the plugins write it. */
export interface ApolloHeaderMap {
  set(name: string, value: string): unknown
}

/** One execution result as Apollo sends it: errors already formatted. */
export interface ApolloSingleResult {
  data?: Record<string, unknown> | null
  errors?: ReadonlyArray<{ path?: ReadonlyArray<string | number>; extensions?: Record<string, unknown> }>
  extensions?: Record<string, unknown>
}

/** `requestContext.response` of Apollo's request pipeline. */
export interface ApolloResponse {
  readonly http: { status?: number; readonly headers: ApolloHeaderMap }
  body?:
    | { readonly kind: 'single'; readonly singleResult: ApolloSingleResult }
    | { readonly kind: 'incremental' }
}

/** What every request hook receives. */
export interface ApolloRequestContext {
  // biome-ignore lint/suspicious/noExplicitAny: the context is the user's own type.
  readonly contextValue: any
  readonly request: {
    readonly operationName?: string | null
    readonly variables?: Readonly<Record<string, unknown>> | null
  }
  readonly response: ApolloResponse
  /** True for an operation of a batched HTTP request (its `response.http` is shared by the batch). */
  readonly requestIsBatched?: boolean
}

/** What `didResolveOperation` and the later hooks receive. */
export interface ApolloOperationContext extends ApolloRequestContext {
  readonly schema: GraphQLSchema
  readonly document: DocumentNode
}

/** What `serverWillStart` receives. */
export interface ApolloServerContext {
  readonly schema?: GraphQLSchema
}
