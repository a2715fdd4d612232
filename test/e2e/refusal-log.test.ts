/**
 * The demo's refusal log (examples/demo/refusal-log.ts): under a flood it writes the first
 * refusal of each caller and rule per window, then one summary per period, in bounded memory.
 */
import { describe, expect, it } from 'vitest'
import { createRefusalLog } from '../../examples/demo/refusal-log.js'

function logAt(options: { maxTracked?: number } = {}) {
  let clock = 1_000_000
  const lines: string[] = []
  const log = createRefusalLog({ log: (line) => lines.push(line), now: () => clock, ...options })
  const refuse = (identity: string, rule = 'Query.search', windowMs = 10_000) =>
    log.record({ identity, rule, windowMs }, () => `[limited] ${identity} ${rule}`)
  return {
    log,
    lines,
    refuse,
    advance: (ms: number) => {
      clock += ms
    },
  }
}

describe('the demo refusal log', () => {
  it('logs the first refusal of a caller and rule per window, and summarizes the rest', () => {
    const { log, lines, refuse, advance } = logAt()
    for (let i = 0; i < 100_000; i++) refuse('ip:203.0.113.1')
    expect(lines).toEqual(['[limited] ip:203.0.113.1 Query.search'])
    log.summarize()
    expect(lines[1]).toBe(
      '[limited] 99999 more refusals from 1 caller not logged (summary every 10 s), top: ip:203.0.113.1 99999',
    )
    advance(9_999)
    refuse('ip:203.0.113.1')
    expect(lines).toHaveLength(2)
    advance(1)
    refuse('ip:203.0.113.1')
    expect(lines[2]).toBe('[limited] ip:203.0.113.1 Query.search')
    log.stop()
  })

  it('logs each rule of a caller on its own, and names the top callers in the summary', () => {
    const { log, lines, refuse } = logAt()
    refuse('ip:a', 'Query.search')
    refuse('ip:a', 'book.list', 60_000)
    for (let i = 0; i < 5; i++) refuse('ip:a')
    for (let i = 0; i < 9; i++) refuse('ip:b')
    for (let i = 0; i < 2; i++) refuse('ip:c')
    for (let i = 0; i < 2; i++) refuse('ip:d')
    expect(lines).toEqual([
      '[limited] ip:a Query.search',
      '[limited] ip:a book.list',
      '[limited] ip:b Query.search',
      '[limited] ip:c Query.search',
      '[limited] ip:d Query.search',
    ])
    log.summarize()
    expect(lines.at(-1)).toBe(
      '[limited] 15 more refusals from 4 callers not logged (summary every 10 s), top: ip:b 8, ip:a 5, ip:c 1',
    )
    log.summarize()
    expect(lines).toHaveLength(6) // nothing suppressed since: no summary
    log.stop()
  })

  it('keeps memory bounded when every refusal comes from a new caller: past the cap, it counts', () => {
    const { log, lines, refuse } = logAt({ maxTracked: 100 })
    for (let i = 0; i < 10_000; i++) refuse(`ip:10.0.${i >> 8}.${i & 255}`)
    expect(lines).toHaveLength(100)
    log.summarize()
    expect(lines.at(-1)).toMatch(
      /^\[limited\] 9900 more refusals from more than 100 callers not logged .*, others 9800$/,
    )
    log.stop()
  })

  it('forgets a caller and rule once its window is over', () => {
    const { log, lines, refuse, advance } = logAt({ maxTracked: 1 })
    refuse('ip:a')
    refuse('ip:b') // the table is full: counted, not logged
    expect(lines).toEqual(['[limited] ip:a Query.search'])
    advance(10_000)
    log.summarize() // drops ip:a's expired entry
    refuse('ip:b')
    expect(lines.at(-1)).toBe('[limited] ip:b Query.search')
    log.stop()
  })
})
