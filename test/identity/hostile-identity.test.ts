/**
 * The identity chain under attack: forwarding headers, sockets and key records of every odd shape
 * a client (or a stale database row) can produce. Property tests with fast-check: whatever the
 * input, a client never chooses its own bucket, nothing throws but the documented errors, and the
 * work per request stays bounded.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addressBucket, inRanges, parseAddress, parseRange } from '../../src/identity/address.js'
import { createApiKeyResolver } from '../../src/identity/api-keys.js'
import { createClientIp } from '../../src/identity/client-ip.js'
import { definePlans, IdentityError } from '../../src/index.js'

const TRUSTED = ['10.0.0.0/8', 'fd00::/8']
const byList = createClientIp({ trustProxy: TRUSTED })
const byListForwarded = createClientIp({ trustProxy: TRUSTED, proxyHeader: 'forwarded' })

/** Pieces of forwarding headers: addresses in many spellings, and the syntax that breaks parsers. */
const piece = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.constantFrom(
    '10.0.0.1',
    '10.255.255.255',
    'fd00::1',
    '::ffff:10.0.0.1',
    '::ffff:203.0.113.9',
    '[fe80::1%eth0]:80',
    'fe80::1%25eth0',
    '203.0.113.9:443',
    '01.2.3.4',
    '1.2.3.4%eth0',
    'unknown',
    '_hidden',
    'for=',
    'for="',
    '"',
    ';',
    ',',
    ' ',
    'for="[2001:db8::1]:4711"',
    'FOR=10.0.0.2',
    'by=10.0.0.1;for=6.6.6.6',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 12 }),
)
const header = fc
  .tuple(fc.array(piece, { maxLength: 40 }), fc.constantFrom(',', ', ', ';', ' '))
  .map(([parts, separator]) => parts.join(separator))
const hugeHeader = fc
  .tuple(piece, fc.integer({ min: 100, max: 12_000 }))
  .map(([p, n]) => `${p}, `.repeat(n).slice(0, 64_000))

/** Sockets that report no address: a reset TCP connection, a closed server, a hostile proxy object. */
const noAddressSocket = fc.constantFrom<object | null | undefined>(
  undefined,
  null,
  {},
  { remoteAddress: undefined },
  { remoteAddress: undefined, server: null },
  { remoteAddress: undefined, server: {} },
  { remoteAddress: undefined, server: { address: () => null } },
  { remoteAddress: undefined, server: { address: () => ({ address: '0.0.0.0', family: 'IPv4', port: 80 }) } },
  { remoteAddress: undefined, server: { address: () => 7 } },
  {
    remoteAddress: undefined,
    server: {
      address() {
        throw new Error('EBADF')
      },
    },
  },
  {
    get remoteAddress(): string {
      throw new Error('ERR_HTTP2_NO_SOCKET_MANIPULATION')
    },
  },
)

const request = (socket: unknown, headers: Record<string, string>) => ({ req: { headers, socket } })

