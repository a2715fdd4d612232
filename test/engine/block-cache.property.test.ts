import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { createRateLimiter } from '../../src/index.js'
import type { RateLimitDecision, RateLimitRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'
import { AsyncMemoryStore } from './async-store.js'
import { type ModelAnswer, type ModelRule, ReferenceCounter, ReferenceLog } from './reference-model.js'

/**
 * The blocked-caller cache in front of a store that answers asynchronously (so the cache learns),
 * on a manual clock shared by the store and the cache, against the brute-force models: every
 * decision — from the store or from the cache — admits exactly when the model does, and a refusal
 * from the cache reports only what the model proves (0 left, the cost-1 wait counting down).
 */

type Rule = RateLimitRule & { name: string; window: number }
type Op = 'consume' | 'peek' | 'refund'

const RUNS = 200

interface Step {
  wait: number | 'retry' | 'retry-1'
  set: number
  cost: number
  identity: number
  op: Op
}

function steps(sets: number, maxCost: number, maxWait: number) {
  const step = fc.record<Step>({
    wait: fc.oneof(
      { arbitrary: fc.constant(0), weight: 5 },
      { arbitrary: fc.integer({ min: 1, max: 60 }), weight: 4 },
      { arbitrary: fc.integer({ min: 0, max: maxWait }), weight: 1 },
      { arbitrary: fc.constant<'retry'>('retry'), weight: 3 },
      { arbitrary: fc.constant<'retry-1'>('retry-1'), weight: 2 },
    ),
    set: fc.nat(sets - 1),
    // Mostly cost 1 (what the cache learns from), some larger costs (what it must not confuse).
    cost: fc.oneof(
      { arbitrary: fc.constant(1), weight: 8 },
      { arbitrary: fc.integer({ min: 1, max: maxCost }), weight: 2 },
    ),
    identity: fc.nat(1),
    op: fc.oneof(
      { arbitrary: fc.constant<Op>('consume'), weight: 8 },
      { arbitrary: fc.constant<Op>('peek'), weight: 3 },
      { arbitrary: fc.constant<Op>('refund'), weight: 1 },
    ),
  })
  return fc.array(step, { minLength: 1, maxLength: 80, size: 'max' })
}

interface Model {
  decide(now: number, rules: readonly ModelRule[], cost: number, record: boolean): ModelAnswer
  refund(now: number, rules: readonly ModelRule[], cost: number): void
}

type Check = (now: number, rules: readonly ModelRule[], step: Step, decision: RateLimitDecision) => void

const modelRules = (identity: string, rules: readonly Rule[]): ModelRule[] =>
  rules.map((r) => ({ key: `${identity}|${r.name}`, limit: r.limit, windowMs: r.window }))

let cachedAnswers = 0
let storeChecksSaved = 0

async function replay(sets: readonly Rule[][], run: readonly Step[], model: Model, check: Check) {
  const clock = manualClock(1_700_000_000_000)
  const store = new AsyncMemoryStore(clock)
  const limiter = createRateLimiter({ store, blockCache: { clock }, logger: false })
  let lastRetry = 0
  for (const step of run) {
    const retry = Number.isFinite(lastRetry) ? lastRetry : 0
    clock.advance(
      step.wait === 'retry' ? retry : step.wait === 'retry-1' ? Math.max(0, retry - 1) : step.wait,
    )
    const identity = `user:${step.identity}`
    const rules = sets[step.set]!
    const mrules = modelRules(identity, rules)
    if (step.op === 'refund') {
      await limiter.refund(identity, rules, { cost: step.cost })
      model.refund(clock(), mrules, step.cost)
      continue
    }
    const before = store.checks
    const decision = await limiter[step.op](identity, rules, { cost: step.cost })
    if (decision.reason === 'cached') {
      cachedAnswers++
      expect(store.checks).toBe(before)
      storeChecksSaved++
    }
    check(clock(), mrules, step, decision)
    lastRetry = decision.retryAfterMs
  }
  await limiter.close()
}

/** What every decision must satisfy, from the store or from the cache. */
function checkCached(
  expected: ModelAnswer,
  rules: readonly ModelRule[],
  decision: RateLimitDecision,
  waitHolds: (rule: ModelRule, i: number, retryAfterMs: number) => void,
): void {
  expect(decision.allowed).toBe(false)
  expect(decision.remaining).toBe(0)
  expect(decision.rules.length).toBeGreaterThan(0)
  for (const actual of decision.rules) {
    const i = rules.findIndex((r) => r.key.endsWith(`|${actual.rule.name}`))
    const want = expected.rules[i]!
    // The cache names only rules the model says are refused, with nothing left for any cost.
    expect(want.allowed).toBe(false)
    expect(rules[i]!.limit - want.used).toBeLessThan(1)
    expect(actual).toMatchObject({ allowed: false, remaining: 0 })
    waitHolds(rules[i]!, i, actual.retryAfterMs)
  }
}

afterAll(() => {
  // The properties above are not vacuous: the cache answered, and saved store calls, many times.
  expect(cachedAnswers).toBeGreaterThan(200)
  expect(storeChecksSaved).toBe(cachedAnswers)
})

describe('blocked-caller cache in front of the sliding log, against the reference model', () => {
  const log = (name: string, limit: number, window: number): Rule => ({
    name,
    limit,
    window,
    algorithm: 'sliding-log',
  })
  const A = log('A', 3, 1000)
  const B = log('B', 5, 2500)
  const C = log('C', 4, 700)
  const SETS = [[A], [B], [C], [A, B], [B, C], [A, B, C]]

  it('admits exactly as the model; a cached refusal reports 0 left and the exact cost-1 wait, counting down', async () => {
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 6, 3000), async (run) => {
        const model = new ReferenceLog()
        await replay(SETS, run, model, (now, rules, step, decision) => {
          const expected = model.decide(now, rules, step.cost, step.op === 'consume')
          expect(decision.allowed).toBe(expected.allowed)
          if (decision.reason !== 'cached') {
            const wait = Math.max(...expected.rules.map((r) => r.retryAfterMs))
            if (!expected.allowed) expect(decision.retryAfterMs).toBe(wait)
            return
          }
          checkCached(expected, rules, decision, (rule, i, retryAfterMs) => {
            // The wait for one unit is exact; the request's own cost may need longer, never less.
            const forOne = new ReferenceLog()
            for (const [key, list] of model.history) forOne.history.set(key, [...list])
            expect(retryAfterMs).toBe(forOne.decide(now, [rule], 1, false).rules[0]!.retryAfterMs)
            expect(retryAfterMs).toBeLessThanOrEqual(expected.rules[i]!.retryAfterMs)
          })
        })
      }),
      { numRuns: RUNS },
    )
  })
})

describe('blocked-caller cache in front of the sliding-window counter, against the weighted-formula model', () => {
  const counter = (name: string, limit: number, window: number): Rule => ({
    name,
    limit,
    window,
    algorithm: 'sliding-window',
  })
  const X = counter('X', 4, 1000)
  const Y = counter('Y', 7, 3000)
  const SETS = [[X], [Y], [X, Y]]

  it('admits exactly as the model; a cached refusal ends no later than one unit fits again', async () => {
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 8, 2500), async (run) => {
        const model = new ReferenceCounter()
        await replay(SETS, run, model, (now, rules, step, decision) => {
          const expected = model.decide(now, rules, step.cost, step.op === 'consume')
          expect(decision.allowed).toBe(expected.allowed)
          if (decision.reason !== 'cached') return
          checkCached(expected, rules, decision, (rule, _i, retryAfterMs) => {
            // Still refused for one unit a millisecond before the announced wait; one unit fits at it.
            expect(model.estimate(rule.key, rule.windowMs, now + retryAfterMs) + 1).toBeLessThanOrEqual(
              rule.limit,
            )
          })
        })
      }),
      { numRuns: RUNS },
    )
  })
})
