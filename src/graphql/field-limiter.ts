import { type GraphQLFieldResolver, type GraphQLResolveInfo, responsePathAsArray } from 'graphql'
import { planRulesForCaller } from '../identity/caller.js'
import { quotasForCaller } from '../identity/quotas.js'
import type { Caller } from '../identity/types.js'
import type { RateLimitDecision, RateLimitRule } from '../types.js'
import { GraphQLRateLimitedError } from './errors.js'
import type { FieldPlan } from './field-plan.js'
import { identifyCaller } from './identify-caller.js'
import { ConsumeBatcher, type QueuedCheck, unsettled } from './operation-batch.js'
import { checkWithQuota } from './operation-quota.js'
import { listPathKey, type OperationState, operationState } from './operation-state.js'
import type { ResolvedDirectiveOptions } from './options.js'
import { recordCharge } from './rate-refund.js'
import { sinkOf } from './sink.js'

/** A pending decision; `null` when the caller turned out to be unlimited. */
type Decided = Promise<RateLimitDecision | null>

/**
 * One resolution's check, queued in the coalescer: the request and everything its decision
 * needs, in one object of one shape. Without `next` the decision is only reported and handed on
 * (it is shared by the list items of one path).
 */
interface FieldCheck extends QueuedCheck {
  readonly rules: readonly RateLimitRule[]
  readonly cost: number
  readonly plan: FieldPlan
  readonly next: Resolver | undefined
  /** A `@concurrencyLimit` slot is taken inside: record the charge for its refusal (rate-refund.ts). */
  readonly refundable: boolean
  readonly source: unknown
  readonly args: unknown
  readonly context: unknown
  readonly info: GraphQLResolveInfo
}

// biome-ignore lint/suspicious/noExplicitAny: resolvers of any source, context and arguments.
type Resolver = GraphQLFieldResolver<any, any, any, unknown>

/** A check of one shape for every field (positional, like a resolver's arguments: one allocation). */
function fieldCheck(
  identity: string,
  rules: readonly RateLimitRule[],
  plan: FieldPlan,
  next: Resolver | undefined,
  refundable: boolean,
  source: unknown,
  args: unknown,
  context: unknown,
  info: GraphQLResolveInfo,
): FieldCheck {
  const { cost } = plan
  return {
    identity,
    rules,
    cost,
    plan,
    next,
    refundable,
    source,
    args,
    context,
    info,
    resolve: unsettled,
    reject: unsettled,
  }
}

/**
 * Wraps the resolvers of limited fields: identify the caller (once per operation), check the
 * field's rules (coalesced with the tick's other checks), then run the resolver or throw a
 * {@link GraphQLRateLimitedError}. What the store does when it fails is the limiter's policy: only
 * `decision.allowed` decides here.
 */
export class FieldLimiter {
  readonly #o: ResolvedDirectiveOptions
  readonly #batcher: ConsumeBatcher<FieldCheck> | undefined

