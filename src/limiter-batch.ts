import { isPromise, withDeadline } from './deadline.js'
import type { Prepared } from './limiter-request.js'
import type { RateLimitStore, StoreResult } from './types.js'

/**
 * The positions of the requests of `consumeMany` that need the store, one group per identity, in
 * order. A sharded store (Redis Cluster) keeps every key of one identity on one shard, and a batch
 * spanning shards would fail as a whole; a GraphQL operation's batch is usually one caller's, so
 * this is still one round trip. Requests answered without the store (`early`) and those marked
 * in `alone` are left out.
 */
export function groupByIdentity(prepared: readonly Prepared[], alone?: readonly boolean[]): number[][] {
  const groups = new Map<string, number[]>()
  for (let at = 0; at < prepared.length; at++) {
    const p = prepared[at]!
    if (p.early || alone?.[at]) continue
    const group = groups.get(p.identity)
    if (group) group.push(at)
    else groups.set(p.identity, [at])
  }
  return [...groups.values()]
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
 * One `consumeMany` store call for a group, under the deadline. Never rejects: a failure or a
 * timeout is an answer with `error`, timed like a success. Only an asynchronous answer is timed,
 * and only when `timed` (someone listens).
 */
export async function callStoreBatch(
  store: RateLimitStore,
  timeoutMs: number,
  timed: boolean,
  group: readonly Prepared[],
): Promise<BatchAnswer> {
  let batch: StoreResult[] | Promise<StoreResult[]>
  try {
    batch = store.consumeMany!(group.map((p) => ({ rules: p.storeRules, cost: p.cost })))
  } catch (error) {
    return { error, storeMs: 0, asynchronous: false }
  }
  if (!isPromise(batch)) return { results: batch, storeMs: 0, asynchronous: false }
  const started = timed ? performance.now() : 0
  const elapsed = () => (started ? performance.now() - started : 0)
  try {
    const results = await withDeadline(batch, timeoutMs, store.kind)
    return { results, storeMs: elapsed(), asynchronous: true }
  } catch (error) {
    return { error, storeMs: elapsed(), asynchronous: true }
  }
}
