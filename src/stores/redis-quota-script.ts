/**
 * The token bucket and calendar quota parts of the Redis script: `CONSUME_SCRIPT`
 * (`redis-scripts.ts`) splices them in before its checks run, so they share the batch, the
 * `TIME` read and the hash-tagged key layout of the other algorithms. Lua source only: it uses
 * locals `CONSUME_SCRIPT` defines before the splice (`GCRA_AND_QUOTA_LUA_NEEDS`).
 *
 * Token bucket (GCRA): an 8-byte string, one double: the theoretical arrival time in µs, when the
 * bucket is full again (see `memory-bucket.ts` for the arithmetic, the same here). TTL: until then.
 *
 * Calendar quota: a 24-byte string, three doubles {period start µs, period end µs, count}. The
 * client computes the periods (DST and time zones are JavaScript's job, with Intl) around its own
 * clock: b0 … b3 are the starts of the previous, current and next period and the next one's end,
 * in ms. The script counts in the one that contains Redis TIME, so app servers whose clocks differ
 * (by less than a period) all count in the same period, and no skew can give a second quota; a
 * TIME outside all three is an error before anything is written. A count stored for a later period
 * (TIME went back across a boundary) is kept and counted in. TTL: until the period's end.
 */

/** The locals of `CONSUME_SCRIPT` this Lua uses: defined there before the splice. */
export const GCRA_AND_QUOTA_LUA_NEEDS = ['now_us', 'pack', 'unpack', 'floor', 'ceil', 'match'] as const

/** Defines `bucket_missing`, `check_bucket`, `check_calendar` and `period_of`. */
export const GCRA_AND_QUOTA_LUA = `
-- Spliced into CONSUME_SCRIPT (redis-scripts.ts): uses its locals ${GCRA_AND_QUOTA_LUA_NEEDS.join(', ')}.
-- Token bucket: tokens missing from a full bucket at time t (µs), snapped to a whole number when
-- within 1 µs of refill (TIME's resolution; a double near 1.7e15 µs is precise to 0.25 µs).
local function bucket_missing(tat_us, t_us, interval_us)
  if tat_us <= t_us then return 0 end
  local exact = (tat_us - t_us) / interval_us
  local whole = floor(exact + 0.5)
  if math.abs(exact - whole) * interval_us <= 1 then return whole end
  return exact
end

-- Same returns as check_log; what to write is the new theoretical arrival time.
local function check_bucket(key, limit, window_us, cost, burst)
  local interval_us = window_us / limit
  local tat_us = 0
  local value = redis.call('GET', key)
  if value then tat_us = unpack('<d', value) end
  local used = bucket_missing(tat_us, now_us, interval_us)
  -- Resets and waits are rounded up to whole ms ignoring float noise below 1 µs.
  local reset_us = used * interval_us - 1
  if used + cost <= burst then
    local after_us = (used + cost) * interval_us
    return used, reset_us, 0, used + cost, after_us - 1, pack('<d', now_us + after_us)
  end
  if cost > burst then return used, reset_us, -1 end
  local retry_ms = ceil(((used + cost - burst) * interval_us - 1) / 1000)
  if retry_ms < 1 then retry_ms = 1 end
  -- Floating point must never make the wait short: re-check at the promised time.
  for _ = 1, 3 do
    if bucket_missing(tat_us, now_us + retry_ms * 1000, interval_us) + cost <= burst then break end
    retry_ms = retry_ms + 1
  end
  return used, reset_us, retry_ms
end

-- Same returns as check_log; what to write is the period and its count.
local function check_calendar(key, limit, start_us, cost, end_us)
  local used = 0
  local value = redis.call('GET', key)
  if value then
    local stored_start, stored_end, count = unpack('<ddd', value)
    if stored_start == start_us then
      used = count
    elseif stored_start > start_us then
      start_us, end_us, used = stored_start, stored_end, count
    end
  end
  local left_us = end_us - now_us
  local reset_us = 0
  if used > 0 then reset_us = left_us end
  if used + cost <= limit then
    return used, reset_us, 0, used + cost, left_us, pack('<ddd', start_us, end_us, used + cost)
  end
  if cost > limit then return used, reset_us, -1 end
  local retry_ms = ceil(left_us / 1000)
  if retry_ms < 1 then retry_ms = 1 end
  return used, reset_us, retry_ms
end

-- The calendar period (start, end in µs) among b0/b1/b2/b3 (ms) that contains TIME.
local function period_of(bounds)
  local b0, b1, b2, b3 = match(bounds, '^(%d+)/(%d+)/(%d+)/(%d+)$')
  local b = { tonumber(b0) * 1000, tonumber(b1) * 1000, tonumber(b2) * 1000, tonumber(b3) * 1000 }
  for i = 1, 3 do
    if now_us >= b[i] and now_us < b[i + 1] then return b[i], b[i + 1] end
  end
  error('rate-limit script: Redis TIME lies outside the calendar periods the client sent (clock skew)')
end

`
