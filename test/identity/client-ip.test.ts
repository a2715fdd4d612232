import { describe, expect, it } from 'vitest'
import { createClientIp } from '../../src/identity/client-ip.js'
import { RateLimitConfigError } from '../../src/index.js'

/** A context as graphql-yoga on node:http or tRPC standalone gives it: `req` is an IncomingMessage. */
const ctx = (remoteAddress: string | undefined, headers: Record<string, string | string[]> = {}) => ({
  req: { headers, socket: { remoteAddress } },
})

const SPOOFS = {
  'x-forwarded-for': '6.6.6.6',
  forwarded: 'for=6.6.6.6',
  'x-real-ip': '6.6.6.6',
  'cf-connecting-ip': '6.6.6.6',
}

describe('client IP without trustProxy', () => {
  const clientIp = createClientIp()

  it('ignores spoofed X-Forwarded-For, Forwarded and X-Real-IP and uses the socket address', () => {
    expect(clientIp(ctx('203.0.113.7', SPOOFS))).toBe('203.0.113.7')
    expect(clientIp(ctx('::ffff:203.0.113.7', { 'x-forwarded-for': ['1.1.1.1', '2.2.2.2'] }))).toBe(
      '203.0.113.7',
    )
  })

  it('gives a client rotating spoofed headers one bucket, not one per request', () => {
    const seen = new Set<string | undefined>()
    for (let i = 0; i < 50; i++) {
      seen.add(
        clientIp(ctx('198.51.100.9', { 'x-forwarded-for': `10.0.${i}.1`, 'x-real-ip': `10.1.${i}.1` })),
      )
    }
    expect([...seen]).toEqual(['198.51.100.9'])
  })

  it('ignores forwarding headers even when the configured proxy header is set, as long as nothing is trusted', () => {
    const withHeader = createClientIp({ proxyHeader: 'x-real-ip' })
    expect(withHeader(ctx('203.0.113.7', SPOOFS))).toBe('203.0.113.7')
  })

  it('returns undefined when there is no socket address or it is not an address', () => {
    expect(clientIp(ctx(undefined, SPOOFS))).toBeUndefined()
    expect(clientIp(ctx('garbage'))).toBeUndefined()
    expect(clientIp({})).toBeUndefined()
    expect(clientIp(undefined)).toBeUndefined()
  })

  it('reads the peer address from getIp for Fetch-style servers', () => {
    const fetchIp = createClientIp<{ request: Request; peer: string }>({ getIp: (c) => c.peer })
    const request = new Request('http://x/graphql', { headers: { 'x-forwarded-for': '6.6.6.6' } })
    expect(fetchIp({ request, peer: '2001:db8::5' })).toBe('2001:db8::/56')
  })
})

