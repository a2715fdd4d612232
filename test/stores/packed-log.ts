/**
 * The Redis sliding log's packed entries and Redis' own clock, for tests that craft logs by hand
 * (the format: `src/stores/redis-scripts.ts`).
 */
import type { Redis } from 'ioredis'

/** One log entry as the script packs it: '<ddI4' = time µs, running total after it, cost. */
export function packLogEntry(timeUs: number, total: number, cost: number): Buffer {
  const entry = Buffer.alloc(20)
  entry.writeDoubleLE(timeUs, 0)
  entry.writeDoubleLE(total, 8)
  entry.writeUInt32LE(cost, 16)
  return entry
}

/** A packed log entry read back. */
export function unpackLogEntry(entry: Buffer): { timeUs: number; total: number; cost: number } {
  return { timeUs: entry.readDoubleLE(0), total: entry.readDoubleLE(8), cost: entry.readUInt32LE(16) }
}

/** Redis `TIME` in microseconds: the clock the script reads. */
export async function redisTimeUs(client: Redis): Promise<number> {
  const [seconds, micros] = await client.time()
  return Number(seconds) * 1_000_000 + Number(micros)
}
