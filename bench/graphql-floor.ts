/**
 * The floor of the GraphQL bench: the least work any per-field limiter that keeps its state in
 * Redis could do on this schema, and so the most it could gain over graphql-rate-limit-directive.
 * Every field returns a promise (its check is asynchronous, and graphql-js then awaits it), and the
 * fields of one operation share one round trip: one script call that counts each field's key with
 * a bare `INCR` — no window, no expiry, no answer read, no headers, nothing a real limiter can do
 * without. Not a limiter: a yardstick for what the rest of the stack costs.
 */
import { MapperKind, mapSchema } from '@graphql-tools/utils'
import { defaultFieldResolver, type GraphQLSchema } from 'graphql'
import type { Redis } from 'ioredis'

const COUNT_ALL = 'for i = 1, #KEYS do redis.call("INCR", KEYS[i]) end return 0'

interface PendingCount {
  readonly keys: string[]
  readonly sent: Promise<unknown>
}

/** `schema` with every field of `Query` counted in Redis, one script call per operation. */
export function floorSchema(
  schema: GraphQLSchema,
  client: Redis,
  prefix: string,
  caller: (context: unknown) => string,
): GraphQLSchema {
  // EVALSHA, as RedisStore sends its script.
  client.defineCommand('benchFloorCount', { lua: COUNT_ALL })
  const counted = client as unknown as { benchFloorCount(...args: Array<string | number>): Promise<unknown> }
  const send = (keys: string[]): Promise<unknown> => counted.benchFloorCount(keys.length, ...keys)
  // Per operation (its context object): the keys gathered this tick and the promise of their call.
  const pending = new WeakMap<object, PendingCount>()
  return mapSchema(schema, {
    [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
      if (typeName !== 'Query') return field
      const resolve = field.resolve ?? defaultFieldResolver
      return {
        ...field,
        resolve: (source, args, context, info) => {
          let count = pending.get(context)
          if (count === undefined) {
            const keys: string[] = []
            // graphql-js starts every root field before awaiting any: they all join this call.
            const sent = new Promise<void>((ready) => queueMicrotask(ready)).then(() => {
              pending.delete(context)
              return send(keys)
            })
            count = { keys, sent }
            pending.set(context, count)
          }
          count.keys.push(`${prefix}{${caller(context)}}:${fieldName}`)
          return count.sent.then(() => resolve(source, args, context, info))
        },
      }
    },
  })
}
