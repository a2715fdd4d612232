/**
 * Generators for the fuzz tests: what callers (and attackers) can put into an identity, a rule
 * name, a window, a limit or a cost — valid values and invalid ones.
 */
import fc from 'fast-check'

const CONTROL = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code))
const BRACES = fc.constantFrom('{', '}', '{}', '}{', '{{', '}}', '{user:1}')

/** Any string an HTTP header, a JWT claim or a GraphQL argument could carry into an identity. */
export const identity = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.oneof(CONTROL, BRACES, fc.string({ unit: 'binary-ascii', maxLength: 3 })),
    maxLength: 20,
  }),
  fc.constantFrom('', '{', '}', '{}', 'user:{42}', 'ip:::1', 'key:\u0000', '\u202e', '👀'.repeat(64)),
  // Long: 100 kB, and right at the edge of the readable form (128 characters).
  fc.integer({ min: 120, max: 140 }).map((n) => 'a'.repeat(n)),
  fc.constant('x'.repeat(100_000)),
  fc.constant('{'.repeat(100_000)),
)

/** Rule names: anything, including empty and far too long. */
export const ruleName = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), weight: 8 },
  fc.constantFrom('Query.search', 'post.create', 'Mutation.login', '{tag}', 'a b', ''),
  fc.constantFrom('n'.repeat(1001), 'n'.repeat(1000)),
)

const UNITS = ['ms', 's', 'm', 'h', 'd'] as const
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }
export const MAX_WINDOW_MS = 366 * 86_400_000

/** A well-formed duration string and its value in ms (which may still be 0 or above the maximum). */
export const durationString = fc
  .subarray([...UNITS], { minLength: 1 })
  .chain((units) =>
    fc.tuple(
      fc.shuffledSubarray(units, { minLength: units.length, maxLength: units.length }),
      fc.array(fc.integer({ min: 0, max: 400 }), { minLength: units.length, maxLength: units.length }),
    ),
  )
  .map(([units, counts]) => ({
    text: units.map((unit, i) => `${counts[i]}${unit}`).join(''),
    ms: units.reduce((sum, unit, i) => sum + counts[i]! * UNIT_MS[unit], 0),
  }))

/** Anything that might be passed as `window`. */
export const windowValue = fc.oneof(
  { arbitrary: durationString.map((d) => d.text), weight: 12 },
  fc.integer({ min: -10, max: MAX_WINDOW_MS + 10 }),
  fc.double(),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('1m', '1.5s', '-1s', '1 m', '1M', 'ms', '0s', '1s1s', '', '1e3', 'Infinity'),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 0, -1, null, undefined, {}, [], true),
)

/** Anything that might be passed as `limit` or `cost`. */
export const count = fc.oneof(
  { arbitrary: fc.integer({ min: -3, max: 50 }), weight: 8 },
  { arbitrary: fc.integer({ min: 1, max: 2_000_000_000 }), weight: 3 },
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 1.5, '1', null, undefined, 0, -0, 1e9, 1e9 + 1),
)

/** The oracle for `window`, written independently of src/duration.ts. */
export function windowMsOf(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 && value <= MAX_WINDOW_MS ? value : undefined
  }
  if (typeof value !== 'string') return undefined
  const parts = value.match(/^(?:\d+(?:ms|s|m|h|d))+$/) ? [...value.matchAll(/(\d+)(ms|s|m|h|d)/g)] : []
  if (parts.length === 0 || value.length > 40) return undefined
  const units = parts.map((p) => p[2]!)
  if (new Set(units).size !== units.length) return undefined
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2] as keyof typeof UNIT_MS], 0)
  return ms > 0 && ms <= MAX_WINDOW_MS ? ms : undefined
}

/** The oracle for `limit` and `cost`: an integer from 1 to 1e9. */
export function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 1_000_000_000
}

/** The Redis Cluster hash tag of a key: what is hashed to pick the slot. */
export function hashTag(key: string): string {
  const open = key.indexOf('{')
  if (open < 0) return key
  const close = key.indexOf('}', open + 1)
  if (close < 0 || close === open + 1) return key
  return key.slice(open + 1, close)
}
