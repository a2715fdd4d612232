/**
 * Generators of hostile GraphQL operations for the cost analysis, on the schema of
 * test/graphql/cost/hostile-fixture.ts: deep and wide fragment spreads (each fragment spreading the
 * previous one twice, up to 2^28 paths, inside sized connections too), aliases (`__typename` among them), nested lists and lists of lists,
 * introspection repeated under aliases, `@skip` / `@include` with variables, slicing arguments
 * that are negative, huge, null or variables; and hostile variables: huge, non-finite, negative,
 * of the wrong type.
 */
import fc from 'fast-check'

/** A JSON value the request body renders as the literal `1e400` (JSON.parse turns it into Infinity). */
export const HUGE_NUMBER = '__HUGE_NUMBER__'

/** The request body of an operation, rendering {@link HUGE_NUMBER} markers as `1e400`. */
export function requestBody(query: string, variables: Record<string, unknown>): string {
  return JSON.stringify({ query, variables }).replaceAll(`"${HUGE_NUMBER}"`, '1e400')
}

const alias = fc.option(fc.constantFrom('a', 'b', 'x', '__typename', 'name', 'id'), {
  nil: undefined,
  freq: 3,
})
/** A slicing value where the argument is nullable (`first: Int`). */
const nullableSlice = fc.constantFrom('-1', '0', '1', '3', '500', '2147483647', '-2147483648', 'null', '$n')
/** A slicing value where the argument is non-null (`first: Int!`). */
const requiredSlice = fc.constantFrom('-1', '0', '1', '2', '3', '500', '2147483647', '$m')
const condition = fc.option(
  fc.constantFrom('@skip(if: $b)', '@include(if: $b)', '@skip(if: true)', '@include(if: false)'),
  {
    nil: '',
    freq: 3,
  },
)
/**
 * Spreads of the doubling fragment chains: `...I<depth>` on Item, `...P<depth>` on Person,
 * `...C<depth>` on ItemConnection (where `@listSize(sizedFields:)` sizes `nodes`).
 */
const spread = (prefix: 'I' | 'P' | 'C') =>
  fc.integer({ min: 0, max: 28 }).map((depth) => `...${prefix}${depth}`)

const field = (name: string, args = '') =>
  fc.tuple(alias, condition).map(([a, c]) => `${a ? `${a}: ` : ''}${name}${args} ${c}`)
const withSelection = (head: fc.Arbitrary<string>, selection: fc.Arbitrary<string>) =>
  fc.tuple(head, selection).map(([h, s]) => `${h} { ${s} }`)
const selections = (choices: fc.Arbitrary<string>[]) =>
  fc.array(fc.oneof(...choices), { minLength: 1, maxLength: 4 }).map((parts) => parts.join(' '))

/** Selections of an `Item` (recursive through `children`). */
function item(depth: number): fc.Arbitrary<string> {
  const leaves = [field('id'), field('name'), field('__typename'), spread('I')]
  if (depth <= 0) return selections(leaves)
  const children = withSelection(
    requiredSlice.chain((first) => field('children', `(first: ${first})`)),
    item(depth - 1),
  )
  return selections([...leaves, children])
}

/** Selections of a `Person` (recursive through `friends`). */
function person(depth: number): fc.Arbitrary<string> {
  const leaves = [field('name'), field('__typename'), spread('P')]
  if (depth <= 0) return selections(leaves)
  const friends = withSelection(
    requiredSlice.chain((first) => field('friends', `(first: ${first})`)),
    person(depth - 1),
  )
  return selections([...leaves, friends])
}

/** Lists nested deeply enough to overflow a double (`0 ×` that is NaN), sized by literals or `$m`. */
const overflow = fc
  .tuple(
    fc.constantFrom('0', '1', '$n'),
    fc.integer({ min: 20, max: 45 }),
    fc.constantFrom('2147483647', '$m'),
  )
  .map(([top, levels, size]) => {
    let selection = 'id'
    for (let i = 0; i < levels; i++) selection = `children(first: ${size}) { ${selection} }`
    return `paged(first: ${top}) { ${selection} }`
  })

