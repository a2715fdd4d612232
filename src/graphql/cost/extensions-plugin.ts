import type { RateLimitDecision } from '../../types.js'
import { isSingleResult } from '../execution-result.js'
import { DECISION_SINK, type DecisionSink, sinkOf } from '../sink.js'
import {
  LIMIT_STATE,
  type LimitState,
  limitStateOf,
  rateLimitExtension,
  recordDecision,
} from './limit-state.js'

/**
 * The result with `extensions.rateLimit` set from the operation's state (unchanged when the state
 * is empty or the result is a stream). Idempotent, so every plugin that changes the state may call it.
 */
export function withRateLimitExtension<T>(result: T, context: unknown): T {
  const state = limitStateOf(context)
  if (!state || !isSingleResult(result)) return result
  const rateLimit = rateLimitExtension(state)
  if (!rateLimit) return result
  return { ...result, extensions: { ...result.extensions, rateLimit } }
}

/** The hooks the plugin uses, typed structurally so that this package does not need graphql-yoga's types. */
export interface RateLimitExtensionsPlugin {
  // biome-ignore lint/suspicious/noExplicitAny: the yoga context is the user's own type.
  onContextBuilding(): (payload: { context: any; extendContext(extension: object): void }) => void
  onExecute(): {
    onExecuteDone(payload: {
      args: { contextValue?: unknown }
      result: unknown
      setResult(result: never): void
    }): void
  }
}

/**
 * graphql-yoga plugin: adds `extensions.rateLimit` to every response of an operation that touched
 * a limit (`@rateLimit` fields) or the cost budget (`useCostBudget()`): each policy's `limit`,
 * `remaining`, `reset` and `window` (seconds), `retryAfter` when it refused, and the operation's
 * `cost` — so clients can pace themselves without waiting for a 429. Opt-in; works with or
 * without `useRateLimitHeaders()`, in any plugin order. Subscriptions get no extension.
 *
 * @example
 * const yoga = createYoga({ schema, plugins: [useRateLimitHeaders(), useCostBudget({ limiter, limit: 5000, window: '1h' }), useRateLimitExtensions()] })
 * // { "data": …, "extensions": { "rateLimit": { "cost": 62, "policies": [{ "policy": "GraphQL.cost", "limit": 5000, "remaining": 4938, "reset": 3600, "window": 3600 }] } } }
 */
export function useRateLimitExtensions(): RateLimitExtensionsPlugin {
  return {
    // After every plugin built the context: wrap whatever sink `useRateLimitHeaders()` put there.
    onContextBuilding:
      () =>
      ({ context, extendContext }) => {
        const state: LimitState = { policies: new Map() }
        const inner = sinkOf(context)
        const sink: DecisionSink = {
          add(decision: RateLimitDecision) {
            inner?.add(decision)
            recordDecision(state, decision)
          },
        }
        extendContext({ [LIMIT_STATE]: state, [DECISION_SINK]: sink })
      },
    onExecute: () => ({
      onExecuteDone({ args, result, setResult }) {
        setResult(withRateLimitExtension(result, args.contextValue) as never)
      },
    }),
  }
}
