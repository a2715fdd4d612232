/**
 * The Redis commands the API-key registry (`redis-api-keys.ts`) sends, over either client library:
 * ioredis (lower-case commands, positional arguments) or node-redis (camel-case commands, option
 * objects). The client is recognised by shape; neither library is imported. Every command and
 * script touches one key, so both work on Redis Cluster.
 */
import { RateLimitConfigError } from '../errors.js'

/** The ioredis shape: ioredis 5/6 `Redis` and `Cluster` satisfy it. */
export interface IoredisApiKeysClientLike {
  get(key: string): Promise<string | null>
  set(key: string, value: string): Promise<unknown>
  set(key: string, value: string, expiry: 'PX', milliseconds: number): Promise<unknown>
  del(key: string): Promise<number>
  srem(key: string, member: string): Promise<unknown>
  smembers(key: string): Promise<string[]>
  eval(script: string, numKeys: number, ...args: Array<string | number>): Promise<unknown>
}

/** The node-redis shape: node-redis 5/6 `createClient()` and `createCluster()` satisfy it. */
export interface NodeRedisApiKeysClientLike {
  get(key: string): Promise<unknown>
  set(key: string, value: string, options?: { expiration: { type: 'PX'; value: number } }): Promise<unknown>
  del(keys: string[]): Promise<unknown>
  sRem(key: string, members: string[]): Promise<unknown>
  sMembers(key: string): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

/**
 * The Redis commands the key registry uses: an ioredis or a node-redis client, single node or
 * Cluster. The package imports neither library.
 */
export type RedisApiKeysClientLike = IoredisApiKeysClientLike | NodeRedisApiKeysClientLike

/** What the registry sends, whatever the library. */
export interface RegistryCommands {
  get(key: string): Promise<string | null>
  /** SET, with a TTL in milliseconds when given. */
  set(key: string, value: string, ttlMs?: number): Promise<unknown>
  /** DEL of one key; how many keys existed. */
  del(key: string): Promise<number>
  srem(key: string, member: string): Promise<unknown>
  smembers(key: string): Promise<string[]>
  eval(script: string, keys: string[], args: string[]): Promise<unknown>
}

const text = (value: unknown): string | null => (value === null || value === undefined ? null : String(value))

function fromIoredis(client: IoredisApiKeysClientLike): RegistryCommands {
  return {
    get: (key) => client.get(key),
    set: (key, value, ttlMs) =>
      ttlMs === undefined ? client.set(key, value) : client.set(key, value, 'PX', ttlMs),
    del: (key) => client.del(key),
    srem: (key, member) => client.srem(key, member),
    smembers: (key) => client.smembers(key),
    eval: (script, keys, args) => client.eval(script, keys.length, ...keys, ...args),
  }
}

function fromNodeRedis(client: NodeRedisApiKeysClientLike): RegistryCommands {
  return {
    get: async (key) => text(await client.get(key)),
    set: (key, value, ttlMs) =>
      ttlMs === undefined
        ? client.set(key, value)
        : client.set(key, value, { expiration: { type: 'PX', value: ttlMs } }),
    del: async (key) => Number(await client.del([key])),
    srem: (key, member) => client.sRem(key, [member]),
    // A RESP3 set reply may be mapped to a Set by the client's type mapping.
    smembers: async (key) => Array.from((await client.sMembers(key)) as Iterable<unknown>, String),
    eval: (script, keys, args) => client.eval(script, { keys, arguments: args }),
  }
}

const has = (client: object, method: string) =>
  typeof (client as Record<string, unknown>)[method] === 'function'

/**
 * The registry's commands over `client`.
 * @throws RateLimitConfigError (`INVALID_OPTION`) when `client` has neither shape.
 */
export function registryCommands(client: unknown): RegistryCommands {
  if (typeof client === 'object' && client !== null && has(client, 'get') && has(client, 'eval')) {
    if (has(client, 'smembers') && has(client, 'srem')) return fromIoredis(client as IoredisApiKeysClientLike)
    if (has(client, 'sMembers') && has(client, 'sRem'))
      return fromNodeRedis(client as NodeRedisApiKeysClientLike)
  }
  throw new RateLimitConfigError(
    'INVALID_OPTION',
    'Expected `client` to be an ioredis Redis or Cluster (with get, set, del, srem, smembers, eval) or a ' +
      'node-redis createClient() or createCluster() client (with get, set, del, sRem, sMembers, eval)',
  )
}
