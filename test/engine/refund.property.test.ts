/**
 * Random sequences of consume, peek and refund on the memory store (manual clock), held decision
 * by decision to the brute-force models of `reference-model.ts` extended with refunds.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createRateLimiter, MemoryStore } from '../../src/index.js'
import type { RateLimitDecision, RateLimitRule } from '../../src/types.js'
import { manualClock } from '../helpers.js'
import { type ModelRule, ReferenceCounter, ReferenceLog } from './reference-model.js'

type Rule = RateLimitRule & { name: string; window: number }
type Op = 'consume' | 'peek' | 'refund'

interface Step {
  wait: number | 'retry'
  set: number
  cost: number
  identity: number
  op: Op
}

const RUNS = 200

function steps(sets: number, maxCost: number, maxWait: number) {
  return fc.array(
    fc.record<Step>({
      wait: fc.oneof(
        { arbitrary: fc.constant(0), weight: 2 },
        { arbitrary: fc.integer({ min: 1, max: 80 }), weight: 4 },
        { arbitrary: fc.integer({ min: 0, max: maxWait }), weight: 1 },
        { arbitrary: fc.constant<'retry'>('retry'), weight: 2 },
      ),
      set: fc.nat(sets - 1),
      cost: fc.integer({ min: 1, max: maxCost }),
      identity: fc.nat(1),
      op: fc.oneof(
        { arbitrary: fc.constant<Op>('consume'), weight: 5 },
        { arbitrary: fc.constant<Op>('peek'), weight: 1 },
        { arbitrary: fc.constant<Op>('refund'), weight: 3 },
      ),
    }),
    { minLength: 1, maxLength: 80 },
  )
}

async function replay(
  sets: readonly Rule[][],
  run: readonly Step[],
  check: (now: number, rules: ModelRule[], source: readonly Rule[], step: Step, d: RateLimitDecision) => void,
): Promise<void> {
  const clock = manualClock(1_700_000_000_000)
  const limiter = createRateLimiter({ store: new MemoryStore({ clock, sweepIntervalMs: 0 }) })
  let lastRetry = 0
  for (const step of run) {
    clock.advance(step.wait === 'retry' ? (Number.isFinite(lastRetry) ? lastRetry : 0) : step.wait)
    const identity = `user:${step.identity}`
    const rules = sets[step.set]!
    const decision = await limiter[step.op](identity, rules, { cost: step.cost })
    const modelRules = rules.map((r) => ({
      key: `${identity}|${r.name}`,
      limit: r.limit,
      windowMs: r.window,
    }))
    check(clock(), modelRules, rules, step, decision)
    lastRetry = decision.retryAfterMs
  }
  await limiter.close()
}

describe('refunds against the brute-force reference models', () => {
  it('sliding log: every decision, usage, wait and reset matches the model with refunds off the newest entries', async () => {
    const log = (name: string, limit: number, window: number): Rule => ({
      name,
      limit,
      window,
      algorithm: 'sliding-log',
    })
    const A = log('A', 4, 1000)
    const B = log('B', 6, 2500)
    const SETS = [[A], [B], [A, B]]
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 5, 3000), async (run) => {
        const model = new ReferenceLog()
        await replay(SETS, run, (now, rules, source, step, decision) => {
          if (step.op === 'refund') {
            model.refund(now, rules, step.cost)
            expect(decision).toMatchObject({ allowed: true, retryAfterMs: 0, cost: step.cost })
            decision.rules.forEach((actual, i) => {
              const rule = rules[i]!
              const live = (model.history.get(rule.key) ?? []).filter((e) => e.at > now - rule.windowMs)
              const used = live.reduce((sum, e) => sum + e.cost, 0)
              expect(actual.remaining).toBe(rule.limit - used)
              expect(actual.resetMs).toBe(used > 0 ? live[live.length - 1]!.at + rule.windowMs - now : 0)
            })
            return
          }
          const expected = model.decide(now, rules, step.cost, step.op === 'consume')
          expect(decision.allowed).toBe(expected.allowed)
          if (source.some((r) => step.cost > r.limit)) return
          decision.rules.forEach((actual, i) => {
            const want = expected.rules[i]!
            expect(actual.retryAfterMs).toBe(want.retryAfterMs)
            expect(actual.remaining).toBe(rules[i]!.limit - want.used - (expected.allowed ? step.cost : 0))
          })
        })
      }),
      { numRuns: RUNS },
    )
  })

  it('sliding-window counter: every decision matches the model with refunds from the current window, and the bounds hold', async () => {
    const counter = (name: string, limit: number, window: number): Rule => ({
      name,
      limit,
      window,
      algorithm: 'sliding-window',
    })
    const X = counter('X', 5, 1000)
    const Y = counter('Y', 8, 3000)
    const SETS = [[X], [Y], [X, Y]]
    await fc.assert(
      fc.asyncProperty(steps(SETS.length, 6, 2500), async (run) => {
        const model = new ReferenceCounter()
        await replay(SETS, run, (now, rules, source, step, decision) => {
          if (step.op === 'refund') {
            model.refund(now, rules, step.cost)
            decision.rules.forEach((actual, i) => {
              const rule = rules[i]!
              const used = model.estimate(rule.key, rule.windowMs, now)
              expect(actual.remaining).toBe(Math.floor(rule.limit - used))
            })
            return
          }
          const expected = model.decide(now, rules, step.cost, step.op === 'consume')
          expect(decision.allowed).toBe(expected.allowed)
          if (source.some((r) => step.cost > r.limit)) return
          decision.rules.forEach((actual, i) => {
            const used = expected.rules[i]!.used + (expected.allowed ? step.cost : 0)
            expect(actual.remaining).toBe(Math.max(0, Math.floor(rules[i]!.limit - used)))
          })
          if (expected.allowed && step.op === 'consume') {
            for (const rule of rules) {
              const index = Math.floor(now / rule.windowMs)
              // Net of refunds: never more than the limit in one fixed window, 2·limit − 1 in any interval.
              expect(model.admittedInWindow(rule.key, index)).toBeLessThanOrEqual(rule.limit)
              expect(model.admittedIn(rule.key, rule.windowMs, now)).toBeLessThanOrEqual(2 * rule.limit - 1)
            }
          }
        })
      }),
      { numRuns: RUNS },
    )
  })
})
