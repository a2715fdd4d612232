import { createHash } from 'node:crypto'
import { LOG_LUA } from './redis-log-script.js'
import { GCRA_AND_QUOTA_LUA } from './redis-quota-script.js'
import { REFUND_LUA } from './redis-refund-script.js'

/**
 * One Lua script answers a batch of independent checks, each atomic, reading the one clock every
 * app server shares: Redis `TIME`. The store sends every check made in one tick in one script
 * call (on Redis Cluster, the checks of one hash tag), so `TIME`, the script overhead and the
 * round trip are paid once per batch. Needs Redis ≥ 5 (effect replication: `TIME` before writes)
 * and the `struct` library every Redis and Valkey gives scripts.
 *
 * KEYS     every rule's key, check after check (the keys of one check share a hash tag)
 * ARGV[1]  number of checks
 * ARGV[2]  the spec of each check, one character per check: '0' names ARGV[3], '1' ARGV[4], …
 * ARGV[3…] the distinct specs, words separated by one space: mode ('1' consume, '0' peek, 'R'
 *          refund), cost, then per rule: algorithm ('L' sliding log, 'W' counter, 'T' token bucket,
 *          'Q' calendar quota), limit, window in ms (`window/burst`, or a quota's `b0/b1/b2/b3`)
 *          — e.g. `1 1 L 1000 60000` (the checks of one batch mostly share one or two).
 *
 * Reply: per check, integers: allowed (1|0), then per rule: used, retry-after ms, reset ms.
 * `used` counts this request only when the whole check was admitted (a refused check records
 * nothing, so every rule then reports its usage before it); the counter's fractional usage is
 * rounded up (limit − used rounded down, the remaining units, stays exact). Retry-after is 0 when
 * this rule alone admits, -1 when the cost exceeds its limit. A refund answers allowed 1 and, per
 * rule, the usage and reset after it (see `redis-refund-script.ts`).
 *
 * Sliding log: a list of packed entries, oldest first: { time µs, running total of cost after
 * it, cost }. Units used in the window = newest total − total before the first live entry, whatever
 * the costs. Expired entries are trimmed from the head when the key is written; the key expires
 * with its newest entry. How it is read: see `redis-log-script.ts`.
 *
 * Counter: a 24-byte string, three doubles {window index, this window's count, the previous one's}.
 *
 * Token bucket and calendar quota: see `redis-quota-script.ts`.
 */
