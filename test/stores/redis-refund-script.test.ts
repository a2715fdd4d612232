/**
 * The Lua parts spliced into CONSUME_SCRIPT are not scripts on their own: they use locals that
 * script defines before splicing it in. Renaming one of them there must fail here, not in Redis.
 */
import { describe, expect, it } from 'vitest'
import { LOG_LUA, LOG_LUA_NEEDS } from '../../src/stores/redis-log-script.js'
import { GCRA_AND_QUOTA_LUA, GCRA_AND_QUOTA_LUA_NEEDS } from '../../src/stores/redis-quota-script.js'
import { REFUND_LUA, REFUND_LUA_NEEDS } from '../../src/stores/redis-refund-script.js'
import { CONSUME_SCRIPT } from '../../src/stores/redis-scripts.js'

/** Registers the test that `lua` is in CONSUME_SCRIPT ahead of the checks that call it. */
function isSplicedBeforeTheChecks(lua: string): void {
  it('is spliced into CONSUME_SCRIPT before the checks that call it', () => {
    expect(CONSUME_SCRIPT).toContain(lua)
    expect(CONSUME_SCRIPT.indexOf(lua)).toBeLessThan(CONSUME_SCRIPT.indexOf('local CHECKS'))
  })
}

/** Registers a test per local `lua` needs: defined in CONSUME_SCRIPT before the splice, and used by `lua`. */
function findsItsLocals(lua: string, needs: readonly string[]): void {
  const before = CONSUME_SCRIPT.slice(0, CONSUME_SCRIPT.indexOf(lua))
  it.each(needs)('finds the local %s defined before the splice', (name) => {
    const definition = new RegExp(`^local (?:function )?[\\w, ]*\\b${name}\\b[\\w, ]*(=|\\()`, 'm')
    expect(before).toMatch(definition)
    expect(lua).toMatch(new RegExp(`\\b${name}\\b`))
  })
}

describe('the refund part of the Redis script', () => {
  it('is spliced into CONSUME_SCRIPT', () => {
    expect(CONSUME_SCRIPT).toContain(REFUND_LUA)
  })

  findsItsLocals(REFUND_LUA, REFUND_LUA_NEEDS)
})

describe('the token bucket and calendar quota part of the Redis script', () => {
  isSplicedBeforeTheChecks(GCRA_AND_QUOTA_LUA)
  findsItsLocals(GCRA_AND_QUOTA_LUA, GCRA_AND_QUOTA_LUA_NEEDS)
})

describe('the sliding-log part of the Redis script', () => {
  isSplicedBeforeTheChecks(LOG_LUA)
  findsItsLocals(LOG_LUA, LOG_LUA_NEEDS)
})
