/**
 * Bounded work for any document: a fragment spread many times is walked once per (selection set,
 * type, list size), one analysis visits at most `maxAnalysisNodes` nodes, and introspection is
 * priced by what it selects. Work is measured by counting reads of the document's selection sets,
 * never by wall time.
 */
import { makeExecutableSchema } from '@graphql-tools/schema'
import { getIntrospectionQuery, parse } from 'graphql'
import { createYoga } from 'graphql-yoga'
import { describe, expect, it } from 'vitest'
import { actualCost } from '../../../src/graphql/cost/actual-cost.js'
import { analyzeCost, createCostAnalyzer } from '../../../src/graphql/cost/analyze.js'
import { useCostBudget } from '../../../src/graphql/cost/budget-plugin.js'
import { CostAnalysisError } from '../../../src/graphql/cost/cost-errors.js'
import { costTypeDefs } from '../../../src/graphql/cost/directives.js'
import { createRateLimiter, MemoryStore } from '../../../src/index.js'
import { costSchema } from './fixture.js'
import { countSelectionReads, doublingFragments, hostileSchema, hostileServer } from './hostile-fixture.js'

const schema = costSchema()

describe('a document of fragments that each spread the previous one twice', () => {
  it('is estimated by walking each fragment once per type, also inside a sized connection', () => {
    // The connection's selection set carries the list size of `nodes`: the case that skipped the memo.
    const document = parse(
      `{ viewer { repositories(first: 3) { ...F20 } } }${doublingFragments(20, 'RepositoryConnection', 'nodes { id }')}`,
    )
    const counter = countSelectionReads(document)
    const analysis = analyzeCost(schema, document)!
    expect(counter.reads()).toBeLessThan(200)
    // Each of the 2^20 spreads counts (the estimate is an upper bound): 2^20 × 3 repositories × 2.
    expect(analysis.estimate).toBe(1 + 1 + 2 ** 20 * 3 * 2)
  })

  it('is measured after execution by walking each fragment once per response object', () => {
    const document = parse(`{ viewer { ...F20 } }${doublingFragments(20, 'User', 'login')}`)
    const counter = countSelectionReads(document)
    expect(actualCost(schema, document, { viewer: { login: 'x' } })).toBe(1)
    expect(counter.reads()).toBeLessThan(200)
  })

  it('counts the root fields of a mutation without walking every spread', () => {
    const document = parse(
      `mutation { ...F20 }${doublingFragments(20, 'Mutation', 'addStar(input: { repositoryId: "1" }) { id }')}`,
    )
    const counter = countSelectionReads(document)
    const analysis = analyzeCost(schema, document, { mutationCost: 1 })!
    expect(counter.reads()).toBeLessThan(200)
    // 2^20 spreads of one root field, each 1 (mutationCost) + 2 (Repository) + 1 (input object).
    expect(analysis.estimate).toBe(2 ** 20 * 4)
  })

  it('is answered quickly through yoga with refund: true, its actual cost measured', async () => {
    const { post, calls, reads } = hostileServer({ refund: 'report', limit: 1_000_000_000 })
    const query = `{ people { ...F24 } }${doublingFragments(24, 'Person', 'friends(first: 1) { name }')}`
    const response = await post(query)
    expect(response.status).toBe(200)
    expect(calls.people).toBe(1)
    // Parsing, validation, estimate, execution and actual cost together: a few reads per fragment.
    expect(reads()).toBeLessThan(2_000)
    // 2^24 spreads of friends(first: 1): estimate = actual (the resolver returned 1 friend).
    expect(response.body.extensions.rateLimit).toMatchObject({
      cost: 10 * (1 + 2 ** 24 * 1),
      actualCost: 1 + 2 ** 24,
    })
  })
})

