/**
 * The sliding-log part of the Redis script: `CONSUME_SCRIPT` (`redis-scripts.ts`, where the log's
 * format is described) splices it in before its checks run. Lua source only: it uses locals
 * `CONSUME_SCRIPT` defines before the splice (`LOG_LUA_NEEDS`).
 *
 * Redis CPU per check is mostly what each `redis.call` costs, and a list reply costs per element
 * (about a third of a call's cost per entry read), so the head is read in small steps: 4 entries
 * (with expired entries trimmed once 3 have gathered, the first live one is among them unless 2 or
 * more expired since the last write), then 8 more, then a binary search. Against one read of 8
 * with trimming at 4 (instructions redis-server executed per admitted check, valgrind): 4–9 %
 * fewer once a log holds more than 8 entries, 2–6 % fewer in a steady state where entries expire
 * as fast as they come, 4 % more on logs of at most 6 (a log of 4 to 8 entries takes a second
 * call for its newest entry).
 */

/** The locals of `CONSUME_SCRIPT` this Lua uses: defined there before the splice. */
export const LOG_LUA_NEEDS = ['now_us', 'ENTRY', 'pack', 'unpack', 'floor', 'ceil', 'format'] as const

/** The Lua source of `check_log` (see the top of this file). */
export const LOG_LUA = `
-- Spliced into CONSUME_SCRIPT (redis-scripts.ts): uses its locals ${LOG_LUA_NEEDS.join(', ')}.
-- Entries read from the head of the log in the first call, and in the second when all were expired.
local HEAD, MORE = 4, 8
local HEAD_LAST, MORE_FIRST, MORE_LAST = format('%d', HEAD - 1), format('%d', HEAD), format('%d', HEAD + MORE - 1)
-- Expired entries are trimmed once this many have gathered at the head (or when none is live).
local TRIM_AT = 3

-- The entry at index: from the head read so far, else one LINDEX.
local function entry_at(key, head, index)
  return head[index + 1] or redis.call('LINDEX', key, format('%d', index))
end

-- The index, running total and cost of the first entry after cutoff from index from (1-based in
-- head) on; nothing when none of head is.
local function scan(head, from, cutoff)
  for i = from, #head do
    local at_us, total, entry_cost = unpack(ENTRY, head[i])
    if at_us > cutoff then return i - 1, total, entry_cost end
  end
end

-- The first live entry of a log whose newest entry is live: index, running total and cost. Reads
-- past head when needed (appending what it reads to head), then searches.
local function first_live(key, head, cutoff)
  local index, total, entry_cost = scan(head, 1, cutoff)
  if index or #head < HEAD then return index, total, entry_cost end
  local more = redis.call('LRANGE', key, MORE_FIRST, MORE_LAST)
  for i = 1, #more do head[HEAD + i] = more[i] end
  index, total, entry_cost = scan(head, HEAD + 1, cutoff)
  if index or #more < MORE then return index, total, entry_cost end
  local low, high = HEAD + MORE, redis.call('LLEN', key) - 1
  while low < high do
    local mid = floor((low + high) / 2)
    if unpack(ENTRY, redis.call('LINDEX', key, format('%d', mid))) > cutoff then high = mid else low = mid + 1 end
  end
  local _
  _, total, entry_cost = unpack(ENTRY, redis.call('LINDEX', key, format('%d', low)))
  return low, total, entry_cost
end

-- Returns used, reset (µs), retry (ms), and when this rule admits: used and reset after it, then
-- what to write: the entry, and how to trim (0 nothing, -1 everything, n the first n entries).
local function check_log(key, limit, window_us, cost)
  local cutoff = now_us - window_us
  local head = redis.call('LRANGE', key, '0', HEAD_LAST)
  local count = #head
  local used, reset_us, newest_us, newest_total, first_index = 0, 0, now_us, 0, 0
  if count > 0 then
    local newest = head[count]
    if count == HEAD then newest = redis.call('LINDEX', key, '-1') end
    local n_us, n_total = unpack(ENTRY, newest)
    if n_us <= cutoff then
      first_index = -1
    else
      newest_us, newest_total = n_us, n_total
      -- The first live entry: its running total and cost give the units used before it.
      local first_total, first_cost
      first_index, first_total, first_cost = first_live(key, head, cutoff)
      used = newest_total - (first_total - first_cost)
      reset_us = newest_us + window_us - now_us
    end
  end
  if used + cost <= limit then
    local at = now_us
    if newest_us > at then at = newest_us end
    local trim = 0
    if first_index < 0 or first_index >= TRIM_AT then trim = first_index end
    return used, reset_us, 0, used + cost, at + window_us - now_us, pack(ENTRY, at, newest_total + cost, cost), trim
  end
  if cost > limit then return used, reset_us, -1 end
  -- Room appears when the oldest entries holding (used + cost - limit) units have left: at the
  -- first live entry whose running total reaches target. Each entry holds >= 1 unit, so it is at
  -- most (used + cost - limit - 1) entries after the first live one (exactly there when every
  -- cost is 1) and at most the newest entry, which always reaches target; binary search below.
  local target = newest_total + cost - limit
  local low, high = first_index, first_index + used + cost - limit - 1
  if high >= #head then
    -- head holds the whole log unless a read filled all it asked for.
    local last = #head - 1
    if #head == HEAD or #head == HEAD + MORE then last = redis.call('LLEN', key) - 1 end
    if high > last then high = last end
  end
  while low < high do
    local mid = floor((low + high) / 2)
    local _, total = unpack(ENTRY, entry_at(key, head, mid))
    if total >= target then high = mid else low = mid + 1 end
  end
  local retry_ms = ceil((unpack(ENTRY, entry_at(key, head, low)) + window_us - now_us) / 1000)
  if retry_ms < 1 then retry_ms = 1 end
  return used, reset_us, retry_ms
end
`
