import { describeBudget } from '../rules.js'
import type { Logger, RateLimitDecision } from '../types.js'
import type { RateLimiter } from './limiter-api.js'

/**
 * One line per request that a shadow rule (or a shadow limiter) would have refused, e.g.
 *
 *   [resolver-rate-limit] shadow: would have refused user:42 on "Query.search" (10 per 1m, cost 1, retry in 12 s)
 */
export function describeShadowDecision(decision: RateLimitDecision): string {
  const refusing = decision.rules.filter((r) => !r.allowed)
  const rules = (refusing.length > 0 ? refusing : [decision.rules[0]!])
    .map((r) => `"${r.rule.name}" (${describeBudget(r.rule)})`)
    .join(', ')
  const wait = Math.max(0, ...refusing.map((r) => r.retryAfterMs))
  const retry = Number.isFinite(wait)
    ? `retry in ${Math.max(1, Math.ceil(wait / 1000))} s`
    : 'cost above the limit'
  return `[resolver-rate-limit] shadow: would have refused ${decision.identity} on ${rules}, cost ${decision.cost}, ${retry}`
}

/**
 * Logs every decision that was admitted only because of shadow mode (`decision.reason === 'shadow'`)
 * as "would have refused", so a new limit can be watched in production before it is enforced.
 * Opt-in: nothing is logged unless you call it. Returns the function that stops logging.
 *
 * @param logger Receives one `warn` line per such decision. @default console
 * @example
 * const limiter = createRateLimiter({ store, shadow: true })
 * const stop = logShadowDecisions(limiter, pinoLogger)
 */
export function logShadowDecisions(limiter: RateLimiter, logger: Pick<Logger, 'warn'> = console): () => void {
  return limiter.on('decision', ({ decision }) => {
    if (decision.reason === 'shadow') logger.warn(describeShadowDecision(decision))
  })
}
