import type { RateLimitDecision } from '../types.js'

/**
 * Where the field limiter reports decisions so that `useRateLimitHeaders()` can turn them into
 * response headers. The plugin puts one sink per HTTP request into the GraphQL context under this
 * symbol (`Symbol.for`, so two copies of this package still meet).
 */
export const DECISION_SINK: unique symbol = Symbol.for('resolver-rate-limit.graphql.decision-sink')

/** Receives every decision made for one request. */
export interface DecisionSink {
  add(decision: RateLimitDecision): void
}

/** The sink in this context, if a plugin put one there. */
export function sinkOf(context: unknown): DecisionSink | undefined {
  return context !== null && typeof context === 'object'
    ? ((context as { [DECISION_SINK]?: DecisionSink })[DECISION_SINK] ?? undefined)
    : undefined
}
