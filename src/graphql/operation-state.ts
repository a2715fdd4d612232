import type { GraphQLResolveInfo } from 'graphql'
import type { Caller } from '../identity/types.js'
import type { RateLimitDecision } from '../types.js'
import type { QuotaState } from './operation-quota.js'

/**
 * What the field limiter remembers for one GraphQL operation: the caller (identified once) and,
 * in list mode `'path'`, the decision per field and response path without list indices.
 *
 * The key is `info.variableValues`: graphql-js and @graphql-tools/executor build a fresh object of
 * coerced variables for every execution, and nothing else the resolvers see is guaranteed to be
 * unique per operation (the context may be shared, the document is cached). The context is
 * compared too, so an executor that reused one variables object across requests would still not
 * share the state between contexts. Entries vanish with the execution (WeakMap).
 */
export interface OperationState {
  readonly context: unknown
  /** Identified on the first limited field; a promise while an asynchronous `identify` runs. */
  caller: Caller | Promise<Caller> | undefined
  /**
   * Shared decisions of fields under lists, by `Type.field@path.without.indices` (`undefined`:
   * unlimited caller). Created by the first limited field under a list: most operations have none.
   */
  paths: Map<string, Promise<RateLimitDecision | null> | undefined> | undefined
  /** The plan quotas' state in this operation (see `operation-quota.ts`). */
  quota: QuotaState
  /** Fields that carried the quotas so far (see `operation-quota.ts`). */
  carriers: number
}

const states = new WeakMap<object, OperationState>()

/** The state of the operation this resolution belongs to. */
export function operationState(context: unknown, info: GraphQLResolveInfo): OperationState {
  const key = info.variableValues as object
  let state = states.get(key)
  if (state === undefined || state.context !== context) {
    state = { context, caller: undefined, paths: undefined, quota: undefined, carriers: 0 }
    states.set(key, state)
  }
  return state
}

/**
 * `coordinate@a.b.c` for a resolution under a list (its path with the list indices removed), or
 * `undefined` when no list is crossed: such a field resolves once per operation anyway, so there
 * is nothing to share (and nothing that a wrongly shared state could skip).
 */
export function listPathKey(coordinate: string, info: GraphQLResolveInfo): string | undefined {
  let inList = false
  let key = ''
  for (let at: GraphQLResolveInfo['path'] | undefined = info.path; at; at = at.prev) {
    if (typeof at.key === 'number') inList = true
    else key = key ? `${at.key}.${key}` : at.key
  }
  return inList ? `${coordinate}@${key}` : undefined
}
