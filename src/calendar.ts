/**
 * Calendar periods for quotas: the day, ISO week (Monday to Sunday) or month that contains an
 * instant, in an IANA time zone, computed with `Intl` so that DST is right: a period starts at the
 * first instant whose local date is its first day (local midnight, or the end of a DST gap when a
 * zone skips midnight), so a day is 23 or 25 hours long across a transition.
 *
 * Boundaries are computed here, in JavaScript, never in Lua: a store asks for the period that
 * contains its own clock (`bounds`), and the Redis store sends the periods around the app's clock
 * (`around`) for the script to pick the one that contains Redis `TIME`.
 */
import { describeValue, invalidConfig } from './errors.js'

/** The calendar periods a quota can reset on. */
export type CalendarUnit = 'day' | 'week' | 'month'

/** One period: `[start, end)` in milliseconds since the epoch. */
export interface PeriodBounds {
  readonly start: number
  readonly end: number
}

/** Nominal period lengths (for `RateLimit-Policy`'s `w` and the failure policy's carry-over only). */
export const NOMINAL_PERIOD_MS: Readonly<Record<CalendarUnit, number>> = {
  day: 86_400_000,
  week: 7 * 86_400_000,
  month: 31 * 86_400_000,
}

const HOUR = 3_600_000
/** Local dates as comparable integers: yyyymmdd. */
const dateKey = (y: number, m: number, d: number): number => y * 10_000 + m * 100 + d
const WEEKDAYS: Readonly<Record<string, number>> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 }

/** The local date of instants in one zone. */
class ZoneDates {
  readonly #format: Intl.DateTimeFormat

  constructor(timeZone: string) {
    this.#format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
    })
  }

  /** Local year, month (1–12), day and ISO weekday (1 Monday … 7 Sunday) at instant `t`. */
  at(t: number): { y: number; m: number; d: number; weekday: number } {
    let y = 0
    let m = 0
    let d = 0
    let weekday = 0
    for (const part of this.#format.formatToParts(t)) {
      if (part.type === 'year') y = Number(part.value)
      else if (part.type === 'month') m = Number(part.value)
      else if (part.type === 'day') d = Number(part.value)
      else if (part.type === 'weekday') weekday = WEEKDAYS[part.value] ?? 0
    }
    return { y, m, d, weekday }
  }

  /**
   * The first instant whose local date is on or after the (normalized) date y-m-d: local midnight,
   * or the end of a DST gap over midnight. UTC offsets lie within −12 h … +14 h, so it lies within
   * 15 hours of that date's UTC midnight; a binary search over whole seconds finds it.
   */
  startOf(y: number, m: number, d: number): number {
    const utc = new Date(Date.UTC(y, m - 1, d))
    const target = dateKey(utc.getUTCFullYear(), utc.getUTCMonth() + 1, utc.getUTCDate())
    let low = (utc.getTime() - 15 * HOUR) / 1000
    let high = (utc.getTime() + 15 * HOUR) / 1000
    while (low < high) {
      const mid = Math.floor((low + high) / 2)
      const local = this.at(mid * 1000)
      if (dateKey(local.y, local.m, local.d) >= target) high = mid
      else low = mid + 1
    }
    return low * 1000
  }
}

/**
 * A calendar: the period unit and time zone of a quota rule. Stores call {@link bounds} with their
 * own clock; the answer is cached while the clock stays inside the period.
 */
export class Calendar {
  readonly period: CalendarUnit
  readonly timeZone: string
  /** Test-only: fixed periods of this length since the epoch instead of calendar ones. */
  readonly lengthMs: number | undefined
  readonly #dates: ZoneDates | undefined
  #last: PeriodBounds = { start: 0, end: 0 }
  #around: readonly [number, number, number, number] = [0, 0, 0, 0]

  constructor(period: CalendarUnit, timeZone: string, lengthMs?: number) {
    this.period = period
    this.timeZone = timeZone
    this.lengthMs = lengthMs
    this.#dates = lengthMs === undefined ? new ZoneDates(timeZone) : undefined
  }

  /** The period that contains instant `t` (ms since the epoch). */
  bounds(t: number): PeriodBounds {
    const last = this.#last
    if (t >= last.start && t < last.end) return last
    this.#last = this.#compute(t)
    return this.#last
  }

  /**
   * The starts of the period before the one containing `t`, of that period and of the next, and
   * the next one's end: the candidates a store whose clock may differ a little from `t` picks from.
   */
  around(t: number): readonly [number, number, number, number] {
    const cached = this.#around
    if (t >= cached[1] && t < cached[2]) return cached
    const { start, end } = this.bounds(t)
    this.#around = [this.#compute(start - 1).start, start, end, this.#compute(end).end]
    return this.#around
  }

  #compute(t: number): PeriodBounds {
    const dates = this.#dates
    if (dates === undefined) {
      const length = this.lengthMs!
      const start = Math.floor(t / length) * length
      return { start, end: start + length }
    }
    const { y, m, d, weekday } = dates.at(t)
    if (this.period === 'day') return { start: dates.startOf(y, m, d), end: dates.startOf(y, m, d + 1) }
    if (this.period === 'week') {
      const monday = d - (weekday - 1)
      return { start: dates.startOf(y, m, monday), end: dates.startOf(y, m, monday + 7) }
    }
    return { start: dates.startOf(y, m, 1), end: dates.startOf(y, m + 1, 1) }
  }
}

/**
 * The starts of the period before the one containing `t`, of that one and of the next, and the
 * next one's end (see {@link Calendar.around}); for any calendar a store is given.
 */
export function periodsAround(
  calendar: { bounds(t: number): PeriodBounds },
  t: number,
): readonly [number, number, number, number] {
  if (calendar instanceof Calendar) return calendar.around(t)
  const { start, end } = calendar.bounds(t)
  return [calendar.bounds(start - 1).start, start, end, calendar.bounds(end).end]
}

const UNITS: readonly CalendarUnit[] = ['day', 'week', 'month']
const calendars = new Map<string, Calendar>()
const MAX_CALENDARS = 1000

/**
 * The shared calendar of a period and zone (validated).
 * @throws RateLimitConfigError (`INVALID_RULE`) naming `subject`'s field.
 */
export function calendarOf(period: unknown, timeZone: unknown, subject: string, lengthMs?: number): Calendar {
  if (!UNITS.includes(period as CalendarUnit)) {
    invalidConfig(
      `Expected \`period\` of ${subject} to be 'day', 'week' or 'month', got ${describeValue(period)}`,
      'INVALID_RULE',
    )
  }
  if (
    typeof timeZone !== 'string' ||
    timeZone.length === 0 ||
    timeZone.length > 64 ||
    !isTimeZone(timeZone)
  ) {
    invalidConfig(
      `Expected \`timeZone\` of ${subject} to be an IANA time zone name such as 'UTC' or 'Europe/Berlin', got ${describeValue(timeZone)}`,
      'INVALID_RULE',
    )
  }
  const memo = `${period}|${timeZone}|${lengthMs ?? ''}`
  let calendar = calendars.get(memo)
  if (calendar === undefined) {
    calendar = new Calendar(period as CalendarUnit, timeZone, lengthMs)
    if (calendars.size >= MAX_CALENDARS) calendars.clear()
    calendars.set(memo, calendar)
  }
  return calendar
}

function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone })
    return true
  } catch {
    return false
  }
}
