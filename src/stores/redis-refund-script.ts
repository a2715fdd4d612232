/**
 * The refund part of the Redis script: `CONSUME_SCRIPT` (`redis-scripts.ts`) splices it in, so a
 * refund shares the batch, the `TIME` read and the key layout of the checks. Lua source only: it
 * defines `refund_check`, and it is not a script on its own — it uses locals that
 * `CONSUME_SCRIPT` defines before the splice (`REFUND_LUA_NEEDS`, named again at the top of the
 * Lua; `test/stores/redis-refund-script.test.ts` checks they are defined there). Its helpers are created inside `refund_check`,
 * so a batch without refunds pays nothing for them (measured: the same Redis CPU per consume as
 * the script without refunds).
 *
 * - Sliding log: up to `cost` units come off the newest live entries. Whole entries are popped
 *   from the tail; a partly refunded entry is rewritten with its cost and running total lowered
 *   by the same amount, so no older entry's running total changes. The key's TTL is set to the
 *   new newest entry's expiry; a log left without live units is deleted.
 * - Counter: up to `cost` units come off the current window's count, written in place
 *   (`SETRANGE` on the count's 8 bytes keeps the TTL the last consume set). The previous window's
 *   count is never lowered. A key whose current window has no count is not written.
 *
 * - Token bucket: up to `cost` tokens go back (never more than are missing); a bucket full again
 *   is deleted, otherwise its time and TTL are rewritten.
 * - Calendar quota: up to `cost` units come off the current period's count, written in place
 *   (`SETRANGE`, keeping the TTL at the period's end). A count from an earlier period is not written.
 *
 * Nothing is created: a refund on a missing or fully expired key changes nothing.
 */

/** The locals of `CONSUME_SCRIPT` that the refund Lua uses: defined there before the splice. */
export const REFUND_LUA_NEEDS = [
  'now_us',
  'ENTRY',
  'pack',
  'unpack',
  'floor',
  'ceil',
  'format',
  'bucket_missing',
] as const

/** The Lua source of `refund_check` (see the top of this file). */
export const REFUND_LUA = `
-- Spliced into CONSUME_SCRIPT (redis-scripts.ts): uses its locals ${REFUND_LUA_NEEDS.join(', ')}.
-- One refund check of the batch: gives back cost under every rule and writes its reply like a
-- check does (allowed 1, then per rule: used, 0, reset ms). \`spec\` is the check's parsed spec.
local function refund_check(out, o, k, spec)
  local cost = spec.cost
  -- Returns used and reset (µs) after giving back up to cost units from the newest live entries.
  local function refund_log(key, window_us, cost)
    local newest = redis.call('LINDEX', key, '-1')
    if not newest then return 0, 0 end
    local cutoff = now_us - window_us
    local newest_us, newest_total = unpack(ENTRY, newest)
    if newest_us <= cutoff then return 0, 0 end
    local low, high = 0, redis.call('LLEN', key) - 1
    while low < high do
      local mid = floor((low + high) / 2)
      if unpack(ENTRY, redis.call('LINDEX', key, format('%d', mid))) > cutoff then high = mid else low = mid + 1 end
    end
    local _, first_total, first_cost = unpack(ENTRY, redis.call('LINDEX', key, format('%d', low)))
    local used = newest_total - (first_total - first_cost)
    local left = cost
    if left > used then left = used end
    used = used - left
    if used <= 0 then
      redis.call('DEL', key)
      return 0, 0
    end
    local at_us, total, entry_cost = newest_us, newest_total, 0
    while left > 0 do
      at_us, total, entry_cost = unpack(ENTRY, redis.call('LINDEX', key, '-1'))
      if entry_cost <= left then
        redis.call('RPOP', key)
        left = left - entry_cost
      else
        redis.call('LSET', key, '-1', pack(ENTRY, at_us, total - left, entry_cost - left))
        left = 0
      end
    end
    at_us = unpack(ENTRY, redis.call('LINDEX', key, '-1'))
    local reset_us = at_us + window_us - now_us
    redis.call('PEXPIRE', key, format('%d', ceil(reset_us / 1000)))
    return used, reset_us
  end

  -- Returns used and reset (µs) after giving back up to cost units from the current window's count.
  local function refund_counter(key, window_us, cost)
    local value = redis.call('GET', key)
    if not value then return 0, 0 end
    local index = floor(now_us / window_us)
    local stored, current, previous = unpack('<ddd', value)
    if stored >= index then
      -- (stored > index: TIME went back; count in the stored window, as a check does.)
      index = stored
      if current > 0 then
        current = current - cost
        if current < 0 then current = 0 end
        redis.call('SETRANGE', key, '8', pack('<d', current))
      end
    elseif stored == index - 1 then
      current, previous = 0, current
    else
      return 0, 0
    end
    local elapsed = now_us - index * window_us
    if elapsed < 0 then elapsed = 0 end
    local left = window_us - elapsed
    local reset_us = 0
    if current > 0 then reset_us = left + window_us elseif previous > 0 then reset_us = left end
    return previous * (1 - elapsed / window_us) + current, reset_us
  end

  -- Returns used and reset (µs) after giving back up to cost tokens.
  local function refund_bucket(key, limit, window_us, cost)
    local value = redis.call('GET', key)
    if not value then return 0, 0 end
    local interval_us = window_us / limit
    local used = bucket_missing(unpack('<d', value), now_us, interval_us) - cost
    if used <= 0 then
      redis.call('DEL', key)
      return 0, 0
    end
    local reset_us = used * interval_us
    redis.call('SET', key, pack('<d', now_us + reset_us), 'PX', format('%d', ceil(reset_us / 1000)))
    return used, reset_us - 1
  end

  -- Returns used and reset (µs) after giving back up to cost units of the current period's count.
  local function refund_calendar(key, start_us, cost)
    local value = redis.call('GET', key)
    if not value then return 0, 0 end
    local stored_start, stored_end, count = unpack('<ddd', value)
    if stored_start < start_us then return 0, 0 end
    count = count - cost
    if count < 0 then count = 0 end
    redis.call('SETRANGE', key, '16', pack('<d', count))
    if count > 0 then return count, stored_end - now_us end
    return 0, 0
  end

  out[o + 1] = 1
  for r = 1, spec.count do
    local key, window_us, kind = KEYS[k + r], spec.window_us[r], spec.kind[r]
    local used, reset_us
    if kind == 'L' then
      used, reset_us = refund_log(key, window_us, cost)
    elseif kind == 'W' then
      used, reset_us = refund_counter(key, window_us, cost)
    elseif kind == 'T' then
      used, reset_us = refund_bucket(key, spec.limit[r], window_us, cost)
    else
      used, reset_us = refund_calendar(key, window_us, cost)
    end
    local at = o + 3 * r - 1
    out[at], out[at + 1], out[at + 2] = ceil(used), 0, ceil(reset_us / 1000)
  end
end
`
