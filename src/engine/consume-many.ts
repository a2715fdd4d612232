/**
 * How `consumeMany` sends its requests to the store: the requests of one identity together, as one
 * batch (one round trip on Redis), and the others one by one.
 *
 * A sharded store (Redis Cluster) keeps every key of one identity on one shard, and a batch
 * spanning shards would fail as a whole; a GraphQL operation's checks are usually one caller's,
 * so they are still one round trip.
 */
import type { RateLimitStore, StoreResult } from '../types.js'
import { isPromise, withDeadline } from './store-call.js'
import type { StoreRequest } from './store-request.js'

/** How `consumeMany`'s requests go to the store. */
export type ConsumeManyPlan =
  /** Every request in one batch, in order: the usual case (one GraphQL operation's checks). */
  | { readonly oneBatch: true }
  | {
      readonly oneBatch: false
      /** Positions of two or more requests of one identity each, in order. */
      readonly batches: readonly (readonly number[])[]
      /** Requests answered without the store (`early`), those `runsAlone` names, and lone ones. */
      readonly alone: readonly number[]
    }

const ONE_BATCH: ConsumeManyPlan = { oneBatch: true }

/**
 * Groups the requests. Without `canBatch` (the store has no `consumeMany`, or is down) every
 * request runs alone; `runsAlone` picks others (after an outage: a key the local fallback still
 * counts must be checked against both stores).
 */
export function planConsumeMany(
  requests: readonly StoreRequest[],
  canBatch: boolean,
  runsAlone: ((request: StoreRequest) => boolean) | undefined,
): ConsumeManyPlan {
  if (canBatch && runsAlone === undefined && oneCallerForTheStore(requests)) return ONE_BATCH
  const alone: number[] = []
  const byIdentity = new Map<string, number[]>()
  for (let at = 0; at < requests.length; at++) {
    const request = requests[at]!
    if (!canBatch || request.early || runsAlone?.(request)) {
      alone.push(at)
      continue
    }
    const group = byIdentity.get(request.identity)
    if (group) group.push(at)
    else byIdentity.set(request.identity, [at])
  }
  const batches: number[][] = []
  for (const group of byIdentity.values()) {
    if (group.length > 1) batches.push(group)
    else alone.push(group[0]!)
  }
  return { oneBatch: false, batches, alone }
}

/** True for two or more requests of one identity, none answered without the store. */
function oneCallerForTheStore(requests: readonly StoreRequest[]): boolean {
  if (requests.length < 2) return false
  const identity = requests[0]!.identity
  for (const request of requests) if (request.early || request.identity !== identity) return false
  return true
}

/** The items at `positions`, in that order. */
export function pickAt<T>(items: readonly T[], positions: readonly number[]): T[] {
  return positions.map((at) => items[at]!)
}

/**
 * The store's answers to one batch, or why there are none; and how long the store call took (0
 * when not timed). A batch is one store call, so its time is one observation, not one per check.
 */
export type BatchAnswer = (
  | { readonly results: StoreResult[]; readonly error?: undefined }
  | { readonly results?: undefined; readonly error: unknown }
) & {
  readonly storeMs: number
  /** True when the store answered asynchronously (a round trip), false for a synchronous store. */
  readonly asynchronous: boolean
}

/**
 * One `consumeMany` store call for a batch, under the deadline. Never rejects: a failure or a
 * timeout is an answer with `error`, timed like a success. Only an asynchronous answer is timed,
 * and only when `timed` (someone listens).
 */
export async function callStoreBatch(
  store: RateLimitStore,
  timeoutMs: number,
  timed: boolean,
  batch: readonly StoreRequest[],
): Promise<BatchAnswer> {
  let answer: StoreResult[] | Promise<StoreResult[]>
  try {
    answer = store.consumeMany!(batch.map((p) => ({ rules: p.storeRules, cost: p.cost })))
  } catch (error) {
    return { error, storeMs: 0, asynchronous: false }
  }
  if (!isPromise(answer)) return { results: answer, storeMs: 0, asynchronous: false }
  const started = timed ? performance.now() : 0
  const elapsed = () => (started ? performance.now() - started : 0)
  try {
    const results = await withDeadline(answer, timeoutMs, store.kind)
    return { results, storeMs: elapsed(), asynchronous: true }
  } catch (error) {
    return { error, storeMs: elapsed(), asynchronous: true }
  }
}
