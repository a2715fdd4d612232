/**
 * List sizes as the resolver will see them: coerced variables, explicit null, schema defaults,
 * negative and non-finite values, lists of lists, and the weights of an abstract field's members.
 */
import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { analyzeCost } from '../../../src/graphql/cost/analyze.js'
import { CostAnalysisError } from '../../../src/graphql/cost/cost-errors.js'
import { costSchema } from './fixture.js'
import { hostileSchema, hostileServer } from './hostile-fixture.js'

const schema = hostileSchema()
const estimate = (query: string, variables?: Record<string, unknown>) =>
  analyzeCost(schema, parse(query), { variables })?.estimate
/** The error code of a refused analysis, or 'priced' when it was priced. */
const refusal = (query: string, variables?: Record<string, unknown>) => {
  try {
    analyzeCost(schema, parse(query), { variables })
    return 'priced'
  } catch (error) {
    if (!(error instanceof CostAnalysisError)) throw error
    return error.extensions.code
  }
}

describe('slicing arguments', () => {
  it('refuses a negative slicing value as an invalid slicing argument (slice(0, -1) returns nearly everything)', () => {
    expect(refusal('{ items(first: -1) { id } }')).toBe('INVALID_SLICING_ARGUMENTS')
    expect(refusal('query($n: Int) { items(last: $n) { id } }', { n: -5 })).toBe('INVALID_SLICING_ARGUMENTS')
    expect(refusal('{ items(first: 1) { children(first: -2) { id } } }')).toBe('INVALID_SLICING_ARGUMENTS')
    expect(refusal('{ items(first: 0) { id } }')).toBe('priced')
  })

  it('answers a negative slicing value with HTTP 400 before any resolver runs', async () => {
    const { post, calls } = hostileServer()
    const response = await post('{ items(first: 2) { children(first: -1) { children(first: -1) { id } } } }')
    expect(response.status).toBe(400)
    expect(response.body.errors[0].extensions.code).toBe('INVALID_SLICING_ARGUMENTS')
    expect(response.body.errors[0].message).toMatch(/Item.children.*first.*-1/)
    expect(calls.items).toBeUndefined()
  })

  it('treats an explicit null as absent, without the schema default (graphql-js passes null to the resolver)', () => {
    // requireOneSlicingArgument: null is not a slicing value, and the default does not apply.
    expect(refusal('{ paged(first: null) { id } }')).toBe('INVALID_SLICING_ARGUMENTS')
    expect(refusal('query($n: Int) { paged(first: $n) { id } }', { n: null })).toBe(
      'INVALID_SLICING_ARGUMENTS',
    )
    expect(refusal('query($n: Int = 3) { paged(first: $n) { id } }', { n: null })).toBe(
      'INVALID_SLICING_ARGUMENTS',
    )
    expect(estimate('{ paged(first: null, last: 4) { id } }')).toBe(4)
    // Without requireOneSlicingArgument: priced as a list without a slicing value (default size 10).
    expect(estimate('{ items(first: null) { id } }')).toBe(10)
  })

  it('lets a schema default stand in when no slicing argument is given', () => {
    expect(estimate('{ paged { id } }')).toBe(100)
    // A variable that is not given leaves the argument absent: the schema default applies.
    expect(estimate('query($n: Int) { paged(first: $n) { id } }')).toBe(100)
    expect(estimate('query($n: Int = 7) { paged(first: $n) { id } }')).toBe(7)
  })

  it('takes the largest value the resolver receives, defaults of the other slicing arguments included', () => {
    // The resolver gets { first: 100, last: 2 }: the spec counts the largest, 100.
    expect(estimate('{ items(last: 2) { id } }')).toBe(100)
    expect(estimate('{ paged(last: 2) { id } }')).toBe(100)
    expect(estimate('{ items(first: 3, last: 2) { id } }')).toBe(3)
    // requireOneSlicingArgument counts the arguments the operation gives, not the defaults.
    expect(refusal('{ paged(first: 3, last: 2) { id } }')).toBe('INVALID_SLICING_ARGUMENTS')
    expect(refusal('{ page { id } }')).toBe('INVALID_SLICING_ARGUMENTS')
  })
})

