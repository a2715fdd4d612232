import type { CliRedis } from './connect.js'
import type { ParsedKey } from './scan.js'

/**
 * What one limiter key holds, read without knowing the rule's limit or window. Only the Redis
 * type, size and TTL are read, never the stored bytes: their layout belongs to the store's Lua
 * script. Exact numbers come from the engine (`inspect` with `--limit` and `--window`).
 */
export interface KeyReport {
  readonly key: string
  readonly rule: string
  readonly ruleId: string
  /**
   * Inferred from the Redis type: the log keeps one entry per request, the counter one value; a
   * concurrency limit's key (`…:lease`) is a sorted set of its leases.
   */
  readonly algorithm: 'sliding-log' | 'sliding-window' | 'concurrency' | 'unknown'
  /**
   * Sliding log: entries kept (requests recorded; some may already be older than the window).
   * Concurrency: leases recorded — held now, or expired unrenewed since the last acquisition
   * (which drops them).
   */
  readonly entries?: number
  /** Milliseconds until Redis drops the key: all of its usage is forgotten by then. */
  readonly expiresInMs: number | null
}

/** Reads one key's type, size and TTL. */
export async function describeKey(client: CliRedis, parsed: ParsedKey): Promise<KeyReport> {
  const { key, rule, ruleId } = parsed
  const [type, pttl] = await Promise.all([client.type(key), client.pttl(key)])
  const expiresInMs = pttl >= 0 ? pttl : null
  if (type === 'zset' && ruleId.endsWith(':lease')) {
    return { key, rule, ruleId, algorithm: 'concurrency', entries: await client.zcard(key), expiresInMs }
  }
  if (type === 'list' || type === 'zset') {
    const entries = type === 'list' ? await client.llen(key) : await client.zcard(key)
    return { key, rule, ruleId, algorithm: 'sliding-log', entries, expiresInMs }
  }
  return { key, rule, ruleId, algorithm: type === 'string' ? 'sliding-window' : 'unknown', expiresInMs }
}

/** One cell of text for what a key holds. */
export function summarize(report: KeyReport): string {
  if (report.algorithm === 'sliding-log') return `${report.entries} request(s) logged`
  if (report.algorithm === 'sliding-window') return 'counter'
  if (report.algorithm === 'concurrency') return `${report.entries} lease(s) open`
  return 'not a limiter key'
}
