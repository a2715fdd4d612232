import { createRateLimiter, type RateLimiter } from '../limiter.js'
import { RedisStore } from '../stores/redis-store.js'
import type { CommandContext } from './context.js'
import { CliError, EXIT } from './errors.js'

/**
 * The engine on the operator's connection, with the same prefix as the application, so the CLI
 * computes keys and decisions exactly as the limiter does. It never answers by a failure policy:
 * a store failure is reported, not replaced by a local guess.
 */
export function operatorLimiter(ctx: CommandContext): { limiter: RateLimiter; check: () => void } {
  const limiter = createRateLimiter({
    store: new RedisStore({ client: ctx.connection.storeClient, logger: false }),
    prefix: ctx.prefix,
    timeoutMs: ctx.timeoutMs,
    onStoreError: 'closed',
    circuitBreaker: false,
    logger: false,
  })
  let failure: Error | undefined
  limiter.on('store-error', (event) => {
    failure = event.error
  })
  return {
    limiter,
    check() {
      if (failure) throw new CliError(EXIT.FAILURE, `Redis failed: ${failure.message}`)
    },
  }
}