export const CONSUME_SCRIPT = `
local clock = redis.call('TIME')
local now_us = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local floor, ceil, sub, find, format = math.floor, math.ceil, string.sub, string.find, string.format
local match, gmatch, byte = string.match, string.gmatch, string.byte
local pack, unpack = struct.pack, struct.unpack

-- A log entry is packed, so no number is formatted or parsed on the way: { time µs, running total
-- of cost after this entry, cost } as '<ddI4' (20 bytes).
local ENTRY = '<ddI4'
${LOG_LUA}
-- Same returns as check_log; what to write is the packed counter.
local function check_counter(key, limit, window_us, cost)
  local index = floor(now_us / window_us)
  local current, previous = 0, 0
  local value = redis.call('GET', key)
  if value then
    local stored, c, p = unpack('<ddd', value)
    if stored == index then
      current, previous = c, p
    elseif stored == index - 1 then
      previous = c
    elseif stored > index then
      -- TIME went back (a failover to a server whose clock is behind): count in the stored window.
      index, current, previous = stored, c, p
    end
  end
  local elapsed = now_us - index * window_us
  if elapsed < 0 then elapsed = 0 end
  local left = window_us - elapsed
  local used = previous * (1 - elapsed / window_us) + current
  local reset_us = 0
  if current > 0 then reset_us = left + window_us elseif previous > 0 then reset_us = left end
  if used + cost <= limit then
    return used, reset_us, 0, used + cost, left + window_us, pack('<ddd', index, current + cost, previous)
  end
  if cost > limit then return used, reset_us, -1 end
  -- Earliest moment the estimate leaves room, assuming no other traffic: later in this window if
  -- the previous window's share can decay enough, else in the next one.
  local room = limit - cost - current
  local wait_us = nil
  if previous > 0 and room >= 0 then
    wait_us = window_us * (1 - room / previous) - elapsed
    if wait_us > left then wait_us = nil end
  end
  if not wait_us then
    wait_us = left
    if current > limit - cost then wait_us = left + window_us * (1 - (limit - cost) / current) end
  end
  local retry_ms = ceil(wait_us / 1000)
  if retry_ms < 1 then retry_ms = 1 end
  -- Floating point must never make the wait short: re-check the estimate at the promised time.
  for _ = 1, 3 do
    local t = now_us + retry_ms * 1000
    local at_index = floor(t / window_us)
    local share = 1 - (t - at_index * window_us) / window_us
    local later = 0
    if at_index == index then later = previous * share + current
    elseif at_index == index + 1 then later = current * share end
    if later + cost <= limit then break end
    retry_ms = retry_ms + 1
  end
  return used, reset_us, retry_ms
end

${GCRA_AND_QUOTA_LUA}
local CHECKS = { L = check_log, W = check_counter, T = check_bucket, Q = check_calendar }
${REFUND_LUA}
-- A check's spec: mode, cost, then per rule: kind, limit, window_us and extra (a bucket's burst);
-- for a quota, the start and end (µs) of the period that contains TIME.
local function parse_spec(text)
  local mode, cost, rules = match(text, '^(%S+) (%S+)(.*)$')
  local spec = { mode = mode, cost = tonumber(cost), count = 0, kind = {}, limit = {}, window_us = {}, extra = {} }
  for algorithm, limit, window in gmatch(rules, ' (%S+) (%S+) (%S+)') do
    local r = spec.count + 1
    spec.count = r
    spec.kind[r], spec.limit[r] = algorithm, tonumber(limit)
    if algorithm == 'T' then
      local w, burst = match(window, '^(%d+)/(%d+)$')
      spec.window_us[r], spec.extra[r] = tonumber(w) * 1000, tonumber(burst)
    elseif algorithm == 'Q' then
      spec.window_us[r], spec.extra[r] = period_of(window)
    else
      spec.window_us[r] = tonumber(window) * 1000
    end
  end
  return spec
end
local specs = {}
for i = 3, #ARGV do specs[i - 2] = parse_spec(ARGV[i]) end
local spec_of = ARGV[2]

local out, o, k = {}, 0, 0
-- Per rule of the current check, reused across checks.
local used_before, reset_before, retry, used_after, reset_after, write1, write2 = {}, {}, {}, {}, {}, {}, {}
for c = 1, tonumber(ARGV[1]) do
  local spec = specs[byte(spec_of, c) - 47]
  local cost, count, kind, extra = spec.cost, spec.count, spec.kind, spec.extra
  if spec.mode == 'R' then
    refund_check(out, o, k, spec)
  else
    local record = spec.mode == '1'
    local allowed = true
    for r = 1, count do
      used_before[r], reset_before[r], retry[r], used_after[r], reset_after[r], write1[r], write2[r] =
        CHECKS[kind[r]](KEYS[k + r], spec.limit[r], spec.window_us[r], cost, extra[r])
      if retry[r] ~= 0 then allowed = false end
    end
    out[o + 1] = allowed and 1 or 0
    for r = 1, count do
      local at = o + 3 * r - 1
      if allowed then
        out[at], out[at + 1], out[at + 2] = ceil(used_after[r]), 0, ceil(reset_after[r] / 1000)
        if record then
          -- A whole number of ms, as text: Redis formats a Lua number argument itself (%.17g),
          -- which costs it more (valgrind: ~1 % of a sliding-log check's instructions). At least
          -- 1: a token bucket refilling within 1 µs is full again at once, and PX 0 is an error
          -- that would fail every check of this call.
          local ttl_ms = out[at + 2]
          if ttl_ms < 1 then ttl_ms = 1 end
          local key, ttl = KEYS[k + r], format('%d', ttl_ms)
          if kind[r] == 'L' then
            local trim = write2[r]
            if trim < 0 then redis.call('DEL', key) elseif trim > 0 then redis.call('LTRIM', key, format('%d', trim), '-1') end
            redis.call('RPUSH', key, write1[r])
            redis.call('PEXPIRE', key, ttl)
          else
            redis.call('SET', key, write1[r], 'PX', ttl)
          end
        end
      else
        out[at], out[at + 1], out[at + 2] = ceil(used_before[r]), retry[r], ceil(reset_before[r] / 1000)
      end
    end
  end
  o = o + 1 + 3 * count
  k = k + count
end
return out
`

/** SHA1 of the script, for EVALSHA. */
export const CONSUME_SCRIPT_SHA = createHash('sha1').update(CONSUME_SCRIPT).digest('hex')
