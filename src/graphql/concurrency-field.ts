/**
 * The resolvers of `@concurrencyLimit` fields: identify the caller (once per operation), take a
 * slot, run the resolver, give the slot back when it settles. A subscription field takes its slot
 * in `subscribe` and holds it until the subscription ends (completion, error, `return()` when the
 * client goes away); the request's abort signal, when the context carries one (graphql-yoga's
 * `request`), releases too. A refused resolution gives back its `@rateLimit` charge (rate-refund.ts).
 */
import {
  type GraphQLFieldResolver,
  type GraphQLResolveInfo,
  getNullableType,
  isListType,
  responsePathAsArray,
} from 'graphql'
import { resolveConcurrencyLimit } from '../concurrency-limit.js'
import { describeValue, invalidConfig, RateLimitConfigError } from '../errors.js'
import type { Identify } from '../identity/types.js'
import type { ConcurrencyDecision } from '../leases.js'
import type { RateLimiter } from '../limiter.js'
import { heldWhileRead, isAsyncIterable, releasingIterable } from '../release-on-end.js'
import type { Duration } from '../types.js'
import { GraphQLConcurrencyLimitedError } from './concurrency-errors.js'
import { DEFAULT_CONCURRENCY_DIRECTIVE } from './concurrency-sdl.js'
import { identifyCaller } from './identify-caller.js'
import { operationState } from './operation-state.js'
import { giveBack, type RateCharge, takeCharge } from './rate-refund.js'
import { isDirectiveName } from './sdl.js'

/** Options of `concurrencyLimitDirective`. */
export interface ConcurrencyDirectiveOptions {
  /** The engine from `createRateLimiter()`; its store holds the leases. */
  limiter: RateLimiter
  /** @default limiter.identify — user id, else a validated API key, else the client IP */
  identify?: Identify
  /** How long a lease outlives a crashed server (renewed while the field runs). @default 60_000 */
  leaseMs?: Duration
  /** The directive name. @default 'concurrencyLimit' */
  name?: string
  /** The refusal message. @default 'Too many concurrent requests for Type.field: at most N at once' */
  message?: (coordinate: string, decision: ConcurrencyDecision) => string
}

/** One wrapped field. */
export interface ConcurrencyField {
  readonly coordinate: string
  readonly max: number
  /** The slots' name: the bucket, else the coordinate. */
  readonly name: string
}

export interface ResolvedConcurrencyOptions {
  readonly limiter: RateLimiter
  readonly identify: Identify
  readonly leaseMs: Duration | undefined
  readonly name: string
  readonly message: (coordinate: string, decision: ConcurrencyDecision) => string
}

/** Validates the options, once. */
export function resolveConcurrencyOptions(options: ConcurrencyDirectiveOptions): ResolvedConcurrencyOptions {
  if (typeof options !== 'object' || options === null)
    invalidConfig('concurrencyLimitDirective(): Expected an options object such as { limiter }')
  const { limiter, identify, leaseMs, name = DEFAULT_CONCURRENCY_DIRECTIVE, message } = options
  if (typeof limiter?.acquire !== 'function') {
    invalidConfig(
      `concurrencyLimitDirective(): Expected \`limiter\` to be a limiter from createRateLimiter(), got ${describeValue(limiter)}`,
    )
  }
  if (identify !== undefined && typeof identify !== 'function')
    invalidConfig('concurrencyLimitDirective(): Expected `identify` to be a function (ctx) => caller')
  if (message !== undefined && typeof message !== 'function')
    invalidConfig(
      'concurrencyLimitDirective(): Expected `message` to be a function (coordinate, decision) => string',
    )
  if (!isDirectiveName(name))
    invalidConfig(
      `concurrencyLimitDirective(): Expected \`name\` to be a GraphQL name, got ${describeValue(name)}`,
    )
  try {
    resolveConcurrencyLimit({ max: 1, leaseMs })
  } catch (error) {
    if (error instanceof RateLimitConfigError) invalidConfig(`concurrencyLimitDirective(): ${error.message}`)
    throw error
  }
  return {
    limiter,
    identify: identify ?? limiter.identify,
    leaseMs,
    name,
    message:
      message ??
      ((coordinate, d) => `Too many concurrent requests for ${coordinate}: at most ${d.limit} at once`),
  }
}

// biome-ignore lint/suspicious/noExplicitAny: resolvers of any source, context and arguments.
type Resolver = GraphQLFieldResolver<any, any, any, unknown>

/** The request's abort signal when the context carries one (graphql-yoga: `context.request.signal`). */
export function signalOf(context: unknown): AbortSignal | undefined {
  const signal = (context as { request?: { signal?: unknown } } | null | undefined)?.request?.signal
  return signal instanceof AbortSignal ? signal : undefined
}

export class ConcurrencyFieldLimiter {
  readonly #o: ResolvedConcurrencyOptions

  constructor(options: ResolvedConcurrencyOptions) {
    this.#o = options
  }

  /** A resolver that holds a slot while it runs. Inside subscription events it is not counted. */
  wrapResolve(field: ConcurrencyField, resolve: Resolver): Resolver {
    return async (source, args, context, info) => {
      if (info.operation.operation === 'subscription') return resolve(source, args, context, info)
      // No abort signal: a resolver runs on after its client has gone, and holds its slot until it settles.
      const slot = await this.#acquire(field, context, info, takeCharge(info), undefined)
      const release = (): void => void slot.release()
      let result: unknown
      try {
        result = await resolve(source, args, context, info)
      } catch (error) {
        release()
        throw error
      }
      // A list streamed from an async iterable (graphql-yoga's executor reads one; `@stream` sends
      // it in parts): its work runs while it is read, so the slot is held until it ends, or until
      // the client goes away and nothing reads it any more. Any other value is the field's whole
      // answer (an object or scalar may be async-iterable too: it is returned untouched).
      if (isAsyncIterable(result) && isListType(getNullableType(info.returnType))) {
        return heldWhileRead(result, release, { signal: signalOf(context) })
      }
      release()
      return result
    }
  }

  /** A `subscribe` that takes a slot when the subscription starts and holds it until it ends. */
  wrapSubscribe(field: ConcurrencyField, subscribe: Resolver): Resolver {
    return async (source, args, context, info) => {
      const slot = await this.#acquire(field, context, info, takeCharge(info), signalOf(context))
      const release = (): void => void slot.release()
      let result: unknown
      try {
        result = await subscribe(source, args, context, info)
      } catch (error) {
        release()
        throw error
      }
      if (isAsyncIterable(result)) return releasingIterable(result, release)
      release() // an error result: nothing stays open
      return result
    }
  }

  async #acquire(
    field: ConcurrencyField,
    context: unknown,
    info: GraphQLResolveInfo,
    charge: RateCharge | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ConcurrencyDecision> {
    const state = operationState(context, info)
    state.caller ??= identifyCaller(this.#o.identify, context)
    const caller = await state.caller
    const decision = await this.#o.limiter.acquire(caller.id, {
      name: field.name,
      max: field.max,
      ...(this.#o.leaseMs === undefined ? {} : { leaseMs: this.#o.leaseMs }),
      ...(signal ? { signal } : {}),
    })
    if (decision.allowed) return decision
    // A resolution refused here gives back what its `@rateLimit` charged it alone (rate-refund.ts).
    await giveBack(charge)
    throw new GraphQLConcurrencyLimitedError(this.#o.message(field.coordinate, decision), decision, {
      nodes: info.fieldNodes,
      path: responsePathAsArray(info.path),
    })
  }
}
