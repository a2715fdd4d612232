import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { addressBucket, parseAddress } from '../../src/identity/address.js'
import { createClientIp } from '../../src/identity/client-ip.js'

const bucket = (text: string, subnet?: number) => {
  const address = parseAddress(text)
  return address ? addressBucket(address, subnet) : undefined
}

describe('parseAddress and addressBucket', () => {
  it('unwraps an IPv4-mapped IPv6 address by its bits, whatever its spelling', () => {
    const spellings = [
      '::ffff:1.2.3.4',
      '::ffff:0102:0304',
      '::FFFF:102:304',
      '0:0:0:0:0:ffff:1.2.3.4',
      '0000:0000:0000:0000:0000:ffff:0102:0304',
      '[::ffff:1.2.3.4]:443',
      '1.2.3.4',
      '1.2.3.4:8080',
    ]
    expect(spellings.map((s) => bucket(s))).toEqual(spellings.map(() => '1.2.3.4'))
  })

  it('groups IPv6 addresses by /56 by default, so one customer prefix is one bucket', () => {
    expect(bucket('2001:db8:0:1ff::7')).toBe('2001:db8:0:100::/56')
    expect(bucket('2001:db8:0:1ff:ffff:ffff:ffff:ffff')).toBe('2001:db8:0:100::/56')
    expect(bucket('2001:DB8:0:100:0:0:0:1')).toBe('2001:db8:0:100::/56')
    expect(bucket('2001:db8:0:200::1')).toBe('2001:db8:0:200::/56')
  })

  it('groups IPv6 by the configured subnet length, also across a 16-bit group boundary', () => {
    expect(bucket('2001:db8:abcd:12ff::1', 64)).toBe('2001:db8:abcd:12ff::/64')
    expect(bucket('2001:db8:abcd:12ff::1', 48)).toBe('2001:db8:abcd::/48')
    expect(bucket('2001:db8:abcd:c2ff::1', 50)).toBe('2001:db8:abcd:c000::/50')
    expect(bucket('2001:db8:ffff:ffff::1', 33)).toBe('2001:db8:8000::/33')
    expect(bucket('fe80::1%eth0', 64)).toBe('fe80::/64')
  })

  it('rejects what no socket or proxy writes: shorthand IPv4, hex parts, names, ports without brackets on IPv6', () => {
    for (const text of [
      '127.1',
      '1',
      '0x7f.0.0.1',
      'unknown',
      '_hidden',
      'localhost',
      '1.2.3.4.5',
      '256.1.1.1',
      '',
      ' ',
      '::1:80:',
      '[1.2.3.4]',
    ]) {
      expect(parseAddress(text), text).toBeUndefined()
    }
    expect(parseAddress('x'.repeat(10_000))).toBeUndefined()
    expect(parseAddress(undefined)).toBeUndefined()
    expect(parseAddress(42)).toBeUndefined()
  })

  it('never throws on arbitrary strings, and whatever parses is a canonical bucket', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.ipV4Extended()), (text) => {
        const address = parseAddress(text)
        if (address) expect(addressBucket(address)).toMatch(/^[0-9a-f.:]+(\/56)?$/)
      }),
      { numRuns: 2000 },
    )
  })

  it('gives every distinct IPv4 socket address its own bucket, never a shared one', () => {
    const clientIp = createClientIp()
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), (a, b) => {
        const ia = clientIp({ req: { headers: {}, socket: { remoteAddress: a } } })
        const ib = clientIp({ req: { headers: {}, socket: { remoteAddress: `::ffff:${b}` } } })
        expect(ia === ib).toBe(a === b)
      }),
      { numRuns: 500 },
    )
  })
})
