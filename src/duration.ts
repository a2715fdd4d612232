import { describeValue, RateLimitConfigError } from './errors.js'
import type { Duration } from './types.js'

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
const PART = /(\d+)(ms|s|m|h|d)/y
/** Longest accepted window: one year. Longer windows are almost always a unit mistake. */
export const MAX_WINDOW_MS = 366 * 86_400_000

/** Valid duration strings seen so far (rules written inline are resolved on every call). */
const parsed = new Map<string, number>()
const MAX_PARSED = 1000

/**
 * Parses a duration into whole milliseconds, or returns `undefined` when it is not a valid one.
 * Parts must be whole numbers, in any order, each unit at most once: `'1h30m'`, `'500ms'`.
 */
export function tryParseDuration(value: Duration): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 && value <= MAX_WINDOW_MS ? value : undefined
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 40) return undefined
  let total = parsed.get(value)
  if (total !== undefined) return total
  total = parseParts(value)
  if (total !== undefined) {
    if (parsed.size >= MAX_PARSED) parsed.clear()
    parsed.set(value, total)
  }
  return total
}

function parseParts(value: string): number | undefined {
  let total = 0
  const seen = new Set<string>()
  PART.lastIndex = 0
  while (PART.lastIndex < value.length) {
    const start = PART.lastIndex
    const match = PART.exec(value)
    if (!match || match.index !== start) return undefined
    const unit = match[2]!
    if (seen.has(unit)) return undefined
    seen.add(unit)
    total += Number(match[1]) * UNIT_MS[unit]!
  }
  return total > 0 && total <= MAX_WINDOW_MS ? total : undefined
}

/**
 * Parses a duration into milliseconds.
 * @throws RateLimitConfigError (`INVALID_RULE`) naming `subject` and the accepted forms.
 * @example parseDuration('1h30m') // 5_400_000
 */
export function parseDuration(value: Duration, subject = '`window`'): number {
  const ms = tryParseDuration(value)
  if (ms === undefined) {
    throw new RateLimitConfigError(
      'INVALID_RULE',
      `Expected ${subject} to be a positive whole number of milliseconds or a duration like '500ms', '30s', '1m', '1h30m', '1d' (whole numbers, at most one year), got ${describeValue(value)}`,
    )
  }
  return ms
}

/** Formats milliseconds as the shortest duration string, e.g. `90_000` → `'1m30s'`. */
export function formatDuration(ms: number): string {
  let rest = ms
  let out = ''
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]!
    const count = Math.floor(rest / size)
    if (count > 0) {
      out += `${count}${unit}`
      rest -= count * size
    }
  }
  return out || '0ms'
}
