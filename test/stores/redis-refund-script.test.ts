/**
 * The Lua parts spliced into CONSUME_SCRIPT are not scripts on their own: they use locals that
 * script defines before splicing it in. Renaming one of them there must fail here, not in Redis.
 */
import { describe, expect, it } from 'vitest'
import { LOG_LUA, LOG_LUA_NEEDS } from '../../src/stores/redis-log-script.js'
import { GCRA_AND_QUOTA_LUA, GCRA_AND_QUOTA_LUA_NEEDS } from '../../src/stores/redis-quota-script.js'
import { REFUND_LUA, REFUND_LUA_NEEDS } from '../../src/stores/redis-refund-script.js'
import { CONSUME_SCRIPT } from '../../src/stores/redis-scripts.js'

describe('the refund part of the Redis script', () => {
  const before = CONSUME_SCRIPT.slice(0, CONSUME_SCRIPT.indexOf(REFUND_LUA))

  it('is spliced into CONSUME_SCRIPT', () => {
    expect(CONSUME_SCRIPT).toContain(REFUND_LUA)
  })

  it.each(REFUND_LUA_NEEDS)('finds the local %s defined before the splice', (name) => {
    const definition = new RegExp(`^local (?:function )?[\\w, ]*\\b${name}\\b[\\w, ]*(=|\\()`, 'm')
    expect(before).toMatch(definition)
    expect(REFUND_LUA).toMatch(new RegExp(`\\b${name}\\b`))
  })
})

describe('the token bucket and calendar quota part of the Redis script', () => {
  const before = CONSUME_SCRIPT.slice(0, CONSUME_SCRIPT.indexOf(GCRA_AND_QUOTA_LUA))

  it('is spliced into CONSUME_SCRIPT before the checks that call it', () => {
    expect(CONSUME_SCRIPT).toContain(GCRA_AND_QUOTA_LUA)
    expect(CONSUME_SCRIPT.indexOf(GCRA_AND_QUOTA_LUA)).toBeLessThan(CONSUME_SCRIPT.indexOf('local CHECKS'))
  })

  it.each(GCRA_AND_QUOTA_LUA_NEEDS)('finds the local %s defined before the splice', (name) => {
    const definition = new RegExp(`^local (?:function )?[\\w, ]*\\b${name}\\b[\\w, ]*(=|\\()`, 'm')
    expect(before).toMatch(definition)
    expect(GCRA_AND_QUOTA_LUA).toMatch(new RegExp(`\\b${name}\\b`))
  })
})

describe('the sliding-log part of the Redis script', () => {
  const before = CONSUME_SCRIPT.slice(0, CONSUME_SCRIPT.indexOf(LOG_LUA))

  it('is spliced into CONSUME_SCRIPT before the checks that call it', () => {
    expect(CONSUME_SCRIPT).toContain(LOG_LUA)
    expect(CONSUME_SCRIPT.indexOf(LOG_LUA)).toBeLessThan(CONSUME_SCRIPT.indexOf('local CHECKS'))
  })

  it.each(LOG_LUA_NEEDS)('finds the local %s defined before the splice', (name) => {
    const definition = new RegExp(`^local (?:function )?[\\w, ]*\\b${name}\\b[\\w, ]*(=|\\()`, 'm')
    expect(before).toMatch(definition)
    expect(LOG_LUA).toMatch(new RegExp(`\\b${name}\\b`))
  })
})
