import { describeValue, invalidConfig } from '../errors.js'
import { addressBucket, DEFAULT_IPV6_SUBNET, parseAddress } from './address.js'
import { forwardedEntries, type ProxyHeader } from './forwarded.js'
import { peerOf, UNIX_SOCKET } from './peer.js'
import { headerOf, requestOf } from './request.js'
import { compileTrustProxy, MAX_TRUSTED_HOPS, pickClient, type TrustProxy } from './trust-proxy.js'

/** Options of {@link createClientIp} (also accepted by `createIdentify`). */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export interface ClientIpOptions<TContext = any> {
  /**
   * Which proxies are believed about the client address. See {@link TrustProxy}.
   * @default false — the socket address is the client; forwarding headers are ignored
   */
  trustProxy?: TrustProxy
  /**
   * The header your trusted proxies write: `'x-forwarded-for'`, `'forwarded'` (RFC 7239) or a
   * single-address header such as `'x-real-ip'` or `'cf-connecting-ip'`. Only read when
   * `trustProxy` is set.
   * @default 'x-forwarded-for'
   */
  proxyHeader?: ProxyHeader
  /**
   * IPv6 callers are counted per subnet of this many bits (32 to 64).
   * @default 56
   */
  ipv6Subnet?: number
  /**
   * The peer address when the context has no Node request, e.g. Bun's `server.requestIP(req)`
   * or Deno's `info.remoteAddr`, passed through your context. `trustProxy` still applies on top;
   * `null`/`undefined` means unknown, which a list of trusted proxies never trusts.
   * @default reads `socket.remoteAddress` of `ctx.req` / `ctx.request` / `ctx.extra.request`;
   * a missing address is a Unix socket only when the server listens on a path
   * @example getIp: (ctx) => ctx.remoteAddress
   */
  getIp?: (ctx: TContext) => string | null | undefined
}

/** Returns the client's bucket (`203.0.113.7`, `2001:db8:0:100::/56`) or `undefined` when no address is known. */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export type ClientIp<TContext = any> = (ctx: TContext) => string | undefined

const HEADER_NAME = /^[a-z0-9-]{1,64}$/

/** Validates `ipv6Subnet`: an integer from 32 to 64. */
export function validateIpv6Subnet(value: unknown): number {
  if (value === undefined) return DEFAULT_IPV6_SUBNET
  if (!Number.isInteger(value) || (value as number) < 32 || (value as number) > 64) {
    invalidConfig(
      `Expected \`ipv6Subnet\` to be an integer from 32 to 64 (prefix length in bits), got ${describeValue(value)}`,
    )
  }
  return value as number
}

function validateProxyHeader(value: unknown): ProxyHeader {
  if (value === undefined) return 'x-forwarded-for'
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    invalidConfig(
      `Expected \`proxyHeader\` to be a lower-case header name such as 'x-forwarded-for', 'forwarded' or 'x-real-ip', got ${describeValue(value)}`,
    )
  }
  return value
}

/**
 * Builds the function that finds the client address of a request: the socket address, or, when
 * `trustProxy` says which hops are your proxies, the address the outermost trusted proxy saw.
 * Forwarding headers from anyone else are ignored (never an error). The result is grouped: IPv4
 * (IPv4-mapped IPv6 unwrapped, whatever its spelling) as is, IPv6 by `ipv6Subnet`.
 *
 * @example
 * const clientIp = createClientIp({ trustProxy: 1 })
 * clientIp({ req }) // '203.0.113.7'
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option that cannot work.
 */
// biome-ignore lint/suspicious/noExplicitAny: contexts are the user's own types.
export function createClientIp<TContext = any>(options: ClientIpOptions<TContext> = {}): ClientIp<TContext> {
  const policy = compileTrustProxy(options.trustProxy)
  const header = validateProxyHeader(options.proxyHeader)
  const subnet = validateIpv6Subnet(options.ipv6Subnet)
  const { getIp } = options
  if (getIp !== undefined && typeof getIp !== 'function')
    invalidConfig('Expected `getIp` to be a function (ctx) => address')
  return (ctx) => {
    const request = requestOf(ctx)
    const peer = getIp ? getIp(ctx) : peerOf(request)
    const socket = peer === UNIX_SOCKET ? peer : parseAddress(peer)
    // A peer address that does not parse is not a Unix socket: never trust headers behind it.
    if (typeof peer === 'string' && !socket) return undefined
    const entries = policy ? forwardedEntries(header, headerOf(request, header), MAX_TRUSTED_HOPS) : []
    const client = pickClient(socket, entries, policy)
    return client ? addressBucket(client, subnet) : undefined
  }
}
