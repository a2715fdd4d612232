/**
 * The memory store's four algorithms behind one dispatch: which state a rule keeps, how a check,
 * a record, a refund and a seed run on it. `memory-store.ts` keeps keys, clock and eviction.
 */
import type { StoreRule } from '../types.js'
import { type BucketState, checkBucket, recordBucket, refundBucket, seedBucket } from './memory-bucket.js'
import {
  type CalendarState,
  checkCalendar,
  recordCalendar,
  refundCalendar,
  seedCalendar,
} from './memory-calendar.js'
import {
  type CounterState,
  checkCounter,
  recordCounter,
  refundCounter,
  seedCounter,
} from './memory-counter.js'
import { checkLog, type LogState, type RuleCheck, recordLog, refundLog, seedLog } from './memory-log.js'

/** What the store keeps per key. */
export type EntryState = LogState | CounterState | BucketState | CalendarState

const KINDS = {
  'sliding-log': 'log',
  'sliding-window': 'counter',
  'token-bucket': 'bucket',
  calendar: 'calendar',
} as const

/** The state a rule keeps, if `state` is of its kind (a key reused by another algorithm starts over). */
export function stateFor(rule: StoreRule, state: EntryState | undefined): EntryState | undefined {
  return state?.kind === KINDS[rule.algorithm] ? state : undefined
}

/** Checks `cost` against `state` (of the rule's kind, see {@link stateFor}), recording nothing. */
export function checkRule(
  rule: StoreRule,
  state: EntryState | undefined,
  now: number,
  cost: number,
  out: RuleCheck,
): void {
  const algorithm = rule.algorithm
  if (algorithm === 'sliding-log')
    checkLog(state as LogState | undefined, now, rule.limit, rule.windowMs, cost, out)
  else if (algorithm === 'sliding-window')
    checkCounter(state as CounterState | undefined, now, rule.limit, rule.windowMs, cost, out)
  else if (algorithm === 'token-bucket') checkBucket(state as BucketState | undefined, now, rule, cost, out)
  else checkCalendar(state as CalendarState | undefined, now, rule, cost, out)
}

/** Records `cost` that {@link checkRule} just admitted; returns the state to keep. */
export function recordRule(
  rule: StoreRule,
  state: EntryState | undefined,
  now: number,
  cost: number,
): EntryState {
  switch (rule.algorithm) {
    case 'sliding-log':
      return recordLog(state as LogState | undefined, now, rule.limit, rule.windowMs, cost)
    case 'sliding-window':
      return recordCounter(state as CounterState | undefined, now, rule.windowMs, cost)
    case 'token-bucket':
      return recordBucket(state as BucketState | undefined, now, rule, cost)
    default:
      return recordCalendar(state as CalendarState | undefined, now, rule, cost)
  }
}

/** Gives back up to `cost` units (see `RateLimitStore.refund`); true when the key holds nothing after it. */
export function refundRule(
  rule: StoreRule,
  state: EntryState | undefined,
  now: number,
  cost: number,
  out: RuleCheck,
): boolean {
  switch (rule.algorithm) {
    case 'sliding-log': {
      const log = state as LogState | undefined
      refundLog(log, now, rule.windowMs, cost, out)
      return log !== undefined && log.size === 0
    }
    case 'sliding-window':
      refundCounter(state as CounterState | undefined, now, rule.windowMs, cost, out)
      return false
    case 'token-bucket':
      return refundBucket(state as BucketState | undefined, now, rule, cost, out) && state !== undefined
    default:
      refundCalendar(state as CalendarState | undefined, now, rule, cost, out)
      return false
  }
}

/** State holding `used` units another store reported, all gone `expiresInMs` from now. */
export function seedRule(rule: StoreRule, now: number, used: number, expiresInMs: number): EntryState {
  switch (rule.algorithm) {
    case 'sliding-log':
      return seedLog(now, rule.limit, rule.windowMs, used, expiresInMs)
    case 'sliding-window':
      return seedCounter(now, rule.windowMs, used, expiresInMs)
    case 'token-bucket':
      return seedBucket(now, rule, expiresInMs)
    default:
      return seedCalendar(now, rule, used)
  }
}
