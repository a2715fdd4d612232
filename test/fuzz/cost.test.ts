/**
 * Property tests of the cost analysis against hostile operations and variables (generators in
 * cost-arbitraries.ts), per request:
 * - bounded work: the selection sets the estimate and the actual-cost pass read stay within a
 *   bound polynomial in the document (selection sets × schema), counted, never timed — an
 *   exponential walk of the doubling fragments (up to 2^28 spreads) would blow it;
 * - bounded retained memory: the plugin's analysis cache stays within its entries and bytes;
 * - never an HTTP 500 through `yoga.fetch`, refund pass included.
 */
import fc from 'fast-check'
import {
  type DocumentNode,
  execute,
  type GraphQLSchema,
  isObjectType,
  Kind,
  parse,
  validate,
  visit,
} from 'graphql'
import { describe, expect, it } from 'vitest'
import { actualCost } from '../../src/graphql/cost/actual-cost.js'
import { createCostAnalyzer } from '../../src/graphql/cost/analyze.js'
import { CostAnalysisError } from '../../src/graphql/cost/cost-errors.js'
import { countSelectionReads, hostileSchema, hostileServer } from '../graphql/cost/hostile-fixture.js'
import { HUGE_NUMBER, hostileDocument, hostileVariables, requestBody } from './cost-arbitraries.js'

const schema = hostileSchema()

/** Types, fields, arguments, enum values, input fields and directives: what introspection can list. */
function schemaElements(s: GraphQLSchema): number {
  let count = s.getDirectives().reduce((n, d) => n + 1 + d.args.length, 0)
  for (const type of Object.values(s.getTypeMap())) {
    count += 1
    if ('getFields' in type) {
      for (const f of Object.values(type.getFields())) count += 1 + ('args' in f ? f.args.length : 0)
    }
    if ('getValues' in type) count += type.getValues().length
  }
  return count
}

const OBJECT_TYPES = Object.values(schema.getTypeMap()).filter(isObjectType).length
const ELEMENTS = schemaElements(schema)

function shape(document: DocumentNode) {
  let sets = 0
  let sized = 0
  visit(document, {
    [Kind.SELECTION_SET]: () => void sets++,
    [Kind.FIELD]: (node) => void (node.name.value === 'connection' && sized++),
  })
  return { sets, sized }
}

/** Objects in a response (each can be walked once per selection set and type). */
function objects(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + objects(v), 0)
  if (value === null || typeof value !== 'object') return 0
  return 1 + Object.values(value).reduce((n: number, v) => n + objects(v), 0)
}

/** JSON.parse of the body: the variables as the server sees them (1e400 is Infinity). */
const asServerSees = (variables: Record<string, unknown>) =>
  (JSON.parse(requestBody('', variables)) as { variables: Record<string, unknown> }).variables

describe('the cost analysis on hostile operations and variables', () => {
  it('reads each selection set a bounded number of times, before and after execution', () => {
    fc.assert(
      fc.property(hostileDocument, hostileVariables, (query, raw) => {
        const document = parse(query)
        if (validate(schema, document).length > 0) return
        const variables = asServerSees(raw)
        const { sets, sized } = shape(document)
        const estimateBound = sets * (OBJECT_TYPES * (1 + sized) + ELEMENTS)
        const counter = countSelectionReads(document)
        let cost: number | undefined
        try {
          cost = createCostAnalyzer({ maxAnalysisNodes: 10_000_000 })(schema, document, variables)?.cost
        } catch (error) {
          if (!(error instanceof CostAnalysisError)) throw error
          expect(error.code).toBe('INVALID_SLICING_ARGUMENTS')
        }
        expect(counter.reads()).toBeLessThanOrEqual(estimateBound)
        if (cost === undefined || cost > 2_000) return
        const result = execute({ schema, document, variableValues: variables }) as {
          data?: Record<string, unknown> | null
        }
        counter.reset()
        actualCost(schema, document, result.data, { variables, maxAnalysisNodes: 10_000_000 })
        expect(counter.reads()).toBeLessThanOrEqual(
          sets * OBJECT_TYPES * (2 + objects(result.data)) + estimateBound,
        )
      }),
      { numRuns: 300 },
    )
  })

  it('never answers HTTP 500 through yoga, and keeps its cache within bounds', async () => {
    const { postRaw, plugin } = hostileServer({
      maxCost: 2_000,
      refund: true,
      analysisCacheEntries: 64,
      analysisCacheBytes: 16_384,
      maxAnalysisNodes: 50_000,
    })
    await fc.assert(
      fc.asyncProperty(hostileDocument, hostileVariables, async (query, variables) => {
        const response = await postRaw(requestBody(query, variables))
        expect(response.status).not.toBe(500)
        if (response.status === 400 && response.body.errors?.[0]?.extensions?.code === 'QUERY_TOO_COMPLEX') {
          expect(response.body.data).toBeUndefined()
        }
        const stats = plugin.cacheStats()
        expect(stats.entries).toBeLessThanOrEqual(64)
        expect(stats.bytes).toBeLessThanOrEqual(16_384)
      }),
      { numRuns: 200 },
    )
  })

  it('marks 1e400 in a request body as the non-finite number the server parses', () => {
    expect(asServerSees({ n: HUGE_NUMBER }).n).toBe(Number.POSITIVE_INFINITY)
  })
})
