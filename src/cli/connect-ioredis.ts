/**
 * The command line's connection through ioredis (see `connect.ts`): commands keep the offline
 * queue (cluster node connections open lazily) but fail with the connection because nothing
 * reconnects, and each one has a `commandTimeout`.
 */
import type { Cluster, Redis } from 'ioredis'
import {
  type Connection,
  clusterNodeError,
  type ScanNode,
  type Target,
  targetLabel,
  unreachable,
  withTimeout,
} from './connect.js'
import { CliError, EXIT } from './errors.js'

type Ioredis = Pick<typeof import('ioredis'), 'Redis' | 'Cluster'>

const scanNode = (node: Redis): ScanNode => ({
  scan: (cursor, pattern, count) => node.scan(cursor, 'MATCH', pattern, 'COUNT', count),
})

/** Connects with ioredis; see {@link connect} in `connect.ts`. */
export async function connectIoredis(lib: Ioredis, target: Target, timeoutMs: number): Promise<Connection> {
  const client = createClient(lib, target, timeoutMs)
  const label = targetLabel(target)
  const close = () => client.disconnect()
  await verify(client, target, label, timeoutMs, close)
  return {
    client,
    storeClient: client,
    label,
    masters: () =>
      (target.kind === 'redis' ? [client as Redis] : (client as Cluster).nodes('master')).map(scanNode),
    close,
  }
}

/** A client (not yet connected) that never reconnects and gives each command `timeoutMs`. */
function createClient({ Redis, Cluster }: Ioredis, target: Target, timeoutMs: number): Redis | Cluster {
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
  return target.kind === 'redis'
    ? new Redis(target.url, { ...common, retryStrategy: () => null })
    : new Cluster(target.nodes, {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        slotsRefreshTimeout: timeoutMs,
        redisOptions: common,
      })
}

/**
 * Connects, PINGs and checks the client is usable as the target says; on failure closes it and
 * throws the `CliError` to print.
 */
async function verify(
  client: Redis | Cluster,
  target: Target,
  label: string,
  timeoutMs: number,
  close: () => void,
): Promise<void> {
  let lastError: Error | undefined
  client.on('error', (error: Error) => {
    lastError = error
  })
  if (target.kind === 'cluster') client.on('node error', () => {})
  try {
    await withTimeout(client.connect(), timeoutMs, 'connect')
    await withTimeout(client.ping(), timeoutMs, 'PING')
  } catch (error) {
    close()
    throw unreachable(label, lastError?.message ?? (error as Error).message, timeoutMs)
  }
  // ioredis reports a failed SELECT (a database the server does not have) as an event and goes
  // on with database 0: the command would read, or delete, keys of the wrong database.
  if (lastError) {
    close()
    throw new CliError(EXIT.UNREACHABLE, `Cannot use Redis at ${label}: ${lastError.message}`)
  }
  if (target.kind === 'redis' && (await isClusterNode(client as Redis))) {
    close()
    throw clusterNodeError(label)
  }
}

async function isClusterNode(client: Redis): Promise<boolean> {
  try {
    return /cluster_enabled:1/.test(await client.info('cluster'))
  } catch {
    return false // INFO may be renamed or disabled on managed Redis
  }
}
