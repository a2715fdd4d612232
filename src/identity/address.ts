/**
 * IP address parsing and grouping, on top of ipaddr.js (a well-kept parser) rather than
 * hand-written string handling: a caller must not get a new bucket by spelling one address
 * differently.
 */
import ipaddr from 'ipaddr.js'

/** A parsed address. */
export type Address = ipaddr.IPv4 | ipaddr.IPv6

/** Default IPv6 grouping: one bucket per /56, the smallest prefix ISPs commonly delegate to a customer. */
export const DEFAULT_IPV6_SUBNET = 56

/** Longest string treated as an address: an IPv6 address with a zone id and a port fits easily. */
const MAX_ADDRESS_LENGTH = 100
/** Four decimal parts without leading zeros (which some parsers read as octal), optional port. */
const IPV4 = /^((?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3})(?::\d{1,5})?$/
const BRACKETED = /^\[([^\]]+)\](?::\d{1,5})?$/

/**
 * Parses an address as sockets and proxies write it: `203.0.113.7`, `203.0.113.7:4711`,
 * `2001:db8::1`, `[2001:db8::1]:4711`, `fe80::1%eth0`. IPv4 must be four decimal parts (no
 * `127.1` or `0x7f.0.0.1` shorthands: no socket or proxy writes them). Returns `undefined` for
 * anything else (`unknown`, obfuscated RFC 7239 identifiers, garbage); never throws.
 */
export function parseAddress(value: unknown): Address | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ADDRESS_LENGTH) return undefined
  const text = value.trim()
  // The shape is checked first: ipaddr.js validates by throwing, which costs ~30 µs per miss.
  const v4 = IPV4.exec(text)
  const v6 = v4 ? undefined : (BRACKETED.exec(text)?.[1] ?? (text.includes(':') ? text : undefined))
  try {
    if (v4) return ipaddr.IPv4.parse(v4[1]!)
    if (v6) return ipaddr.IPv6.parse(v6)
  } catch {
    // An octet above 255 or a malformed IPv6 address: not an address.
  }
  return undefined
}

/**
 * The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, `::ffff:0102:0304`,
 * `0:0:0:0:0:ffff:1.2.3.4`, …), judged by its bits, not its spelling; other addresses unchanged.
 */
export function unwrapMapped(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address
}

/** Zeroes every bit of an IPv6 address after the first `bits`. */
function network(address: ipaddr.IPv6, bits: number): ipaddr.IPv6 {
  const parts = address.parts.map((part, i) => {
    const kept = Math.min(16, Math.max(0, bits - i * 16))
    return kept === 16 ? part : kept === 0 ? 0 : part & (0xffff << (16 - kept)) & 0xffff
  })
  return new ipaddr.IPv6(parts)
}

/**
 * The bucket an address counts under: the IPv4 address itself (mapped IPv6 unwrapped), or the
 * IPv6 subnet of `ipv6Subnet` bits in canonical form, e.g. `2001:db8:0:100::/56`. One host owns a
 * whole /64 or more, so counting single IPv6 addresses would hand it billions of buckets.
 *
 * @example addressBucket(parseAddress('2001:db8:0:1ff::7')!, 56) // '2001:db8:0:100::/56'
 */
export function addressBucket(address: Address, ipv6Subnet: number = DEFAULT_IPV6_SUBNET): string {
  const plain = unwrapMapped(address)
  if (plain.kind() === 'ipv4') return plain.toString()
  return `${network(plain as ipaddr.IPv6, ipv6Subnet).toRFC5952String()}/${ipv6Subnet}`
}

/** An address range: a parsed network address and its prefix length. */
export type AddressRange = readonly [Address, number]

/**
 * Parses `10.0.0.0/8`, `2001:db8::/32` or a single address (a /32 or /128). IPv4-mapped ranges
 * (`::ffff:10.0.0.0/104`) become IPv4 ranges so they match unwrapped addresses. `undefined` when
 * the text is neither.
 */
export function parseRange(text: string): AddressRange | undefined {
  if (typeof text !== 'string') return undefined
  if (!text.includes('/')) {
    const single = parseAddress(text)
    if (!single) return undefined
    const plain = unwrapMapped(single)
    return [plain, plain.kind() === 'ipv4' ? 32 : 128]
  }
  if (!ipaddr.isValidCIDR(text)) return undefined
  const [base, bits] = ipaddr.parseCIDR(text)
  if (base.kind() === 'ipv6' && bits >= 96 && (base as ipaddr.IPv6).isIPv4MappedAddress()) {
    return [(base as ipaddr.IPv6).toIPv4Address(), bits - 96]
  }
  return [base, bits]
}

/** Whether an address (mapped IPv6 unwrapped) lies in one of the ranges. */
export function inRanges(address: Address, ranges: readonly AddressRange[]): boolean {
  const plain = unwrapMapped(address)
  const kind = plain.kind()
  for (const [base, bits] of ranges) {
    if (base.kind() === kind && plain.match(base, bits)) return true
  }
  return false
}