describe('the cap on the work of one analysis (maxAnalysisNodes)', () => {
  const wide = `{ ${Array.from({ length: 300 }, (_, i) => `a${i}: viewer { login }`).join(' ')} }`

  it('refuses an operation whose analysis would visit more nodes, with QUERY_TOO_COMPLEX', () => {
    const analyze = createCostAnalyzer({ maxAnalysisNodes: 500 })
    let error: unknown
    try {
      analyze(schema, parse(wide))
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(CostAnalysisError)
    expect((error as CostAnalysisError).extensions).toMatchObject({
      code: 'QUERY_TOO_COMPLEX',
      http: { status: 400 },
    })
    expect((error as Error).message).toMatch(/maxAnalysisNodes/)
    expect(createCostAnalyzer({ maxAnalysisNodes: 5000 })(schema, parse(wide))!.cost).toBe(300)
  })

  it('answers HTTP 400 QUERY_TOO_COMPLEX through yoga, and no resolver runs', async () => {
    const { post, calls } = hostileServer({ maxAnalysisNodes: 100 })
    const response = await post(
      `{ ${Array.from({ length: 200 }, (_, i) => `p${i}: people { name }`).join(' ')} }`,
    )
    expect(response.status).toBe(400)
    expect(response.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX')
    expect(calls.people).toBeUndefined()
  })

  it('is validated when the analyzer is built, naming the option', () => {
    expect(() => createCostAnalyzer({ maxAnalysisNodes: 0 })).toThrow(/`maxAnalysisNodes`/)
    expect(() => createCostAnalyzer({ maxAnalysisNodes: 1.5 })).toThrow(/`maxAnalysisNodes`/)
  })
})

describe('introspection', () => {
  const hostile = hostileSchema()
  const typeCount = Object.keys(hostile.getTypeMap()).length

  it('is priced by what it selects: one point per object of the response', () => {
    // __schema 1 + one __Type per type of the schema.
    expect(analyzeCost(hostile, parse('{ __schema { types { name } } }'))!.estimate).toBe(1 + typeCount)
    // __type: 1 + its fields (Person has 2).
    const person = analyzeCost(hostile, parse('{ __type(name: "Person") { fields { name } } }'))!
    expect(person.estimate).toBe(1 + 2)
    expect(analyzeCost(hostile, parse('{ __type(name: "Nope") { fields { name } } }'))!.estimate).toBe(0)
    // introspectionCost is still added per introspection root field.
    expect(
      analyzeCost(hostile, parse('{ __type(name: "Person") { name } }'), { introspectionCost: 5 })!.estimate,
    ).toBe(5 + 1)
  })

  it('prices a full introspection query as the number of objects it returns', () => {
    const analysis = analyzeCost(hostile, parse(getIntrospectionQuery()))!
    expect(analysis.estimate).toBeGreaterThan(typeCount * 2)
    expect(analysis.estimate).toBeLessThan(5_000)
  })

  it('makes hundreds of aliased __schema selections too expensive for a budget, and runs none of them', async () => {
    const { post } = hostileServer({ maxCost: 10_000 })
    const aliases = (n: number) =>
      `{ ${Array.from({ length: n }, (_, i) => `s${i}: __schema { types { fields { name } } }`).join(' ')} }`
    const response = await post(aliases(500))
    expect(response.status).toBe(400)
    expect(response.body.errors[0].extensions.code).toBe('QUERY_TOO_EXPENSIVE')
    expect(response.body.errors[0].extensions.cost).toBeGreaterThan(500 * typeCount)
    expect(response.body.data).toBeUndefined()
    // Four times as many: refused before pricing ends, past the default maxAnalysisNodes.
    const more = await post(aliases(2000))
    expect(more.status).toBe(400)
    expect(more.body.errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX')
  })

  it('walks a selection spread through one fragment once per schema element', () => {
    const document = parse(
      `{ ${Array.from({ length: 500 }, (_, i) => `s${i}: __schema { ...S }`).join(' ')} }
       fragment S on __Schema { types { fields { name type { name ofType { name } } } } }`,
    )
    const counter = countSelectionReads(document)
    const analysis = analyzeCost(hostile, document)!
    const one = analyzeCost(
      hostile,
      parse('{ __schema { types { fields { name type { name ofType { name } } } } } }'),
    )!
    expect(analysis.estimate).toBe(500 * one.estimate)
    expect(counter.reads()).toBeLessThan(2_000)
  })
})

describe('a variable nested too deeply to coerce', () => {
  let runs = 0
  const deepSchema = makeExecutableSchema({
    typeDefs: [
      costTypeDefs,
      /* GraphQL */ `
        input Tree { child: Tree, label: String }
        type Item { id: ID }
        type Query { items(first: Int!, tree: Tree): [Item!]! @listSize(slicingArguments: ["first"]) }
      `,
    ],
    resolvers: {
      Query: {
        items: (_: unknown, { first }: { first: number }) => {
          runs++
          return Array.from({ length: first }, (_, i) => ({ id: i }))
        },
      },
    },
  })
  /** `{ child: { child: … } }`, built without recursion. */
  const tree = (depth: number) => {
    let value: Record<string, unknown> = { label: 'leaf' }
    for (let i = 0; i < depth; i++) value = { child: value }
    return value
  }
  const query = 'query ($tree: Tree) { items(first: 500, tree: $tree) { id } }'

  it('refuses the operation as QUERY_TOO_COMPLEX instead of leaving it unpriced', () => {
    let error: unknown
    try {
      createCostAnalyzer()(deepSchema, parse(query), { tree: tree(200_000) })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(CostAnalysisError)
    expect((error as CostAnalysisError).extensions).toMatchObject({ code: 'QUERY_TOO_COMPLEX' })
    expect((error as Error).message).toMatch(/nested too deeply/)
    // A tree that coerces is priced as usual: 500 items plus the input objects given.
    expect(createCostAnalyzer()(deepSchema, parse(query), { tree: tree(3) })!.cost).toBe(500 + 4)
  })

  it('answers HTTP 400 QUERY_TOO_COMPLEX through yoga, consumes nothing and runs no resolver', async () => {
    const limiter = createRateLimiter({ store: new MemoryStore(), logger: false })
    const yoga = createYoga({
      schema: deepSchema,
      logging: false,
      plugins: [useCostBudget({ limiter, limit: 1_000, window: '1h', refund: true })],
      context: () => ({ userId: 'mallory' }),
    })
    const response = await yoga.fetch('http://localhost/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      // Written by hand: JSON.stringify itself overflows on such a value (JSON.parse does not).
      body: `{"query":${JSON.stringify(query)},"variables":{"tree":${'{"child":'.repeat(200_000)}{}${'}'.repeat(200_000)}}}`,
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> }
    expect(body.errors[0]!.extensions.code).toBe('QUERY_TOO_COMPLEX')
    expect(runs).toBe(0)
    const rule = { name: 'GraphQL.cost', limit: 1_000, window: '1h' }
    const untouched = await limiter.peek('user:nobody', rule)
    expect(await limiter.peek('user:mallory', rule)).toMatchObject({ remaining: untouched.remaining })
  })
})
