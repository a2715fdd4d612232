import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { OldestFirst } from '../src/oldest-first.js'

type Step = { op: 'set' | 'touch' | 'delete'; key: number } | { op: 'evict' }

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('set' as const, 'touch' as const, 'delete' as const), key: fc.nat(20) }),
  fc.constant({ op: 'evict' as const }),
)

describe('OldestFirst', () => {
  it('evicts in the same order as a fresh `keys().next()` would, whatever the map went through', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 300 }), (steps) => {
        const map = new Map<number, number>()
        const oldest = new OldestFirst(map)
        const model: number[] = [] // keys, oldest first
        for (const s of steps) {
          if (s.op === 'evict') {
            expect(oldest.evict()).toBe(model.shift())
          } else if (s.op === 'delete') {
            map.delete(s.key)
            if (model.includes(s.key)) model.splice(model.indexOf(s.key), 1)
          } else if (s.op === 'touch' && map.has(s.key)) {
            // An LRU's move to the back.
            map.delete(s.key)
            map.set(s.key, 0)
            model.splice(model.indexOf(s.key), 1)
            model.push(s.key)
          } else if (s.op === 'set' && !map.has(s.key)) {
            map.set(s.key, 0)
            model.push(s.key)
          }
          expect([...map.keys()]).toEqual(model)
        }
      }),
      { numRuns: 500 },
    )
  })

  it('starts again after the map was emptied and refilled', () => {
    const map = new Map([['a', 1]])
    const oldest = new OldestFirst(map)
    expect(oldest.evict()).toBe('a')
    expect(oldest.evict()).toBeUndefined()
    map.set('b', 2)
    map.set('c', 3)
    expect(oldest.evict()).toBe('b')
    expect([...map.keys()]).toEqual(['c'])
  })
})

describe('OldestFirst and memory', () => {
  it('keeps no outgrown hash tables once the job that evicted is over (an LRU moving keys after one eviction)', async () => {
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const heap = async () => {
      await new Promise((resolve) => setImmediate(resolve)) // a new job: nothing kept for the last one
      gc()
      gc()
      return process.memoryUsage().heapUsed
    }
    const map = new Map<string, number>()
    const oldest = new OldestFirst(map)
    for (let i = 0; i < 10_000; i++) map.set(`key:${i}`, i)
    oldest.evict() // one eviction: the iterator is made
    const before = await heap()
    for (let round = 0; round < 4; round++) {
      // An LRU's hits: every move leaves a hole, and V8 rebuilds the table as they fill it.
      for (let n = 0; n < 400_000; n++) {
        const key = `key:${1 + (n % 9_999)}`
        map.delete(key)
        map.set(key, n)
      }
      await heap()
    }
    // Held strongly, the iterator kept every rebuilt table: ~80 MB here.
    expect((await heap()) - before).toBeLessThan(20 * 1024 * 1024)
    expect(oldest.evict()).toBeDefined() // still evicts after its iterator was collected
  })
})
