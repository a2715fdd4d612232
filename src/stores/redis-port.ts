/**
 * The one port between `RedisStore` and a Redis client library. Each supported library (ioredis,
 * node-redis) has an adapter that turns its client into this shape; the store knows nothing else
 * about the client. Nothing here imports a Redis library: the adapters only call methods of the
 * object the user passed in.
 */
import { StoreError } from '../errors.js'

/** What `RedisStore` needs of a Redis client, whatever the library. */
export interface RedisPort {
  /** Which library the client comes from, for messages. */
  readonly library: 'ioredis' | 'node-redis'
  /** True for a Cluster client: a script call then only holds checks of one hash tag. */
  readonly isCluster: boolean
  /**
   * The option that stops the client from queueing commands while it is disconnected, when the
   * client has it off (so the store warns once), else undefined.
   */
  readonly offlineQueueAdvice: string | undefined
  /** EVALSHA; rejects with the server's error (`NOSCRIPT …`) as the client reports it. */
  evalsha(sha: string, keys: string[], argv: string[]): Promise<unknown>
  /** EVAL with the same arguments. */
  eval(script: string, keys: string[], argv: string[]): Promise<unknown>
  /** DEL of keys that share one hash tag. */
  del(keys: readonly string[]): Promise<unknown>
  ping(): Promise<unknown>
  /** The connection state as a word (`'ready'` when commands go out now), for messages and classification. */
  status(): string | undefined
  /** Why a command cannot be sent now (`STORE_UNAVAILABLE`), or undefined when it can. */
  refusal(): StoreError | undefined
  /**
   * What a failed command is: `STORE_UNAVAILABLE` when the connection was not there (before, while
   * or after it was sent), else the client's own error (a script or server error).
   */
  failure(sentWhile: string | undefined, error: unknown): unknown
}

/** `STORE_UNAVAILABLE` naming the client status, with the client's error as the cause. */
export function notConnected(status: string, cause?: unknown): StoreError {
  const why = cause instanceof Error ? `: ${cause.message}` : ''
  return new StoreError('STORE_UNAVAILABLE', `Redis is not connected (client status: ${status})${why}`, {
    cause,
  })
}
