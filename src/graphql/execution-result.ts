/** The parts of a GraphQL execution result the plugins read, typed without graphql-yoga. */
export interface ResultLike {
  data?: Record<string, unknown> | null
  errors?: ReadonlyArray<{ path?: ReadonlyArray<string | number>; extensions?: unknown }>
  extensions?: Record<string, unknown> & { http?: { status?: number; headers?: Record<string, string> } }
}

/** True for one execution result; false for a batch (array) or a stream (async iterable). */
export function isSingleResult(result: unknown): result is ResultLike {
  return (
    typeof result === 'object' &&
    result !== null &&
    !Array.isArray(result) &&
    !(Symbol.asyncIterator in result)
  )
}
