/**
 * Public types of rules: what a user writes (`RateLimitRule`) and what validation makes of it
 * (`ResolvedRule`). Re-exported by `types.ts`, the store port's vocabulary.
 */
import type { PeriodBounds } from './calendar.js'

/**
 * The algorithms a rule may choose. See the README section "Algorithms" for their exact semantics.
 * A calendar quota (a rule with `period`) has no `algorithm`: it is always a counter per period.
 */
export type Algorithm = 'sliding-log' | 'sliding-window' | 'token-bucket'

/** What a store implements for one rule: an {@link Algorithm}, or `'calendar'` for a rule with `period`. */
export type StoreAlgorithm = Algorithm | 'calendar'

/**
 * A duration: a number of milliseconds (a positive integer) or a string of whole-number parts
 * `ms`, `s`, `m`, `h`, `d`, e.g. `'500ms'`, `'30s'`, `'1m'`, `'1h30m'`.
 */
export type Duration = number | string

/** What the limiter does when the store fails or times out. */
export type StoreErrorPolicy = 'local' | 'open' | 'closed'

/**
 * A limit: at most `limit` units of cost per `window` (sliding log or counter), `limit` tokens
 * refilled per `window` up to `burst` (token bucket), or at most `limit` per calendar `period`.
 * A rule has exactly one of `window` and `period`.
 *
 * @example
 * const search: RateLimitRule = { name: 'Query.search', limit: 10, window: '1m' }
 * const smooth: RateLimitRule = { name: 'api', limit: 20, window: '1s', algorithm: 'token-bucket', burst: 40 }
 * const daily: RateLimitRule = { name: 'daily', limit: 1000, period: 'day', timeZone: 'Europe/Berlin' }
 */
export interface RateLimitRule {
  /**
   * Names the budget. Rules with the same name, limit, window (or period) and algorithm share one
   * budget.
   * @default 'default'
   */
  name?: string
  /** Units of cost admitted per window (or period); a token bucket's refill per window. An integer ≥ 1. */
  limit: number
  /** The window length (sliding log, counter) or refill time of `limit` tokens (token bucket). */
  window?: Duration
  /**
   * `'sliding-log'` (exact), `'sliding-window'` (O(1) memory, weighted estimate) or
   * `'token-bucket'` (GCRA: smooth refill, bursts up to `burst`). Not allowed with `period`.
   * @default 'sliding-log' when `limit` ≤ 1000, else 'sliding-window'
   */
  algorithm?: Algorithm
  /**
   * Token bucket only: the capacity, the most units a full bucket holds (and one request may cost).
   * @default limit
   */
  burst?: number
  /**
   * A calendar quota instead of a sliding `window`: at most `limit` per day, ISO week (Monday
   * 00:00 to Monday 00:00) or month in `timeZone`, reset at the period's boundary.
   */
  period?: 'day' | 'week' | 'month'
  /** The IANA time zone of `period`. @default 'UTC' */
  timeZone?: string
  /** Overrides the limiter's `onStoreError` for this rule (e.g. fail closed on a login mutation). */
  onStoreError?: StoreErrorPolicy
  /** Compute and report the decision but never refuse because of this rule. @default false */
  shadow?: boolean
}

/** A calendar quota's period, as a store sees it: asks for the period around its own clock. */
export interface CalendarPeriod {
  readonly period: 'day' | 'week' | 'month'
  readonly timeZone: string
  /** The period that contains instant `t` (ms since the epoch): `[start, end)`. */
  bounds(t: number): PeriodBounds
}

/** A validated rule with its parsed window and its stable id. Produced once per rule object. */
export interface ResolvedRule {
  readonly name: string
  readonly limit: number
  /** The window in ms; for a calendar quota the nominal length of its period (a month: 31 days). */
  readonly windowMs: number
  readonly algorithm: StoreAlgorithm
  /** The most units the budget holds, and one request may cost: `burst` for a token bucket, else `limit`. */
  readonly burst: number
  /** Set for a calendar quota. */
  readonly calendar?: CalendarPeriod
  /** `name` (or its digest) plus a digest of limit, window and algorithm: part of the store key. */
  readonly id: string
  readonly onStoreError: StoreErrorPolicy | undefined
  readonly shadow: boolean
  /** The rule object this was resolved from. */
  readonly source: RateLimitRule
}
