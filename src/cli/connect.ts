import type { Cluster, Redis } from 'ioredis'
import { describeValue } from '../errors.js'
import type { Values } from './args.js'
import { CliError, EXIT } from './errors.js'
import { checkRedisUrl, redactUrl } from './redis-url.js'

/** Where to connect, from `--redis` / `REDIS_URL` or `--cluster`. */
export type Target =
  | { kind: 'redis'; url: string }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }> }

/** An open connection: the client the engine uses, and the nodes to SCAN (every master). */
export interface Connection {
  readonly client: Redis | Cluster
  /** Human-readable target, password hidden. */
  readonly label: string
  masters(): Redis[]
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

type Ioredis = Pick<typeof import('ioredis'), 'Redis' | 'Cluster'>

async function loadIoredis(): Promise<Ioredis> {
  try {
    const { Redis, Cluster } = await import('ioredis')
    return { Redis, Cluster }
  } catch {
    throw new CliError(EXIT.FAILURE, 'The command line needs ioredis: npm install ioredis')
  }
}

function withTimeout<T>(pending: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms (${what})`)), ms)
  })
  return Promise.race([pending, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Connects with a deadline and no retries: an unreachable Redis is an error after `timeoutMs`,
 * never a hang. Commands keep the offline queue (cluster node connections open lazily) but fail
 * with the connection because nothing reconnects, and each one has a `commandTimeout`.
 */
export async function connect(target: Target, timeoutMs: number): Promise<Connection> {
  const { Redis, Cluster } = await loadIoredis()
  const common = {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    // On disconnect ioredis waits up to this long for each socket's 'close' before destroying it.
    // A socket that failed to connect closed long before, so the default 2 s timer only kept the
    // process alive after the error was printed. Every command has answered by then: destroy at once.
    disconnectTimeout: 0,
  }
  const client =
    target.kind === 'redis'
      ? new Redis(target.url, { ...common, retryStrategy: () => null })
      : new Cluster(target.nodes, {
          lazyConnect: true,
          clusterRetryStrategy: () => null,
          slotsRefreshTimeout: timeoutMs,
          redisOptions: common,
        })
  const label =
    target.kind === 'redis'
      ? redactUrl(target.url)
      : `cluster ${target.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`
  let lastError: Error | undefined
  client.on('error', (error: Error) => {
    lastError = error
  })
  if (target.kind === 'cluster') client.on('node error', () => {})
  const close = () => client.disconnect()
  try {
    await withTimeout(client.connect(), timeoutMs, 'connect')
    await withTimeout(client.ping(), timeoutMs, 'PING')
  } catch (error) {
    close()
    const reason = lastError?.message ?? (error as Error).message
    throw new CliError(
      EXIT.UNREACHABLE,
      `Cannot reach Redis at ${label}: ${reason} (timeout ${timeoutMs} ms; see --timeout)`,
    )
  }
  // ioredis reports a failed SELECT (a database the server does not have) as an event and goes
  // on with database 0: the command would read, or delete, keys of the wrong database.
  if (lastError) {
    close()
    throw new CliError(EXIT.UNREACHABLE, `Cannot use Redis at ${label}: ${lastError.message}`)
  }
  if (target.kind === 'redis' && (await isClusterNode(client as Redis))) {
    close()
    throw new CliError(
      EXIT.USAGE,
      `${label} is a Redis Cluster node: pass --cluster host:port[,host:port…] instead of --redis`,
    )
  }
  return {
    client,
    label,
    masters: () => (target.kind === 'redis' ? [client as Redis] : (client as Cluster).nodes('master')),
    close,
  }
}

async function isClusterNode(client: Redis): Promise<boolean> {
  try {
    return /cluster_enabled:1/.test(await client.info('cluster'))
  } catch {
    return false // INFO may be renamed or disabled on managed Redis
  }
}
