import { createHash } from 'node:crypto'

/**
 * One Lua script checks (and when asked, records) every rule of one call atomically, reading the
 * one clock that every app server shares: Redis `TIME`.
 *
 * KEYS[i]  the key of rule i (all keys of one call share a hash tag, so they share a slot)
 * ARGV[1]  '1' to record on admission, '0' to only look (peek)
 * ARGV[2]  cost, a positive integer
 * ARGV[3i], ARGV[3i+1], ARGV[3i+2]  for rule i: algorithm ('L' sliding log, 'W' counter),
 *          limit, window in milliseconds
 *
 * Returns { allowed (1|0), then for each rule: used (string), retry-after ms, reset ms }.
 *
 * Sliding log: a sorted set, one member per admitted request. The score is the time in
 * microseconds; the member is "<cumulative cost, 15 digits>:<cost>". The running total makes the
 * units used in the window two O(log n) look-ups (newest total − total before the oldest live
 * entry), keeps members unique without touching the time, and a request of cost c is one member.
 *
 * Counter: a hash { w = window index, c = current window's count, p = previous window's count }.
 */
export const CONSUME_SCRIPT = `
local record = ARGV[1] == '1'
local cost = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now_us = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local function ceil_ms(us) return math.ceil(us / 1000) end
local function wait_ms(us) return math.max(1, math.ceil((us + 1) / 1000)) end
local function total_of(member) return tonumber(string.sub(member, 1, 15)) end
local function cost_of(member) return tonumber(string.sub(member, 17)) end

local out = { 1 }
local writes = {}
local allowed = true

for i = 1, #KEYS do
  local key = KEYS[i]
  local arg = 3 * i
  local limit = tonumber(ARGV[arg + 1])
  local window_us = tonumber(ARGV[arg + 2]) * 1000
  local used, retry_ms, reset_ms = 0, 0, 0

  if ARGV[arg] == 'L' then
    local cutoff = now_us - window_us
    local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
    local newest_us, newest_total = nil, 0
    local live_from = '(' .. string.format('%d', cutoff)
    if newest[1] then
      newest_us = tonumber(newest[2])
      newest_total = total_of(newest[1])
      if newest_us > cutoff then
        local oldest = redis.call('ZRANGEBYSCORE', key, live_from, '+inf', 'LIMIT', 0, 1)
        used = newest_total - (total_of(oldest[1]) - cost_of(oldest[1]))
      end
    end
    if used + cost <= limit then
      local at = now_us
      if newest_us and newest_us > at then at = newest_us end
      used = used + cost
      reset_ms = ceil_ms(at + window_us - now_us)
      writes[i] = { 'L', string.format('%d', cutoff), string.format('%d', at),
        string.format('%015d:%d', newest_total + cost, cost), reset_ms }
    else
      allowed = false
      -- Wait until the oldest entries holding (used + cost - limit) units have left the window:
      -- binary search, by rank, for the first live entry whose running total reaches that much.
      local base = newest_total - used
      local target = base + used + cost - limit
      local low = redis.call('ZCOUNT', key, '-inf', string.format('%d', cutoff))
      local high = redis.call('ZCARD', key) - 1
      while low < high do
        local mid = math.floor((low + high) / 2)
        if total_of(redis.call('ZRANGE', key, mid, mid)[1]) >= target then high = mid else low = mid + 1 end
      end
      local freed = redis.call('ZRANGE', key, low, low, 'WITHSCORES')
      retry_ms = wait_ms(tonumber(freed[2]) + window_us - now_us)
      reset_ms = ceil_ms(newest_us + window_us - now_us)
    end
  else
    local window_index = math.floor(now_us / window_us)
    local stored = redis.call('HMGET', key, 'w', 'c', 'p')
    local stored_index = tonumber(stored[1])
    local current, previous = 0, 0
    if stored_index == window_index then
      current, previous = tonumber(stored[2]), tonumber(stored[3])
    elseif stored_index == window_index - 1 then
      previous = tonumber(stored[2])
    end
    local elapsed = now_us - window_index * window_us
    local left = window_us - elapsed
    local estimate = previous * (1 - elapsed / window_us) + current
    if estimate + cost <= limit then
      used = estimate + cost
      reset_ms = ceil_ms(left + window_us)
      writes[i] = { 'W', string.format('%d', window_index), current + cost, previous, reset_ms }
    else
      allowed = false
      used = estimate
      local room = limit - cost - current
      local wait_us = nil
      if previous > 0 and room >= 0 then
        wait_us = window_us * (1 - room / previous) - elapsed
        if wait_us > left then wait_us = nil end
      end
      if not wait_us then
        local room_next = limit - cost
        wait_us = left
        if current > room_next then wait_us = left + window_us * (1 - room_next / current) end
      end
      retry_ms = wait_ms(wait_us)
      if current > 0 then reset_ms = ceil_ms(left + window_us) elseif previous > 0 then reset_ms = ceil_ms(left) end
    end
  end
  out[#out + 1] = string.format('%.17g', used)
  out[#out + 1] = retry_ms
  out[#out + 1] = reset_ms
end

if not allowed then
  out[1] = 0
elseif record then
  for i = 1, #KEYS do
    local key, w = KEYS[i], writes[i]
    if w[1] == 'L' then
      redis.call('ZREMRANGEBYSCORE', key, '-inf', w[2])
      redis.call('ZADD', key, w[3], w[4])
    else
      redis.call('HSET', key, 'w', w[2], 'c', w[3], 'p', w[4])
    end
    redis.call('PEXPIRE', key, w[5])
  end
end
return out
`

/** SHA1 of the script, for EVALSHA. */
export const CONSUME_SCRIPT_SHA = createHash('sha1').update(CONSUME_SCRIPT).digest('hex')
