import { describeValue, invalidConfig } from '../errors.js'
import { type Address, type AddressRange, inRanges, parseAddress, parseRange } from './address.js'
import { UNIX_SOCKET } from './peer.js'

/**
 * Which proxies in front of the app are believed when they say who the client is:
 * - `false`: none; the socket address is the client (the default, and right without a proxy).
 * - a number `n`: the `n` nearest hops are your proxies (e.g. `1` behind one load balancer).
 * - addresses, CIDR ranges or the names `'loopback'`, `'linklocal'`, `'uniquelocal'`: a hop is a
 *   proxy when its address is in one of them.
 */
export type TrustProxy = false | number | string | readonly string[]

/** A compiled {@link TrustProxy}: how many hops, or which ranges. `null` trusts nothing. */
export type TrustPolicy = { readonly hops: number } | { readonly ranges: readonly AddressRange[] } | null

/** Most hops ever walked: bounds the work a long header can cause. */
export const MAX_TRUSTED_HOPS = 32

const NAMED_RANGES: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
}

function compileRanges(list: readonly unknown[], option: string): AddressRange[] {
  const ranges: AddressRange[] = []
  for (const entry of list) {
    const named =
      typeof entry === 'string' && Object.hasOwn(NAMED_RANGES, entry) ? NAMED_RANGES[entry] : undefined
    const texts = named ?? [entry]
    for (const text of texts) {
      const range = typeof text === 'string' ? parseRange(text.trim()) : undefined
      if (!range) {
        invalidConfig(
          `Expected \`${option}\` to be a list of addresses, CIDR ranges ('10.0.0.0/8', '2001:db8::/32') or 'loopback' / 'linklocal' / 'uniquelocal'; ${describeValue(entry)} is none of these`,
        )
      }
      ranges.push(range)
    }
  }
  return ranges
}

/**
 * Validates and compiles `trustProxy` once, when `identify` is built.
 * @throws RateLimitConfigError (`INVALID_OPTION`) naming the option and what is allowed.
 */
export function compileTrustProxy(value: unknown, option = 'trustProxy'): TrustPolicy {
  if (value === undefined || value === false || value === 0) return null
  if (value === true) {
    invalidConfig(
      `Expected \`${option}\` to be false, a number of proxies or a list of their addresses; \`true\` would believe any X-Forwarded-For a client writes. Behind one load balancer use 1`,
    )
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0 || value > MAX_TRUSTED_HOPS) {
      invalidConfig(
        `Expected \`${option}\` to be an integer from 0 to ${MAX_TRUSTED_HOPS} (the number of proxies in front of the app), got ${describeValue(value)}`,
      )
    }
    return { hops: value }
  }
  const list = typeof value === 'string' ? [value] : value
  if (!Array.isArray(list) || list.length === 0) {
    invalidConfig(
      `Expected \`${option}\` to be false, a number of proxies or a non-empty list of their addresses/CIDR ranges, got ${describeValue(value)}`,
    )
  }
  return { ranges: compileRanges(list, option) }
}

/** The connection's peer as `pickClient` sees it: parsed, a proven Unix socket, or unknown. */
export type SocketPeer = Address | typeof UNIX_SOCKET | undefined

function trusts(policy: NonNullable<TrustPolicy>, hop: number, peer: SocketPeer): boolean {
  if ('hops' in policy) return hop < policy.hops
  // Only a local process (your proxy) can connect to a Unix socket. An unknown peer (a closed
  // socket, a Fetch request) proves nothing: believing it would believe any header.
  if (peer === UNIX_SOCKET) return hop === 0
  return peer !== undefined && inRanges(peer, policy.ranges)
}

/**
 * Walks from the socket outwards through the forwarded entries (nearest proxy last) while each
 * hop is a trusted proxy, and returns the first address not vouched for by a trusted proxy: the
 * client. An entry that is not an address stops the walk at the hop that wrote it, so a client
 * can never choose its own bucket with garbage. `undefined` when nothing is known (an unknown
 * peer, or a Unix socket whose proxy named nobody).
 */
export function pickClient(
  socket: SocketPeer,
  entries: readonly string[],
  policy: TrustPolicy,
): Address | undefined {
  const known = (peer: SocketPeer) => (peer === UNIX_SOCKET ? undefined : peer)
  if (policy === null) return known(socket)
  let current = socket
  const hops = Math.min(entries.length, MAX_TRUSTED_HOPS)
  for (let hop = 0; hop < hops; hop++) {
    if (!trusts(policy, hop, current)) return known(current)
    const next = parseAddress(entries[entries.length - 1 - hop])
    if (!next) return known(current)
    current = next
  }
  return known(current)
}
