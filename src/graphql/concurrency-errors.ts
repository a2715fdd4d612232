/**
 * The error of a field refused by `@concurrencyLimit`: a plain `GraphQLError` with
 * `extensions.code: 'CONCURRENCY_LIMITED'` (so graphql-yoga's masking keeps it). No `retryAfter`:
 * nobody knows when a slot frees, and a wait that cannot be kept is not promised.
 */
import { type ASTNode, GraphQLError } from 'graphql'
import type { ConcurrencyDecision } from '../leases.js'

/**
 * What a refused field reports in `errors[].extensions`.
 * @example
 * { "code": "CONCURRENCY_LIMITED", "limit": 2, "active": 2, "policy": "Mutation.export" }
 */
export interface ConcurrencyLimitedExtensions {
  readonly code: 'CONCURRENCY_LIMITED'
  /** The directive's `max`. */
  readonly limit: number
  /** Slots held by this caller when it was refused. */
  readonly active: number
  /** The slots' name: the field coordinate or the bucket. */
  readonly policy: string
  /** Set when the refusal is not a plain full limit: `'store-unavailable'`, `'circuit-open'`. */
  readonly reason?: string
}

/** A field refused by `@concurrencyLimit`: it resolves to `null` and this error lands in `errors`. */
export class GraphQLConcurrencyLimitedError extends GraphQLError {
  readonly code = 'CONCURRENCY_LIMITED' as const
  /** The engine's decision (not serialised: it holds the caller's identity). */
  declare readonly decision: ConcurrencyDecision
  declare readonly extensions: ConcurrencyLimitedExtensions & Record<string, unknown>

  constructor(
    message: string,
    decision: ConcurrencyDecision,
    options: { nodes?: ReadonlyArray<ASTNode>; path?: ReadonlyArray<string | number> } = {},
  ) {
    const { limit, active, name, reason } = decision
    const extensions: ConcurrencyLimitedExtensions = {
      code: 'CONCURRENCY_LIMITED',
      limit,
      active,
      policy: name,
      ...(reason && reason !== 'limited' ? { reason } : {}),
    }
    super(message, { nodes: options.nodes, path: options.path, extensions: { ...extensions } })
    this.name = 'GraphQLConcurrencyLimitedError'
    Object.defineProperty(this, 'decision', { value: decision, enumerable: false })
  }
}

/** True for a concurrency refusal, also after serialisation. */
export function isGraphQLConcurrencyLimitedError(error: unknown): boolean {
  const extensions = (error as { extensions?: { code?: unknown } } | null)?.extensions
  return error instanceof GraphQLConcurrencyLimitedError || extensions?.code === 'CONCURRENCY_LIMITED'
}