describe('client IP with a hop count', () => {
  it('believes exactly the entry the outermost trusted proxy appended', () => {
    const one = createClientIp({ trustProxy: 1 })
    // The client wrote "6.6.6.6"; the load balancer appended the address it saw.
    expect(one(ctx('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }))).toBe('203.0.113.7')
    const two = createClientIp({ trustProxy: 2 })
    expect(two(ctx('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.0.0.1' }))).toBe('203.0.113.7')
  })

  it('uses the last known hop when the chain is shorter than the hop count (a request that skipped a proxy)', () => {
    const two = createClientIp({ trustProxy: 2 })
    expect(two(ctx('10.0.0.2', { 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7')
    expect(two(ctx('10.0.0.2'))).toBe('10.0.0.2')
  })

  it('stops at an entry that is not an address, attributing the request to the hop that wrote it', () => {
    const two = createClientIp({ trustProxy: 2 })
    expect(two(ctx('10.0.0.2', { 'x-forwarded-for': '203.0.113.7, unknown' }))).toBe('10.0.0.2')
    expect(two(ctx('10.0.0.2', { 'x-forwarded-for': 'junk-from-client, 10.0.0.1' }))).toBe('10.0.0.1')
  })

  it('reads RFC 7239 Forwarded, with quoted IPv6, ports and other parameters', () => {
    const one = createClientIp({ trustProxy: 1, proxyHeader: 'forwarded' })
    const header = 'for=6.6.6.6;proto=http, For="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.2'
    expect(one(ctx('10.0.0.2', { forwarded: header }))).toBe('2001:db8:cafe::/56')
    expect(one(ctx('10.0.0.2', { forwarded: 'for="203.0.113.43:47011"' }))).toBe('203.0.113.43')
    expect(one(ctx('10.0.0.2', { forwarded: 'for=unknown' }))).toBe('10.0.0.2')
    expect(one(ctx('10.0.0.2', { forwarded: 'for=_hidden' }))).toBe('10.0.0.2')
  })

  it('cannot be shifted by an unbalanced quote the client put in Forwarded', () => {
    const one = createClientIp({ trustProxy: 1, proxyHeader: 'forwarded' })
    expect(one(ctx('10.0.0.2', { forwarded: 'for="6.6.6.6, for=203.0.113.7' }))).toBe('203.0.113.7')
  })

  it('takes only the last value of a single-address header such as X-Real-IP', () => {
    const one = createClientIp({ trustProxy: 1, proxyHeader: 'x-real-ip' })
    expect(one(ctx('10.0.0.2', { 'x-real-ip': '203.0.113.7' }))).toBe('203.0.113.7')
    expect(one(ctx('10.0.0.2', { 'x-real-ip': ['6.6.6.6', '203.0.113.7'] }))).toBe('203.0.113.7')
    const three = createClientIp({ trustProxy: 3, proxyHeader: 'x-real-ip' })
    expect(three(ctx('10.0.0.2', { 'x-real-ip': '6.6.6.6, 203.0.113.7' }))).toBe('203.0.113.7')
  })

  it('walks the header behind a socket whose address is lost: the hop count vouches for the topology', () => {
    const one = createClientIp({ trustProxy: 1 })
    expect(one(ctx(undefined, { 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7')
  })

  it('reads only the end of a huge header, where trusted proxies append', () => {
    const one = createClientIp({ trustProxy: 1 })
    const huge = `${'6.6.6.6, '.repeat(1500)}203.0.113.7`
    expect(one(ctx('10.0.0.2', { 'x-forwarded-for': huge }))).toBe('203.0.113.7')
    // However long: dropping a long header would count the client under its proxy's address.
    const fetchIp = createClientIp({ trustProxy: 1, getIp: () => '10.0.0.2' })
    const request = new Request('http://x/', {
      headers: { 'x-forwarded-for': `${'1.2.3.4,'.repeat(100_000)}203.0.113.8` },
    })
    expect(fetchIp({ request })).toBe('203.0.113.8')
    const listed = createClientIp({ trustProxy: ['10.0.0.0/8'] })
    const padded = { 'x-forwarded-for': `${'6.6.6.6, '.repeat(10_000)}203.0.113.9, 10.0.0.7` }
    expect(listed(ctx('10.0.0.2', padded))).toBe('203.0.113.9')
  })
})

describe('client IP with a list of trusted addresses', () => {
  const clientIp = createClientIp({ trustProxy: ['10.0.0.0/8', '2001:db8:ffff::/48', '192.0.2.1'] })

  it('walks back through trusted proxies and stops at the first address none of them is', () => {
    expect(clientIp(ctx('10.0.0.2', { 'x-forwarded-for': '6.6.6.6, 203.0.113.7, 10.9.9.9' }))).toBe(
      '203.0.113.7',
    )
    expect(clientIp(ctx('192.0.2.1', { 'x-forwarded-for': '203.0.113.7, 2001:db8:ffff::1' }))).toBe(
      '203.0.113.7',
    )
  })

  it('ignores the header when the socket is not a trusted proxy (a direct connection)', () => {
    expect(clientIp(ctx('203.0.113.99', { 'x-forwarded-for': '6.6.6.6' }))).toBe('203.0.113.99')
    expect(clientIp(ctx('192.0.2.2', { 'x-forwarded-for': '6.6.6.6' }))).toBe('192.0.2.2')
  })

  it('matches IPv4-mapped sockets and mapped CIDRs against IPv4 ranges', () => {
    expect(clientIp(ctx('::ffff:10.1.2.3', { 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7')
    const mapped = createClientIp({ trustProxy: ['::ffff:10.0.0.0/104'] })
    expect(mapped(ctx('10.1.2.3', { 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7')
  })

  it('returns the outermost proxy when every hop is trusted', () => {
    expect(clientIp(ctx('10.0.0.2', { 'x-forwarded-for': '10.0.0.1' }))).toBe('10.0.0.1')
  })

  it('accepts the named ranges loopback, linklocal and uniquelocal', () => {
    const named = createClientIp({ trustProxy: ['loopback', 'uniquelocal'] })
    expect(named(ctx('127.0.0.1', { 'x-forwarded-for': '203.0.113.7, 192.168.1.1' }))).toBe('203.0.113.7')
    expect(named(ctx('::1', { 'x-forwarded-for': '203.0.113.7, fd00::1' }))).toBe('203.0.113.7')
  })
})

/** A socket with no address (reset by the client, or a Unix socket) accepted by a server listening on `on`. */
const lost = (on: unknown, headers: Record<string, string> = {}) => ({
  req: { headers, socket: { remoteAddress: undefined, server: { address: () => on } } },
})

describe('client IP when the socket has no address', () => {
  const list = createClientIp({ trustProxy: ['10.0.0.0/8', 'loopback'] })
  const forged = { 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }

  it('does not believe forwarding headers on a TCP server (a client reset its connection): unknown', () => {
    expect(list(lost({ address: '0.0.0.0', family: 'IPv4', port: 4000 }, forged))).toBeUndefined()
    expect(list(lost(null, forged))).toBeUndefined() // the server has closed
    expect(list({ req: { headers: forged, socket: { remoteAddress: undefined } } })).toBeUndefined()
    expect(list({ req: { headers: forged, socket: null } })).toBeUndefined()
    expect(list({ request: new Request('http://x/', { headers: forged }) })).toBeUndefined()
  })

  it('treats it as the first trusted hop when the server listens on a Unix domain socket', () => {
    expect(list(lost('/run/app.sock', forged))).toBe('203.0.113.7')
    // The proxy wrote nothing: nobody to count by.
    expect(list(lost('/run/app.sock'))).toBeUndefined()
    expect(createClientIp()(lost('/run/app.sock', forged))).toBeUndefined()
  })

  it('never trusts an address from getIp that is missing, empty or not an address', () => {
    for (const peer of [undefined, null, '', 'garbage', '10.0.0.1/8']) {
      const fetchIp = createClientIp({ trustProxy: ['10.0.0.0/8'], getIp: () => peer })
      expect(fetchIp({ request: new Request('http://x/', { headers: forged }) })).toBeUndefined()
    }
  })

  it('survives a socket or server whose properties throw', () => {
    const hostile = {
      req: {
        headers: forged,
        socket: {
          get remoteAddress(): string {
            throw new Error('no socket manipulation')
          },
          server: {
            address() {
              throw new Error('EBADF')
            },
          },
        },
      },
    }
    expect(list(hostile)).toBeUndefined()
  })
})

describe('client IP options', () => {
  const fails = (options: Parameters<typeof createClientIp>[0], pattern: RegExp) => {
    let error: unknown
    try {
      createClientIp(options)
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(RateLimitConfigError)
    expect((error as RateLimitConfigError).code).toBe('INVALID_OPTION')
    expect((error as Error).message).toMatch(pattern)
  }

  it('are validated when built, with errors naming the option and what is allowed', () => {
    fails({ trustProxy: true as never }, /`trustProxy`.*`true` would believe/)
    fails({ trustProxy: -1 }, /`trustProxy`.*integer from 0 to 32/)
    fails({ trustProxy: 1.5 }, /`trustProxy`/)
    fails({ trustProxy: ['10.0.0.0/33'] }, /`trustProxy`.*"10\.0\.0\.0\/33" is none/)
    fails({ trustProxy: ['proxy.internal'] }, /`trustProxy`.*CIDR/)
    // Not a named range: Object.prototype's properties are not 'loopback' and friends.
    for (const name of ['constructor', 'toString', '__proto__'])
      fails({ trustProxy: [name] }, /`trustProxy`.*none of these/)
    fails({ trustProxy: [] }, /`trustProxy`.*non-empty list/)
    fails({ ipv6Subnet: 65 }, /`ipv6Subnet`.*32 to 64/)
    fails({ ipv6Subnet: 31 }, /`ipv6Subnet`/)
    fails({ proxyHeader: 'X-Forwarded-For' }, /`proxyHeader`.*lower-case/)
    fails({ getIp: 'ip' as never }, /`getIp`/)
  })

  it('accept 0 and false as "trust nothing"', () => {
    for (const trustProxy of [0, false] as const) {
      expect(createClientIp({ trustProxy })(ctx('203.0.113.7', SPOOFS))).toBe('203.0.113.7')
    }
  })
})
