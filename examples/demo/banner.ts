/** What `npm start` prints: where things are, the demo keys, the limits and how to try them. */
import { DEMO_KEYS } from './identity.js'

const LIMITS = [
  ['GraphQL', 'Query.* (per type)', '20 per minute per field'],
  ['GraphQL', 'Query.search', '5 per 10 s and 50 per hour (burst + sustained)'],
  ['GraphQL', 'Query.recommendations + bestsellers', '6 per minute, shared (bucket "insights")'],
  ['GraphQL', 'Mutation.exportCatalog', 'cost 5 of 10 per hour: 2 exports (pro: 20)'],
  ['GraphQL', 'Subscription.priceWatch', '2 starts per minute'],
  ['GraphQL', 'every operation', 'cost budget 2 000 points per minute, at most 500 per operation'],
  ['tRPC', 'book.list, book.byId, book.search', '10 per minute each'],
  ['tRPC', 'order.checkout', '2 per 10 s and 20 per hour; refuses while the store is down'],
  ['tRPC', 'exportRows', '1 000 rows per hour (cost = rows)'],
  ['both', 'Mutation.addReview + review.add', '3 per minute, shared (bucket "reviews")'],
] as const

/** The start-up text. `base` is `http://localhost:<port>`. */
export function banner(base: string, store: string, metrics: boolean): string {
  const rows = LIMITS.map(([side, what, limit]) => `  ${side.padEnd(8)} ${what.padEnd(36)} ${limit}`)
  const gql = `curl -i ${base}/graphql -H 'content-type: application/json' -d '{"query":"{ search(q: \\"dune\\") { title } }"}'`
  const trpc = `curl -i -G ${base}/trpc/book.search --data-urlencode 'input={"q":"dune"}'`
  return [
    `resolver-rate-limit demo listening on ${base}`,
    `  store    ${store}`,
    `  page     ${base}/   (in a browser: watch a window fill and drain)`,
    `  GraphQL  ${base}/graphql   (GraphiQL in a browser)`,
    `  tRPC     ${base}/trpc`,
    ...(metrics ? [`  metrics  ${base}/metrics  (Prometheus)`] : []),
    '',
    'Callers: an API key (x-api-key or Authorization: Bearer), else the client IP.',
    `  free plan  ${DEMO_KEYS.free}    the limits below`,
    `  pro plan   ${DEMO_KEYS.pro}   10 x every limit, 20 exports per hour`,
    '  anonymous  by IP; X-Forwarded-For is trusted from loopback only (play another client with it)',
    '',
    'Limits (free plan and anonymous callers):',
    ...rows,
    '',
    'Try it (run a line 6 times: the 6th search is refused with 429 and Retry-After):',
    `  ${gql}`,
    `  ${trpc}`,
    `  ${trpc} -H 'x-api-key: ${DEMO_KEYS.pro}'`,
    '',
    'Refusals are logged below: the first per caller and rule per window, then a summary every 10 s.',
    'Ctrl-C stops the server.',
  ].join('\n')
}
