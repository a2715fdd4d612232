import { describe, expect, it } from 'vitest'
import { validatePlan } from '../../src/identity/plans.js'
import {
  definePlans,
  type Plan,
  RateLimitConfigError,
  type RateLimitRule,
  rulesForCaller,
} from '../../src/index.js'
import { resolveRules } from '../../src/rules.js'

const rules: RateLimitRule[] = [
  { name: 'Query.search', limit: 10, window: '1m' },
  { name: 'Mutation.upload', limit: 3, window: '1h' },
]
const asKey = (plan?: Plan, overrides?: Record<string, { limit: number; window?: string }>) =>
  ({ id: 'key:x', kind: 'api-key', ...(plan ? { plan } : {}), ...(overrides ? { overrides } : {}) }) as const

describe('plans', () => {
  it('scale every rule, rounding down and never below 1 nor above the largest limit', () => {
    const half = rulesForCaller(rules, asKey({ name: 'half', scale: 0.5 }))!
    expect(half.map((r) => r.limit)).toEqual([5, 1])
    const huge = rulesForCaller(
      [{ name: 'x', limit: 10_000, window: '1s' }],
      asKey({ name: 'huge', scale: 1_000_000 }),
    )!
    expect(huge[0]!.limit).toBe(1_000_000_000)
    expect(() => resolveRules(huge)).not.toThrow()
  })

  it('replace the limit and window of named rules, and per-key overrides win over the plan', () => {
    const pro: Plan = { name: 'pro', scale: 2, limits: { 'Mutation.upload': { limit: 50, window: '1d' } } }
    expect(rulesForCaller(rules, asKey(pro))).toMatchObject([
      { name: 'Query.search', limit: 20, window: '1m' },
      { name: 'Mutation.upload', limit: 50, window: '1d' },
    ])
    expect(rulesForCaller(rules, asKey(pro, { 'Query.search': { limit: 1 } }))).toMatchObject([
      { name: 'Query.search', limit: 1, window: '1m' },
      { name: 'Mutation.upload', limit: 50 },
    ])
  })

  it('apply to a rule named after an Object.prototype property only what is written for it', () => {
    const names = ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__']
    const named = names.map((name) => ({ name, limit: 5, window: '1m' }))
    const pro: Plan = { name: 'pro', scale: 2, limits: { 'Query.search': { limit: 100 } } }
    expect(rulesForCaller(named, asKey(pro))!.map((r) => r.limit)).toEqual([10, 10, 10, 10, 10])
    expect(rulesForCaller(named, asKey(undefined, { 'Query.search': { limit: 1 } }))).toEqual(named)
    // Written as its own property (JSON.parse makes `__proto__` one), an override applies.
    const written = JSON.parse('{"__proto__": {"limit": 3}, "toString": {"limit": 4}}')
    const custom = rulesForCaller(named, asKey({ name: 'custom', limits: written }))!
    expect(custom.map((r) => r.limit)).toEqual([4, 5, 5, 5, 3])
  })

  it('are unlimited only when they say unlimited: true', () => {
    expect(rulesForCaller(rules, asKey({ name: 'internal', unlimited: true }))).toBeNull()
    expect(rulesForCaller(rules, asKey({ name: 'normal', unlimited: false }))).toEqual(rules)
    expect(() => validatePlan({ name: 'sneaky', scale: Number.POSITIVE_INFINITY })).toThrow(/unlimited: true/)
  })

  it('are validated once, with errors naming the plan and the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ name: '' }, /`plan`\.name/],
      [{ name: 'p', scale: 0 }, /`scale` of plan "p"/],
      [{ name: 'p', scale: Number.NaN }, /`scale` of plan "p"/],
      [{ name: 'p', limits: { 'Query.search': { limit: 1.5 } } }, /plan "p".*Query\.search.*limit/],
      [{ name: 'p', limits: { 'Query.search': { limit: 5, window: 'soon' } } }, /Query\.search.*window/],
      [{ name: 'p', unlimited: 1 }, /`unlimited` of plan "p"/],
    ]
    for (const [plan, message] of cases) {
      expect(() => validatePlan(plan), String(message)).toThrow(RateLimitConfigError)
      expect(() => validatePlan(plan)).toThrow(message)
    }
    expect(() => definePlans({ pro: { name: 'Pro' } })).toThrow(/`plans\.pro\.name`.*"pro"/)
  })
})
