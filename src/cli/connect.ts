/**
 * The operator's connection to Redis: where (`--redis` / `REDIS_URL` or `--cluster`), and which
 * client library. The command line connects with ioredis when it is installed, else with
 * node-redis (`redis`): an application that uses either can run it without installing the other.
 */
import { describeValue } from '../errors.js'
import type { RedisClientLike } from '../stores/redis-client.js'
import type { Values } from './args.js'
import { CliError, EXIT } from './errors.js'
import { checkRedisUrl, redactUrl } from './redis-url.js'

/** Where to connect, from `--redis` / `REDIS_URL` or `--cluster`. */
export type Target =
  | { kind: 'redis'; url: string }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }> }

/** The commands the command line sends besides the limiter's script, named as ioredis names them. */
export interface CliRedis {
  get(key: string): Promise<string | null>
  type(key: string): Promise<string>
  pttl(key: string): Promise<number>
  llen(key: string): Promise<number>
  zcard(key: string): Promise<number>
  exists(key: string): Promise<number>
  /** Keys of one hash tag (one Cluster slot). */
  del(...keys: string[]): Promise<number>
}

/** One master's keyspace, for SCAN. */
export interface ScanNode {
  /** One SCAN call: the next cursor (`'0'` at the end) and a batch of keys matching `pattern`. */
  scan(cursor: string, pattern: string, count: number): Promise<[cursor: string, keys: string[]]>
}

/** An open connection: the client the engine uses, its commands, and the nodes to SCAN (every master). */
export interface Connection {
  readonly client: CliRedis
  /** The library's own client, for `RedisStore`. */
  readonly storeClient: RedisClientLike
  /** Human-readable target, password hidden. */
  readonly label: string
  masters(): ScanNode[]
  close(): void
}

/** Reads the target from the options and the environment; a malformed one is a usage error. */
export function targetOption(values: Values, env: Readonly<Record<string, string | undefined>>): Target {
  const cluster = values.cluster as string | undefined
  const url = (values.redis as string | undefined) ?? (cluster === undefined ? env.REDIS_URL : undefined)
  if (cluster !== undefined && values.redis !== undefined)
    throw new CliError(EXIT.USAGE, 'Pass either --redis or --cluster, not both')
  if (cluster !== undefined) {
    const nodes = cluster.split(',').map((entry) => {
      const match = /^\s*([^:\s]+):(\d{1,5})\s*$/.exec(entry)
      const port = Number(match?.[2])
      if (!match || port < 1 || port > 65_535) {
        throw new CliError(
          EXIT.USAGE,
          `Expected --cluster to be host:port[,host:port…], got ${describeValue(entry)}`,
        )
      }
      return { host: match[1]!, port }
    })
    return { kind: 'cluster', nodes }
  }
  if (url === undefined || url === '') {
    throw new CliError(
      EXIT.USAGE,
      'Pass --redis redis://host:6379 (or set REDIS_URL), or --cluster host:port,… for a Redis Cluster',
    )
  }
  return { kind: 'redis', url: checkRedisUrl(url) }
}

/** The target as shown in messages, password hidden. */
export function targetLabel(target: Target): string {
  return target.kind === 'redis'
    ? redactUrl(target.url)
    : `cluster ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`
}

/** Rejects with `no answer within … (what)` after `ms`. */
export function withTimeout<T>(pending: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (${what})`)), ms)
  })
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer))
}

/** The message of a failed connection, with what the operator can change. */
export function unreachable(label: string, reason: string, timeoutMs: number): CliError {
  return new CliError(
    EXIT.UNREACHABLE,
    `Cannot reach Redis at ${label}: ${reason} (timeout ${timeoutMs} ms; see --timeout)`,
  )
}

/** `--redis` given a Cluster node: a usage error naming the right option. */
export function clusterNodeError(label: string): CliError {
  return new CliError(
    EXIT.USAGE,
    `${label} is a Redis Cluster node: pass --cluster host:port[,host:port…] instead of --redis`,
  )
}

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string }
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    typeof message === 'string' &&
    message.includes(`'${name}'`)
  )
}

/**
 * Connects with a deadline and no retries, through ioredis when it is installed, else node-redis:
 * an unreachable Redis is an error after `timeoutMs`, never a hang.
 */
export async function connect(target: Target, timeoutMs: number): Promise<Connection> {
  try {
    const { connectIoredis } = await import('./connect-ioredis.js')
    return await connectIoredis(await import('ioredis'), target, timeoutMs)
  } catch (error) {
    if (!isMissing(error, 'ioredis')) throw error
  }
  try {
    const { connectNodeRedis } = await import('./connect-node-redis.js')
    return await connectNodeRedis(await import('redis'), target, timeoutMs)
  } catch (error) {
    if (!isMissing(error, 'redis')) throw error
  }
  throw new CliError(
    EXIT.FAILURE,
    'The command line needs a Redis client: npm install ioredis (or npm install redis)',
  )
}