  constructor(options: ResolvedDirectiveOptions) {
    this.#o = options
    this.#batcher = options.coalesce
      ? new ConsumeBatcher<FieldCheck>(options.limiter, (check, decision) => this.#decided(check, decision))
      : undefined
  }

  /**
   * A resolver that checks the plan first. Inside subscription events it is not counted.
   * `refundable`: a `@concurrencyLimit` slot is taken inside, which gives the charge back when it refuses.
   */
  wrapResolve(plan: FieldPlan, resolve: Resolver, refundable = false): Resolver {
    return (source, args, context, info) =>
      // A subscription is limited when it starts (see wrapSubscribe); its events are free.
      info.operation.operation === 'subscription'
        ? resolve(source, args, context, info)
        : this.#guard(plan, resolve, refundable, source, args, context, info)
  }

  /** A `subscribe` that checks the plan once, when the subscription starts. */
  wrapSubscribe(plan: FieldPlan, subscribe: Resolver, refundable = false): Resolver {
    return (source, args, context, info) =>
      this.#guard(plan, subscribe, refundable, source, args, context, info)
  }

  /** Checks the plan, then calls `next`; a refusal is thrown (in the returned promise) instead. */
  #guard(
    plan: FieldPlan,
    next: Resolver,
    refundable: boolean,
    source: unknown,
    args: unknown,
    context: unknown,
    info: GraphQLResolveInfo,
  ): unknown {
    const state = operationState(context, info)
    const key = this.#o.listMode === 'path' ? listPathKey(plan.coordinate, info) : undefined
    const batcher = this.#batcher
    if (key === undefined && batcher) {
      state.caller ??= identifyCaller(this.#o.identify, context)
      const { caller } = state
      if (!(caller instanceof Promise)) {
        // The usual case: no list crossed, the caller known. The resolver runs in the check's
        // continuation: a limited field costs one check object and one promise (see #decided).
        const rules = planRulesForCaller(plan.rules, caller)
        if (rules === null) return next(source, args, context, info)
        // Plan quotas: once the operation used them, its fields go the usual way.
        if (state.quota === true || quotasForCaller(caller).length === 0) {
          const check = fieldCheck(caller.id, rules, plan, next, refundable, source, args, context, info)
          return batcher.consume(check)
        }
      }
    }
    const pending = this.#check(plan, state, key, context, info)
    if (pending === undefined) return next(source, args, context, info)
    return pending.then((decision) => {
      if (decision && !decision.allowed) throw this.#refusal(plan, decision, context, info)
      // A decision shared by a list path's items is no one item's to give back.
      if (refundable && decision && key === undefined) recordCharge(info, this.#o.limiter, decision)
      return next(source, args, context, info)
    })
  }

  /**
   * The decision for this resolution, shared by the list items of one path; `undefined` (or a
   * promise of `null`) when the caller's plan is unlimited. The caller is identified once per
   * operation, synchronously when `identify` is.
   */
  #check(
    plan: FieldPlan,
    state: OperationState,
    key: string | undefined,
    context: unknown,
    info: GraphQLResolveInfo,
  ): Decided | undefined {
    if (key !== undefined && state.paths?.has(key)) return state.paths.get(key)
    state.caller ??= identifyCaller(this.#o.identify, context)
    const { caller } = state
    const decided =
      caller instanceof Promise
        ? caller.then((known) => this.#consume(plan, known, state, context, info) ?? null)
        : this.#consume(plan, caller, state, context, info)
    if (key !== undefined) {
      state.paths ??= new Map()
      state.paths.set(key, decided)
    }
    return decided
  }

  /** The field's check, with the plan's quotas once per operation (see `operation-quota.ts`). */
  #consume(
    plan: FieldPlan,
    caller: Caller,
    state: OperationState,
    context: unknown,
    info: GraphQLResolveInfo,
  ): Promise<RateLimitDecision> | undefined {
    const rules = planRulesForCaller(plan.rules, caller)
    if (rules === null) return undefined
    const quotas = quotasForCaller(caller)
    if (quotas.length === 0) return this.#send(plan, caller.id, rules, context, info)
    return checkWithQuota(state, rules, quotas, {
      send: (checked) => this.#send(plan, caller.id, checked, context, info),
      refused: (decision) => this.#report(plan, decision, context, info),
    })
  }

  /** One check of these rules, coalesced with the tick's others when the batcher is on; reported. */
  #send(
    plan: FieldPlan,
    identity: string,
    rules: readonly RateLimitRule[],
    context: unknown,
    info: GraphQLResolveInfo,
  ): Promise<RateLimitDecision> {
    if (this.#batcher) {
      const check = fieldCheck(identity, rules, plan, undefined, false, undefined, undefined, context, info)
      return this.#batcher.consume(check) as Promise<RateLimitDecision>
    }
    return this.#o.limiter
      .consume(identity, rules, { cost: plan.cost })
      .then((decision) => this.#report(plan, decision, context, info))
  }

  /** A coalesced check's decision: reported, then the resolver's result, or the refusal thrown. */
  #decided(check: FieldCheck, decision: RateLimitDecision): unknown {
    const { plan, next, context, info } = check
    this.#report(plan, decision, context, info)
    if (next === undefined) return decision
    if (!decision.allowed) throw this.#refusal(plan, decision, context, info)
    if (check.refundable) recordCharge(info, this.#o.limiter, decision)
    return next(check.source, check.args, context, info)
  }

  /** Hands the decision to the headers plugin and, when refused, to `onLimited`. Once per decision. */
  #report(
    plan: FieldPlan,
    decision: RateLimitDecision,
    context: unknown,
    info: GraphQLResolveInfo,
  ): RateLimitDecision {
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
  ): GraphQLRateLimitedError {
    const message =
      plan.message ?? this.#o.errorMessage({ coordinate: plan.coordinate, decision, context, info })
    return new GraphQLRateLimitedError(message, decision, {
      nodes: info.fieldNodes,
      path: responsePathAsArray(info.path),
    })
  }
}
