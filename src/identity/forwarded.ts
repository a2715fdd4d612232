/**
 * Forwarding headers → the addresses they list, nearest proxy LAST (the order proxies append in).
 *
 * Parsing is deliberately naive (split on `,` and `;`, no quoted-string state): the entries a
 * trusted proxy appended are at the right end, and a client who controls the left part must not
 * be able to shift them with an unbalanced quote. A value that splitting breaks is just an entry
 * that is not an address, which stops the walk at a trusted hop (see `pickClient`).
 */

/** Which header a trusted proxy writes the client address into. */
export type ProxyHeader = 'x-forwarded-for' | 'forwarded' | (string & {})

/** Only the end of a header is read: trusted entries are appended on the right. */
const MAX_HEADER_TAIL = 4096

/** The last `MAX_HEADER_TAIL` characters split on commas; a partial first piece is dropped. */
function tailElements(header: string): string[] {
  const cut = header.length > MAX_HEADER_TAIL
  const elements = (cut ? header.slice(-MAX_HEADER_TAIL) : header).split(',')
  if (cut) elements.shift()
  return elements
}

/** The `for` parameter of one RFC 7239 element (`for=192.0.2.60;proto=https`), unquoted. */
function forParameter(element: string): string {
  for (const pair of element.split(';')) {
    const at = pair.indexOf('=')
    if (at < 0 || pair.slice(0, at).trim().toLowerCase() !== 'for') continue
    const value = pair.slice(at + 1).trim()
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value
  }
  return ''
}

/**
 * The addresses listed by `header` (its value as received), nearest proxy last, at most `max`.
 * `x-forwarded-for`: comma-separated addresses. `forwarded`: RFC 7239 elements, their `for=`
 * values (`unknown` and obfuscated `_id` values are kept as non-addresses). Any other header
 * (`x-real-ip`, `cf-connecting-ip`, …) holds one address; if it arrived several times, only the
 * last value counts.
 *
 * @example forwardedEntries('x-forwarded-for', '198.51.100.1, 203.0.113.7', 8) // ['198.51.100.1', '203.0.113.7']
 */
export function forwardedEntries(name: ProxyHeader, header: string | undefined, max: number): string[] {
  if (!header) return []
  const elements = tailElements(header)
  const values = name === 'forwarded' ? elements.map(forParameter) : elements.map((e) => e.trim())
  if (name !== 'x-forwarded-for' && name !== 'forwarded') return values.slice(-1)
  return values.length > max ? values.slice(-max) : values
}
