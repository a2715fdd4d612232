/**
 * Run by analysis-cache.test.ts in its own Node with `--expose-gc`: sends junk requests to
 * graphql-yoga with `useCostBudget` and reports the heap they left behind (after collection) and
 * the analysis cache's own accounting.
 */
import { hostileServer } from './hostile-fixture.js'

const MB = 1024 * 1024
const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with --expose-gc')

function heapUsed(): number {
  gc!()
  gc!()
  return process.memoryUsage().heapUsed
}

const { post, plugin } = hostileServer({ limit: 1_000_000_000 })
const slicing = 'query($n: Int!) { page(first: $n) { id } }'
const costed = 'query($s: String) { annotate(note: $s) }'
// Warm up every path once, so that compiled code and first-use caches are in the baseline.
await post(slicing, { n: 1 })
await post(costed, { s: 'x' })
await post('query A { people { name } }', {}, 'B')
const before = heapUsed()
const junk = 'j'.repeat(MB)
for (let i = 0; i < 50; i++) await post(slicing, { n: `${junk}${i}` }) // refused by coercion
for (let i = 0; i < 50; i++) await post(costed, { s: `${junk}${i}` }) // costed: keyed by a digest
for (let i = 0; i < 500; i++) await post('query A { people { name } }', {}, `${i}${'o'.repeat(10_000)}`)
const retainedMb = (heapUsed() - before) / MB
process.send!({ retainedMb, cache: plugin.cacheStats() })
