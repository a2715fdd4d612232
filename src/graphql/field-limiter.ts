import { type GraphQLFieldResolver, type GraphQLResolveInfo, responsePathAsArray } from 'graphql'
import { resolveCaller, rulesForCaller } from '../identity/caller.js'
import type { Caller } from '../identity/types.js'
import type { RateLimitDecision } from '../types.js'
import { RateLimitedError } from './errors.js'
import type { FieldPlan } from './field-plan.js'
import { ConsumeBatcher } from './operation-batch.js'
import { listPathKey, operationState } from './operation-state.js'
import type { ResolvedDirectiveOptions } from './options.js'
import { sinkOf } from './sink.js'

// biome-ignore lint/suspicious/noExplicitAny: resolvers of any source, context and arguments.
type Resolver = GraphQLFieldResolver<any, any, any, unknown>

/**
 * Wraps the resolvers of limited fields: identify the caller (once per operation), check the
 * field's rules (coalesced with the tick's other checks), then run the resolver or throw a
 * {@link RateLimitedError}. What the store does when it fails is the limiter's policy: only
 * `decision.allowed` decides here.
 */
export class FieldLimiter {
  readonly #o: ResolvedDirectiveOptions
  readonly #batcher: ConsumeBatcher | undefined

  constructor(options: ResolvedDirectiveOptions) {
    this.#o = options
    this.#batcher = options.coalesce ? new ConsumeBatcher(options.limiter) : undefined
  }

  /** A resolver that checks the plan first. Inside subscription events it is not counted. */
  wrapResolve(plan: FieldPlan, resolve: Resolver): Resolver {
    return (source, args, context, info) => {
      // A subscription is limited when it starts (see wrapSubscribe); its events are free.
      if (info.operation.operation === 'subscription') return resolve(source, args, context, info)
      return this.#check(plan, context, info).then((decision) => {
        if (decision && !decision.allowed) throw this.#refusal(plan, decision, context, info)
        return resolve(source, args, context, info)
      })
    }
  }

  /** A `subscribe` that checks the plan once, when the subscription starts. */
  wrapSubscribe(plan: FieldPlan, subscribe: Resolver): Resolver {
    return (source, args, context, info) =>
      this.#check(plan, context, info).then((decision) => {
        if (decision && !decision.allowed) throw this.#refusal(plan, decision, context, info)
        return subscribe(source, args, context, info)
      })
  }

  /** The decision for this resolution; `null` when the caller's plan is unlimited. */
  #check(plan: FieldPlan, context: unknown, info: GraphQLResolveInfo): Promise<RateLimitDecision | null> {
    const state = operationState(context, info)
    const key = this.#o.listMode === 'path' ? listPathKey(plan.coordinate, info) : undefined
    if (key !== undefined) {
      const shared = state.paths.get(key)
      if (shared) return shared
    }
    state.caller ??= resolveCaller(this.#o.identify, context)
    const decided = state.caller.then((caller) => this.#consume(plan, caller, context, info))
    if (key !== undefined) state.paths.set(key, decided)
    return decided
  }

  async #consume(
    plan: FieldPlan,
    caller: Caller,
    context: unknown,
    info: GraphQLResolveInfo,
  ): Promise<RateLimitDecision | null> {
    const rules = rulesForCaller(plan.rules, caller)
    if (rules === null) return null
    const request = { identity: caller.id, rules, cost: plan.cost }
    const decision = this.#batcher
      ? await this.#batcher.consume(request)
      : await this.#o.limiter.consume(caller.id, rules, { cost: plan.cost })
    sinkOf(context)?.add(decision)
    if (!decision.allowed && this.#o.onLimited) {
      try {
        this.#o.onLimited({ coordinate: plan.coordinate, decision, context, info })
      } catch {
        // An observer must not turn a refusal into a different error.
      }
    }
    return decision
  }

  #refusal(
    plan: FieldPlan,
    decision: RateLimitDecision,
    context: unknown,
    info: GraphQLResolveInfo,
  ): RateLimitedError {
    const message =
      plan.message ?? this.#o.errorMessage({ coordinate: plan.coordinate, decision, context, info })
    return new RateLimitedError(message, decision, {
      nodes: info.fieldNodes,
      path: responsePathAsArray(info.path),
    })
  }
}
