/**
 * How a batch of checks becomes the arguments of one script call, and the script's flat reply
 * becomes one result per check (see `redis-scripts.ts` for the format on the Lua side).
 */
import { periodsAround } from '../calendar.js'
import { StoreError } from '../errors.js'
import type { StoreResult, StoreRule, StoreRuleResult } from '../types.js'

/** What a check does: the first word of its spec. */
export const CONSUME = '1'
export const PEEK = '0'
export const REFUND = 'R'
export type Mode = typeof CONSUME | typeof PEEK | typeof REFUND

/** One check of a batch; `waiter` gets its result at `index`. */
export interface Check {
  readonly rules: readonly StoreRule[]
  readonly cost: number
  readonly mode: Mode
  readonly waiter: Waiter
  readonly index: number
}

/**
 * Who waits for checks: one `consume`/`peek`/`refund` (`many` false: settles with the result)
 * or every check of one `consumeMany` (settles with all results once the last one is in). One
 * promise per call, not per check: a GraphQL operation hands 20 checks over in one call.
 */
export class Waiter {
  readonly results: StoreResult[]
  #left: number
  readonly #many: boolean
  readonly #resolve: (value: never) => void
  readonly #reject: (error: unknown) => void

  constructor(
    count: number,
    many: boolean,
    resolve: (value: never) => void,
    reject: (error: unknown) => void,
  ) {
    this.results = new Array(count)
    this.#left = count
    this.#many = many
    this.#resolve = resolve
    this.#reject = reject
  }

  settle(index: number, result: StoreResult): void {
    this.results[index] = result
    if (--this.#left === 0) this.#resolve((this.#many ? this.results : result) as never)
  }

  /** The first failure rejects the call (a later settle or failure changes nothing). */
  fail(error: unknown): void {
    this.#reject(error)
  }
}

/**
 * Spec suffix of a rule list, ` L 1000 60000` per rule; cached per (long-lived) list. A list with a
 * calendar quota names the periods around the app's clock: its suffix holds while the clock is in
 * `[from, until)` (the current period of every quota), then is built again.
 */
interface SpecCache {
  readonly rules: string
  readonly consumeOne: string
  readonly from: number
  readonly until: number
}
const ruleSpecs = new WeakMap<readonly StoreRule[], SpecCache>()

const LETTERS = { 'sliding-log': 'L', 'sliding-window': 'W', 'token-bucket': 'T', calendar: 'Q' } as const

function specCache(rules: readonly StoreRule[], now: number): SpecCache {
  let text = ''
  let from = Number.NEGATIVE_INFINITY
  let until = Number.POSITIVE_INFINITY
  for (const r of rules) {
    const letter = LETTERS[r.algorithm]
    if (letter === 'T') text += ` T ${r.limit} ${r.windowMs}/${r.burst ?? r.limit}`
    else if (letter === 'Q') {
      // The periods around the app's clock; the script counts in the one that contains `TIME`.
      const around = periodsAround(r.calendar!, now)
      text += ` Q ${r.limit} ${around.join('/')}`
      from = Math.max(from, around[1])
      until = Math.min(until, around[2])
    } else text += ` ${letter} ${r.limit} ${r.windowMs}`
  }
  return { rules: text, consumeOne: `${CONSUME} 1${text}`, from, until }
}

/**
 * A check's spec: `mode cost` then `algorithm limit windowMs` per rule, e.g. `1 1 L 1000 60000`.
 * One string per check instead of 3 + 3 per rule arguments: the client encodes a third of the
 * arguments (measured on a 20-check batch: ioredis allocated 37 KB per call with one argument
 * per number), and the script parses each distinct spec once per call. The common spec (consume,
 * cost 1) is cached with the rules, so a check usually costs a WeakMap look-up, no string.
 */
function spec(mode: Mode, cost: number, rules: readonly StoreRule[]): string {
  let cached = ruleSpecs.get(rules)
  if (cached === undefined || cached.until !== Number.POSITIVE_INFINITY) {
    const now = cached === undefined ? 0 : Date.now()
    if (cached === undefined || now < cached.from || now >= cached.until) {
      cached = specCache(rules, cached === undefined ? Date.now() : now)
      ruleSpecs.set(rules, cached)
    }
  }
  return mode === CONSUME && cost === 1 ? cached.consumeOne : `${mode} ${cost}${cached.rules}`
}

/**
 * Distinct specs one script call can name: the check → spec map is one ASCII character per check,
 * `0` (48) for the first spec up to `~` (126). A call holds at most `MAX_BATCH` (32) checks.
 */
const MAX_SPECS = 126 - 48 + 1

/**
 * KEYS and ARGV of one script call: every rule's key in order; then the number of checks, the
 * spec of each check as one character (`0` = the first distinct spec), and the distinct specs.
 * The checks of one call mostly share a spec or two (every field of a GraphQL operation with the
 * same limit, window and cost): a 20-check call sends 23 arguments instead of 42, which saves the
 * client about a quarter of its encoding time and the script as many argument strings.
 */
export function scriptArgs(batch: readonly Check[]): { keys: string[]; argv: string[] } {
  const keys: string[] = []
  const argv: string[] = [String(batch.length), '']
  let map = ''
  for (const { rules, cost, mode } of batch) {
    for (let r = 0; r < rules.length; r++) keys.push(rules[r]!.key)
    const text = spec(mode, cost, rules)
    // A linear search: a call has a handful of distinct specs at most.
    let at = argv.indexOf(text, 2) - 2
    if (at < 0) {
      at = argv.push(text) - 3
      if (at >= MAX_SPECS) throw new RangeError(`A script call names at most ${MAX_SPECS} distinct specs`)
    }
    map += String.fromCharCode(48 + at)
  }
  argv[1] = map
  return { keys, argv }
}

/** Splits the script's flat reply among the checks of the batch. */
export function settleReply(batch: readonly Check[], reply: unknown): void {
  let expected = 0
  for (const check of batch) expected += 1 + 3 * check.rules.length
  if (!Array.isArray(reply) || reply.length !== expected) {
    const error = new StoreError(
      'STORE_UNAVAILABLE',
      'Redis returned an unexpected reply to the rate-limit script',
    )
    for (const check of batch) check.waiter.fail(error)
    return
  }
  let at = 0
  for (const check of batch) {
    const allowed = reply[at++] === 1
    const count = check.rules.length
    const rules: StoreRuleResult[] = new Array(count)
    for (let i = 0; i < count; i++) {
      const retry = reply[at + 1] as number
      rules[i] = {
        used: reply[at] as number,
        retryAfterMs: retry < 0 ? Number.POSITIVE_INFINITY : retry,
        resetMs: reply[at + 2] as number,
      }
      at += 3
    }
    check.waiter.settle(check.index, { allowed, rules })
  }
}
