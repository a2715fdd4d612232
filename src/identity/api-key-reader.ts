import { describeValue, invalidConfig } from '../errors.js'
import { headerOf, requestOf } from './request.js'

/** Where API keys are read from. Part of `ApiKeyOptions`. */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export interface ApiKeySourceOptions<TContext = any> {
  /** The header holding a key; `false` reads none. @default 'x-api-key' */
  header?: string | false
  /** Also read `Authorization: Bearer <key>` (after `header`). @default true */
  bearer?: boolean
  /**
   * Reads the key yourself (e.g. from WebSocket `connectionParams`); replaces `header` and `bearer`.
   * @example getKey: (ctx) => ctx.connectionParams?.apiKey
   */
  getKey?: (ctx: TContext) => string | null | undefined
  /**
   * Keys longer than this are ignored (treated like no key): they cannot be yours and must not
   * cost a lookup.
   * @default 256
   */
  maxLength?: number
  /**
   * The shape of your keys; a key that does not match is ignored without a lookup, so a client
   * spraying random strings never reaches your database. `createRedisApiKeys().pattern` fits its keys.
   * @example pattern: /^sk_[A-Za-z0-9_-]{43}$/
   */
  pattern?: RegExp
}

/** Returns the presented key when it is well-formed, else `undefined`. Never returns a key in any other form. */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export type ApiKeyReader<TContext = any> = (ctx: TContext) => string | undefined

/** Printable ASCII without spaces: what token68, `x-api-key` values and generated keys use. */
const KEY_CHARS = /^[\x21-\x7e]+$/
const BEARER = /^bearer +(\S+) *$/i
const HEADER_NAME = /^[a-z0-9-]{1,64}$/

function validateSource(options: ApiKeySourceOptions): void {
  const { header, bearer, getKey, maxLength, pattern } = options
  if (header !== undefined && header !== false && (typeof header !== 'string' || !HEADER_NAME.test(header))) {
    invalidConfig(
      `Expected \`apiKeys.header\` to be a lower-case header name such as 'x-api-key', or false, got ${describeValue(header)}`,
    )
  }
  if (bearer !== undefined && typeof bearer !== 'boolean')
    invalidConfig('Expected `apiKeys.bearer` to be true or false')
  if (getKey !== undefined && typeof getKey !== 'function')
    invalidConfig('Expected `apiKeys.getKey` to be a function (ctx) => key')
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 8 || maxLength > 4096)) {
    invalidConfig(
      `Expected \`apiKeys.maxLength\` to be an integer from 8 to 4096, got ${describeValue(maxLength)}`,
    )
  }
  if (pattern !== undefined && !(pattern instanceof RegExp))
    invalidConfig('Expected `apiKeys.pattern` to be a RegExp')
  if (pattern && (pattern.global || pattern.sticky)) {
    invalidConfig(
      'Expected `apiKeys.pattern` without the g or y flag (they make test() depend on the previous call)',
    )
  }
}

/**
 * Builds the function that reads a well-formed API key from a request context: `getKey`, else
 * the `header`, else `Authorization: Bearer`. Oversized, non-printable or pattern-failing keys
 * read as no key.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option.
 */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export function createApiKeyReader<TContext = any>(
  options: ApiKeySourceOptions<TContext>,
): ApiKeyReader<TContext> {
  validateSource(options)
  const { header = 'x-api-key', bearer = true, getKey, maxLength = 256, pattern } = options
  const wellFormed = (key: unknown): string | undefined =>
    typeof key === 'string' &&
    key.length <= maxLength &&
    KEY_CHARS.test(key) &&
    (!pattern || pattern.test(key))
      ? key
      : undefined
  if (getKey) return (ctx) => wellFormed(getKey(ctx))
  return (ctx) => {
    const request = requestOf(ctx)
    const direct = header ? headerOf(request, header) : undefined
    // Longer than any key even with surrounding spaces: no key, and no work on its length.
    if (direct !== undefined) return direct.length > maxLength + 16 ? undefined : wellFormed(direct.trim())
    if (!bearer) return undefined
    const authorization = headerOf(request, 'authorization')
    if (authorization === undefined || authorization.length > maxLength + 16) return undefined
    return wellFormed(BEARER.exec(authorization)?.[1])
  }
}
