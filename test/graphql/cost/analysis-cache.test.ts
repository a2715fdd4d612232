/**
 * The analysis cache retains a bounded amount of memory whatever clients send: it analyses only
 * coerced variables, keys results by a digest of the values that change the cost, stores nothing
 * for an operation name the document does not have, and is bounded by entries and bytes.
 */
import { fork } from 'node:child_process'
import { parse } from 'graphql'
import { describe, expect, it } from 'vitest'
import { createCostAnalyzer } from '../../../src/graphql/cost/analyze.js'
import { costSchema } from './fixture.js'
import { hostileServer } from './hostile-fixture.js'

const schema = costSchema()
const SLICED = parse('query($n: Int) { viewer { repositories(first: $n) { nodes { id } } } }')

describe('the analysis cache', () => {
  it('does not analyse, nor remember, variables that do not coerce to their declared type', () => {
    const analyze = createCostAnalyzer()
    const junk = 'x'.repeat(100_000)
    for (const n of [junk, 2.5, '1000', Number.POSITIVE_INFINITY, [1], { a: 1 }, Number.NaN]) {
      expect(analyze(schema, SLICED, { n })).toBeUndefined()
    }
    expect(analyze.cacheStats()).toMatchObject({ entries: 0, bytes: 0 })
    expect(analyze(schema, SLICED, { n: 3 })!.cost).toBe(1 + 1 + 3 * 2)
    expect(analyze.cacheStats().entries).toBe(1)
  })

  it('stores nothing for operation names the document does not have', () => {
    const analyze = createCostAnalyzer()
    const document = parse('query A { viewer { id } } query B { trending { id } }')
    for (let i = 0; i < 2_000; i++)
      expect(analyze(schema, document, null, `${i}${'n'.repeat(1000)}`)).toBeUndefined()
    expect(analyze.cacheStats()).toMatchObject({ entries: 0, bytes: 0 })
    expect(analyze(schema, document, null, 'B')!.cost).toBe(50)
  })

  it('keys results by a short digest of the values that change the cost, however large they are', () => {
    const analyze = createCostAnalyzer()
    const document = parse('mutation($i: AddStarInput!) { addStar(input: $i) { id } }')
    // `note` has @cost 4: the input is costed, so its value is part of the key. 100 kB of it.
    const big = { repositoryId: '1', note: 'x'.repeat(100_000) }
    expect(analyze(schema, document, { i: big })!.cost).toBe(10 + 2 + 1 + 4)
    expect(analyze(schema, document, { i: { repositoryId: '1' } })!.cost).toBe(10 + 2 + 1)
    expect(analyze(schema, document, { i: big })!.cost).toBe(10 + 2 + 1 + 4)
    const { entries, bytes } = analyze.cacheStats()
    expect(entries).toBe(2)
    expect(bytes).toBeLessThan(1_000)
  })

  it('is bounded by entries and by bytes, evicting the least recently used', () => {
    const analyze = createCostAnalyzer({ analysisCacheEntries: 50, analysisCacheBytes: 4_096 })
    for (let n = 0; n < 1_000; n++) analyze(schema, SLICED, { n })
    let stats = analyze.cacheStats()
    expect(stats.entries).toBeLessThanOrEqual(50)
    expect(stats.bytes).toBeLessThanOrEqual(4_096)
    expect(stats).toMatchObject({ maxEntries: 50, maxBytes: 4_096 })
    // Distinct documents are distinct entries, bounded the same way.
    for (let i = 0; i < 1_000; i++) analyze(schema, parse(`{ a${i}: viewer { id } }`))
    stats = analyze.cacheStats()
    expect(stats.entries).toBeLessThanOrEqual(50)
    expect(stats.bytes).toBeLessThanOrEqual(4_096)
  })

  it('validates its bounds when the analyzer is built', () => {
    expect(() => createCostAnalyzer({ analysisCacheEntries: -1 })).toThrow(/`analysisCacheEntries`/)
    expect(() => createCostAnalyzer({ analysisCacheBytes: 0.5 })).toThrow(/`analysisCacheBytes`/)
    const off = createCostAnalyzer({ analysisCacheEntries: 0 })
    expect(off(schema, SLICED, { n: 1 })!.cost).toBe(4)
    expect(off.cacheStats().entries).toBe(0)
  })
})

describe('useCostBudget under a stream of junk requests', () => {
  it('keeps its cache within bounds while refusing junk variables and unknown operation names', async () => {
    const { post, plugin, calls } = hostileServer()
    const junk = 'j'.repeat(200_000)
    for (let i = 0; i < 20; i++) {
      const response = await post('query($n: Int!) { page(first: $n) { id } }', { n: `${junk}${i}` })
      expect(response.status).toBeLessThan(500)
      expect(response.body.errors).toBeDefined()
    }
    for (let i = 0; i < 200; i++) {
      const response = await post('query A { people { name } }', {}, `${i}-${'o'.repeat(10_000)}`)
      expect(response.status).toBeLessThan(500)
    }
    expect(calls.page).toBeUndefined()
    expect(calls.people).toBeUndefined()
    expect(plugin.cacheStats()).toMatchObject({ entries: 0, bytes: 0 })
  })

  it('retains a bounded heap after 600 junk requests (a forked Node with --expose-gc)', async () => {
    const child = fork(new URL('./heap-worker.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx', '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    const result = await new Promise<{ retainedMb: number; cache: { entries: number; bytes: number } }>(
      (resolve, reject) => {
        child.once('message', (message) => resolve(message as never))
        child.once('error', reject)
        child.once('exit', (code) => reject(new Error(`heap worker exited with ${code}`)))
      },
    )
    child.kill()
    // 100 requests carried 1 MB each and 500 carried a 10 kB operation name: ~105 MB sent.
    expect(result.retainedMb).toBeLessThan(20)
    expect(result.cache.bytes).toBeLessThanOrEqual(1024 * 1024)
  }, 60_000)
})