describe('forwarding headers behind an address list of trusted proxies', () => {
  it('are never believed when the socket has no address and the server does not listen on a path', () => {
    fc.assert(
      fc.property(noAddressSocket, header, header, (socket, xff, forwarded) => {
        const headers = { 'x-forwarded-for': xff, forwarded }
        expect(byList(request(socket, headers))).toBeUndefined()
        expect(byListForwarded(request(socket, headers))).toBeUndefined()
      }),
      { numRuns: 300 },
    )
  })

  it('never move a direct caller out of its own bucket, whatever they say', () => {
    const ranges = TRUSTED.map((text) => parseRange(text)!)
    const untrusted = fc
      .oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.ipV4().map((v4) => `::ffff:${v4}`),
      )
      .filter((peer) => !inRanges(parseAddress(peer)!, ranges))
    fc.assert(
      fc.property(untrusted, header, header, (peer, xff, forwarded) => {
        const own = addressBucket(parseAddress(peer)!)
        expect(byList(request({ remoteAddress: peer }, { 'x-forwarded-for': xff }))).toBe(own)
        expect(byListForwarded(request({ remoteAddress: peer }, { forwarded }))).toBe(own)
      }),
      { numRuns: 500 },
    )
  })

  it('name the proxy itself or an address the header really holds, never a string the client chose', () => {
    fc.assert(
      fc.property(header, fc.constantFrom('10.0.0.7', '::ffff:10.0.0.7', 'fd00::7'), (xff, proxy) => {
        const result = byList(request({ remoteAddress: proxy }, { 'x-forwarded-for': xff }))
        const candidates = new Set([addressBucket(parseAddress(proxy)!)])
        for (const entry of xff.split(',')) {
          const parsed = parseAddress(entry)
          if (parsed) candidates.add(addressBucket(parsed))
        }
        expect(candidates).toContain(result)
      }),
      { numRuns: 500 },
    )
  })

  it('read at most the end of a huge header, in bounded time', () => {
    const started = performance.now()
    fc.assert(
      fc.property(hugeHeader, (xff) => {
        byList(request({ remoteAddress: '10.0.0.1' }, { 'x-forwarded-for': xff }))
        byListForwarded(request({ remoteAddress: '10.0.0.1' }, { forwarded: xff }))
      }),
      { numRuns: 200 },
    )
    // 400 walks of headers up to 64 KB (only their tail is read); generous for a loaded machine,
    // far below a quadratic parser.
    expect(performance.now() - started).toBeLessThan(5_000)
  })

  it('give one bucket to every spelling of one address: zone ids, ports, mapped IPv4', () => {
    const spell = (values: string[]) =>
      new Set(values.map((v) => byList(request({ remoteAddress: '10.0.0.1' }, { 'x-forwarded-for': v }))))
    expect(spell(['fe80::1%1', 'fe80::1%eth0', 'fe80::1%25eth0', '[fe80::1%2]:80'])).toEqual(
      new Set(['fe80::/56']),
    )
    expect(
      spell([
        '203.0.113.9',
        '203.0.113.9:80',
        '::ffff:203.0.113.9',
        '::ffff:cb00:7109',
        '[::ffff:203.0.113.9]:1',
      ]),
    ).toEqual(new Set(['203.0.113.9']))
  })
})

describe('API key records of odd shapes', () => {
  const KEY = 'rk_odd-shapes-test-key-0123456789abcdefghijklmnopq'
  const plans = definePlans({ free: { name: 'free' }, pro: { name: 'pro', scale: 2 } })
  const value = fc.oneof(
    fc.constantFrom(
      undefined,
      null,
      '',
      'free',
      'Free',
      'FREE',
      'pro ',
      '__proto__',
      'constructor',
      'toString',
      'x'.repeat(100_000),
      0,
      -1,
      Number.NaN,
      [],
      ['free'],
      {},
      { name: 'free' },
      { name: 'pro', scale: 0 },
      { name: 'x', unlimited: 'yes' },
      KEY,
    ),
    fc.string({ maxLength: 20 }),
    fc.anything({ maxDepth: 2 }),
  )
  const record = fc.oneof(
    fc.record({ owner: value, plan: value, limits: value }, { requiredKeys: [] }),
    fc.record({ owner: fc.string({ minLength: 1, maxLength: 10 }), plan: value }),
    value,
  )

  it('resolve to a caller or to API_KEY_MISCONFIGURED, never another error, never quoting the key', async () => {
    await fc.assert(
      fc.asyncProperty(record, async (answer) => {
        const resolve = createApiKeyResolver({ lookup: () => answer as never, plans, cacheTtlMs: 0 })
        try {
          const caller = await resolve(KEY)
          if (caller !== null) expect(caller.id).toMatch(/^key:[\w-]{22}$/)
        } catch (error) {
          expect(error).toBeInstanceOf(IdentityError)
          expect((error as IdentityError).code).toBe('API_KEY_MISCONFIGURED')
          const cause = (error as IdentityError).cause as Error
          expect(`${(error as Error).message}${cause.message}${cause.stack}`).not.toContain(KEY)
        }
      }),
      { numRuns: 400 },
    )
  })
})
