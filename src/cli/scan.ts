import { ruleId } from '../keys.js'
import type { Connection } from './connect.js'

/** One limiter key taken apart: `prefix{identity}:ruleName:digest`. */
export interface ParsedKey {
  readonly key: string
  /** The identity as stored in the hash tag (`h:…` when the identity was hashed). */
  readonly identity: string
  /** The rule's readable name (or `h:…` for a hashed name). */
  readonly rule: string
  /** Rule name plus the digest of its limit, window and algorithm. */
  readonly ruleId: string
}

/** Escapes Redis glob characters so that a literal string matches only itself in SCAN MATCH. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** The name part of a rule id as the engine writes it (hashed when not plain, see src/keys.ts). */
export function ruleNamePart(name: string): string {
  const id = ruleId(name, 'sliding-log', 1, 1)
  return id.slice(0, id.lastIndexOf(':'))
}

/** Parses a key written by the limiter under `prefix`, or returns undefined for any other key. */
export function parseKey(prefix: string, key: string): ParsedKey | undefined {
  if (!key.startsWith(`${prefix}{`)) return undefined
  const close = key.indexOf('}:', prefix.length + 1)
  if (close < 0) return undefined
  const id = key.slice(close + 2)
  const split = id.lastIndexOf(':')
  if (split <= 0) return undefined
  return { key, identity: key.slice(prefix.length + 1, close), rule: id.slice(0, split), ruleId: id }
}

export interface ScanOptions {
  /** SCAN COUNT hint. @default 1000 */
  count?: number
  /** Called after every SCAN reply with the keys seen so far. */
  onProgress?: (scanned: number, node: number, nodes: number) => void
}

/**
 * Yields every key matching `pattern`, in batches, with SCAN (never KEYS: it does not block Redis)
 * on every master of a cluster in turn. SCAN may return a key twice; callers that count dedupe.
 */
export async function* scanKeys(
  connection: Connection,
  pattern: string,
  options: ScanOptions = {},
): AsyncGenerator<string[]> {
  const { count = 1000, onProgress } = options
  const masters = connection.masters()
  let scanned = 0
  for (let n = 0; n < masters.length; n++) {
    let cursor = '0'
    do {
      const [next, keys] = await masters[n]!.scan(cursor, pattern, count)
      cursor = next
      scanned += keys.length
      onProgress?.(scanned, n + 1, masters.length)
      if (keys.length > 0) yield keys
    } while (cursor !== '0')
  }
}

/** Collects every distinct key matching `pattern` (for one identity: a handful). */
export async function collectKeys(connection: Connection, pattern: string): Promise<string[]> {
  const seen = new Set<string>()
  for await (const batch of scanKeys(connection, pattern)) for (const key of batch) seen.add(key)
  return [...seen].sort()
}

/** Progress on stderr: a rewritten line on a terminal, a line every `every` keys otherwise. */
export function progressReporter(
  stderr: { write(text: string): unknown; readonly isTTY?: boolean },
  every = 10_000,
): { update: (scanned: number, node: number, nodes: number) => void; done: () => void } {
  let reported = 0
  let shown = false
  return {
    update(scanned, node, nodes) {
      if (scanned - reported < every) return
      reported = scanned - (scanned % every)
      const text = `scanned ${scanned.toLocaleString('en-US')} keys (node ${node} of ${nodes})…`
      stderr.write(stderr.isTTY ? `\r${text}` : `${text}\n`)
      shown = true
    },
    done() {
      if (shown && stderr.isTTY) stderr.write('\n')
    },
  }
}
