/**
 * `useConcurrencyLimit()`: an operation-level concurrency limit for graphql-yoga (an envelop
 * plugin): at most `max` operations in flight per caller — queries and mutations until their
 * execution settles (an incremental `@defer`/`@stream` response until its last part), subscriptions
 * until they end. It wraps the execute and subscribe functions, so the slot is taken after parsing
 * and validation (an invalid document takes none) and given back however the operation ends.
 */
import { type ExecutionArgs, type ExecutionResult, GraphQLError } from 'graphql'
import { resolveConcurrencyLimit } from '../concurrency-limit.js'
import { describeValue, invalidConfig, RateLimitConfigError } from '../errors.js'
import type { Identify } from '../identity/types.js'
import type { ConcurrencyDecision } from '../leases.js'
import type { RateLimiter } from '../limiter.js'
import { isAsyncIterable, releasingIterable } from '../release-on-end.js'
import type { Duration } from '../types.js'
import { GraphQLConcurrencyLimitedError } from './concurrency-errors.js'
import { signalOf } from './concurrency-field.js'
import { identifyCaller } from './identify-caller.js'

/** Options of {@link useConcurrencyLimit}. */
export interface ConcurrencyLimitPluginOptions {
  /** The engine from `createRateLimiter()`; its store holds the leases. */
  limiter: RateLimiter
  /** Most operations in flight (subscriptions open included) at once per caller: 1 to 10 000. */
  max: number
  /** Names the slots (a `@concurrencyLimit` bucket of the same name shares them). @default 'graphql-operations' */
  name?: string
  /** How long a lease outlives a crashed server (renewed while the operation runs). @default 60_000 */
  leaseMs?: Duration
  /** @default limiter.identify */
  identify?: Identify
}

type Run = (args: ExecutionArgs) => unknown

/** The hooks the plugin uses, typed structurally so that this package does not need yoga's types. */
export interface ConcurrencyLimitPlugin {
  onExecute(payload: { executeFn: Run; setExecuteFn(run: Run): void }): void
  onSubscribe(payload: { subscribeFn: Run; setSubscribeFn(run: Run): void }): void
}

/**
 * At most `max` GraphQL operations in flight per caller, across every server sharing the store.
 * A refused operation gets no data and one `CONCURRENCY_LIMITED` error (HTTP 429, no
 * `Retry-After`).
 *
 * @example
 * const yoga = createYoga({ schema, plugins: [useConcurrencyLimit({ limiter, max: 10 })] })
 */
export function useConcurrencyLimit(options: ConcurrencyLimitPluginOptions): ConcurrencyLimitPlugin {
  const o = resolveOptions(options)
  // Only a subscription lets its abort signal release: an execution runs on after its client has
  // gone, and holds its slot until it settles (else aborting and resending would bypass `max`).
  const guard =
    (run: Run, subscription: boolean): Run =>
    async (args) => {
      let slot: ConcurrencyDecision
      try {
        const caller = await identifyCaller(o.identify, args.contextValue)
        slot = await o.limiter.acquire(caller.id, subscription ? o.limit(args.contextValue) : o.template)
      } catch (error) {
        if (error instanceof GraphQLError) return { errors: [error] } satisfies ExecutionResult
        throw error
      }
      if (!slot.allowed) return refusal(slot)
      const release = (): void => void slot.release()
      try {
        const result = await run(args)
        if (isAsyncIterable(result)) return releasingIterable(result, release)
        release()
        return result
      } catch (error) {
        release()
        throw error
      }
    }
  return {
    onExecute: ({ executeFn, setExecuteFn }) => setExecuteFn(guard(executeFn, false)),
    onSubscribe: ({ subscribeFn, setSubscribeFn }) => setSubscribeFn(guard(subscribeFn, true)),
  }
}

function refusal(slot: ConcurrencyDecision): ExecutionResult {
  const error = new GraphQLConcurrencyLimitedError(
    `Too many concurrent operations: at most ${slot.limit} at once`,
    slot,
  )
  // graphql-yoga answers with the status an error asks for (and keeps `http` out of the response).
  Object.assign(error.extensions, { http: { status: 429 } })
  return { errors: [error] }
}

function resolveOptions(options: ConcurrencyLimitPluginOptions) {
  if (typeof options !== 'object' || options === null)
    invalidConfig('useConcurrencyLimit(): Expected an options object such as { limiter, max: 10 }')
  const { limiter, max, name = 'graphql-operations', leaseMs, identify } = options
  if (typeof limiter?.acquire !== 'function') {
    invalidConfig(
      `useConcurrencyLimit(): Expected \`limiter\` to be a limiter from createRateLimiter(), got ${describeValue(limiter)}`,
    )
  }
  if (identify !== undefined && typeof identify !== 'function')
    invalidConfig('useConcurrencyLimit(): Expected `identify` to be a function (ctx) => caller')
  const template = { name, max, ...(leaseMs === undefined ? {} : { leaseMs }) }
  try {
    resolveConcurrencyLimit(template)
  } catch (error) {
    if (error instanceof RateLimitConfigError) invalidConfig(`useConcurrencyLimit(): ${error.message}`)
    throw error
  }
  return {
    limiter,
    identify: identify ?? limiter.identify,
    template,
    limit: (context: unknown) => {
      const signal = signalOf(context)
      return signal ? { ...template, signal } : template
    },
  }
}