describe('variables, as graphql-js coerces them', () => {
  it('reads variables after coercion: no fractional list size, no refusal of what execution refuses', () => {
    const query = 'query($n: Int) { page(first: $n) { id } }'
    expect(estimate(query, { n: 4 })).toBe(4)
    // 2.5 and "1000" are not Ints: execution refuses them with a variable error, so there is
    // nothing to price (undefined), and nothing runs.
    expect(estimate(query, { n: 2.5 })).toBeUndefined()
    expect(estimate(query, { n: '1000' })).toBeUndefined()
    expect(
      estimate(query, { n: Number.POSITIVE_INFINITY /* what JSON.parse makes of 1e400 */ }),
    ).toBeUndefined()
  })

  it('reads input-object slicing values with their defaults filled in by coercion', () => {
    const fixture = costSchema()
    const query = 'query($f: TopicFilter) { topicsBy(filter: $f) { name } }'
    // topicsBy: 4 topics + the TopicFilter input object (1)
    expect(analyzeCost(fixture, parse(query), { variables: { f: { first: 4 } } })!.estimate).toBe(5)
    expect(analyzeCost(fixture, parse(query), { variables: { f: { first: 4.5 } } })).toBeUndefined()
  })

  it('answers variables that do not coerce with a GraphQL error, never HTTP 500, and runs nothing', async () => {
    const { post, postRaw, calls } = hostileServer({ maxCost: 1000 })
    const query = 'query($n: Int!) { page(first: $n) { children(first: $n) { id } } }'
    for (const n of [2.5, '1000', -0.5, [3], { n: 3 }, true]) {
      const response = await post(query, { n })
      expect(response.status).not.toBe(500)
      expect(response.body.errors.length).toBeGreaterThan(0)
    }
    const huge = await postRaw(`{"query":${JSON.stringify(query)},"variables":{"n":1e400}}`)
    expect(huge.status).not.toBe(500)
    expect(huge.body.errors.length).toBeGreaterThan(0)
    expect(calls.page).toBeUndefined()
  })
})

describe('non-finite estimates', () => {
  // Each level multiplies by 2^31 − 1: 34 levels overflow a double to Infinity.
  const overflow = (levels: number, top: number) => {
    let selection = 'id'
    for (let i = 0; i < levels; i++) selection = `children(first: 2147483647) { ${selection} }`
    return `{ items(first: ${top}) { ${selection} } }`
  }

  it('are charged the largest safe integer, always too expensive (0 × ∞ included)', () => {
    const infinite = analyzeCost(schema, parse(overflow(40, 1)))!
    expect(infinite.estimate).toBe(Number.POSITIVE_INFINITY)
    expect(infinite.cost).toBe(Number.MAX_SAFE_INTEGER)
    const zeroTimesInfinity = analyzeCost(schema, parse(overflow(40, 0)))!
    expect(zeroTimesInfinity.estimate).toBe(Number.POSITIVE_INFINITY)
    expect(zeroTimesInfinity.cost).toBe(Number.MAX_SAFE_INTEGER)
  })

  it('are refused with HTTP 400 QUERY_TOO_EXPENSIVE and a numeric cost, never HTTP 500', async () => {
    for (const budget of [{}, { maxCost: 1000 }]) {
      const { post, calls } = hostileServer(budget)
      const response = await post(overflow(40, 0))
      expect(response.body.extensions.rateLimit.cost).toBe(Number.MAX_SAFE_INTEGER)
      expect(response.status).toBe(400)
      expect(response.body.errors[0].extensions).toMatchObject({
        code: 'QUERY_TOO_EXPENSIVE',
        cost: Number.MAX_SAFE_INTEGER,
      })
      expect(response.body.errors[0].message).toMatch(/more than/)
      expect(calls.items).toBeUndefined()
    }
  })
})

describe('lists of lists', () => {
  it('count every dimension: [[Item]] of size n holds n × n items', () => {
    expect(estimate('{ grid { id } }')).toBe(300 * 300)
    expect(estimate('{ matrix(size: 3) { id children(first: 2) { id } } }')).toBe(3 * 3 * (1 + 2))
  })

  it('are measured after execution by the items actually returned', async () => {
    const { post } = hostileServer({ refund: 'report' })
    const response = await post('{ matrix(size: 3) { id } }')
    expect(response.body.extensions.rateLimit).toMatchObject({ cost: 9, actualCost: 9 })
  })
})

describe('interface and union fields', () => {
  it('count the most expensive possible type, its own @cost weight included', () => {
    // Doc weighs 50, Person 1: the union field counts 50 per item whatever is selected.
    expect(estimate('{ search(first: 2, term: "x") { ... on Person { name } } }')).toBe(2 * 50)
    // Person with 10 friends: 1 + 10 = 11, still below Doc's 50.
    expect(
      estimate('{ search(first: 2, term: "x") { ... on Person { friends(first: 10) { name } } } }'),
    ).toBe(2 * 50)
    expect(
      estimate('{ search(first: 2, term: "x") { ... on Person { friends(first: 60) { name } } } }'),
    ).toBe(2 * 61)
    // Interface: Dear weighs 9.
    expect(estimate('{ entity { id } }')).toBe(9)
  })
})