const introspection = fc.oneof(
  fc
    .integer({ min: 1, max: 60 })
    .map((n) =>
      Array.from(
        { length: n },
        (_, i) => `s${i}: __schema { types { name fields { name type { name ofType { name } } } } }`,
      ).join(' '),
    ),
  fc.constant('__type(name: $t) { name fields { name args { name } } possibleTypes { name } }'),
  fc.constant('__schema { queryType { name } directives { name args { name } } }'),
)

/** Selections of `Query`. */
const query = fc.array(
  fc.oneof(
    withSelection(
      fc.tuple(nullableSlice, nullableSlice).chain(([f, l]) => field('items', `(first: ${f}, last: ${l})`)),
      item(2),
    ),
    withSelection(
      nullableSlice.chain((f) => field('paged', `(first: ${f})`)),
      item(2),
    ),
    withSelection(
      nullableSlice.chain((l) => field('page', `(last: ${l})`)),
      item(1),
    ),
    withSelection(
      requiredSlice.chain((s) => field('matrix', `(size: ${s})`)),
      item(1),
    ),
    withSelection(field('grid'), item(1)),
    withSelection(
      requiredSlice.chain((f) => field('connection', `(first: ${f})`)),
      fc.oneof(
        item(1).map((s) => `total nodes { ${s} }`),
        spread('C'),
      ),
    ),
    withSelection(
      requiredSlice.chain((f) => field('search', `(first: ${f}, term: $t)`)),
      person(2).map((p) => `__typename ... on Person { ${p} } ... on Doc { title }`),
    ),
    withSelection(field('entity'), fc.constant('id ... on Dear { __typename }')),
    withSelection(field('people'), person(2)),
    field('annotate', '(note: $s)'),
    introspection,
    overflow,
  ),
  { minLength: 1, maxLength: 5 },
)

const VARIABLES: Record<string, string> = { n: 'Int', m: 'Int!', b: 'Boolean!', t: 'String!', s: 'String' }

/** A document: the operation, the variables it uses (declared), and the fragment chains it spreads. */
export const hostileDocument = query.map((parts) => {
  const body = parts.join(' ')
  const used = Object.keys(VARIABLES).filter((name) => new RegExp(`\\$${name}\\b`).test(body))
  const declared = used.map((name) => `$${name}: ${VARIABLES[name]}`).join(', ')
  let fragments = ''
  for (const [prefix, type, leaf] of [
    ['I', 'Item', 'id'],
    ['P', 'Person', 'name'],
    ['C', 'ItemConnection', 'nodes { id }'],
  ] as const) {
    const depths = [...body.matchAll(new RegExp(`\\.\\.\\.${prefix}(\\d+)`, 'g'))].map((m) => Number(m[1]))
    if (depths.length === 0) continue
    fragments += `fragment ${prefix}0 on ${type} { ${leaf} }\n`
    for (let i = 1; i <= Math.max(...depths); i++) {
      fragments += `fragment ${prefix}${i} on ${type} { ...${prefix}${i - 1} ...${prefix}${i - 1} }\n`
    }
  }
  return `query Q${used.length > 0 ? `(${declared})` : ''} { ${body} }\n${fragments}`
})

const hostileNumber = fc.oneof(
  fc.integer({ min: -3, max: 600 }),
  fc.constantFrom(
    2147483647,
    -2147483648,
    2147483648,
    2.5,
    -0.5,
    1e308,
    HUGE_NUMBER,
    Number.MAX_SAFE_INTEGER,
  ),
)
const wrongType = fc.constantFrom<unknown>('1000', '', null, true, [1], { first: 1 }, 'x'.repeat(50_000))

/** Variables for {@link hostileDocument}: right types, wrong types, huge and non-finite values. */
export const hostileVariables = fc.record(
  {
    n: fc.oneof({ arbitrary: hostileNumber, weight: 4 }, wrongType),
    m: fc.oneof({ arbitrary: hostileNumber, weight: 4 }, wrongType),
    b: fc.oneof({ arbitrary: fc.boolean(), weight: 4 }, wrongType),
    t: fc.oneof(
      { arbitrary: fc.constantFrom('Person', 'Item', 'Doc', 'Query', 'Nope'), weight: 4 },
      wrongType,
    ),
    s: fc.oneof(
      { arbitrary: fc.string({ maxLength: 20 }), weight: 3 },
      fc.constant('n'.repeat(100_000)),
      wrongType,
    ),
  },
  { requiredKeys: [] },
)
