/**
 * The site's navigation: one entry per page of docs/. Adding a topic is one Markdown file in
 * docs/ and one line here; test/docs/site.test.ts fails when a page is missing from this list or
 * an entry has no page.
 */
export interface SidebarGroup {
  text: string
  items: Array<{ text: string; link: string }>
}

export const sidebar: SidebarGroup[] = [
  {
    text: 'Start',
    items: [
      { text: 'Getting started', link: '/getting-started' },
      { text: 'The demo', link: '/demo' },
      { text: 'Compatibility', link: '/compatibility' },
    ],
  },
  {
    text: 'Engine',
    items: [
      { text: 'Engine and algorithms', link: '/engine' },
      { text: 'Choosing an algorithm', link: '/algorithms' },
      { text: 'Blocked-caller cache', link: '/blocked-caller-cache' },
      { text: 'Concurrency limits', link: '/concurrency-limits' },
      { text: 'Failure modes', link: '/failure-modes' },
      { text: 'Redis and Redis Cluster', link: '/redis' },
    ],
  },
  {
    text: 'Callers',
    items: [
      { text: 'Identity and proxies', link: '/identity' },
      { text: 'API keys and plans', link: '/api-keys' },
      { text: 'Quotas and plans', link: '/quotas-and-plans' },
    ],
  },
  {
    text: 'Adapters',
    items: [
      { text: 'GraphQL', link: '/graphql' },
      { text: 'GraphQL servers: Apollo, Mercurius', link: '/graphql-servers' },
      { text: 'Cost budgets', link: '/cost-budgets' },
      { text: 'tRPC', link: '/trpc' },
      { text: 'Headers and errors', link: '/headers-and-errors' },
      { text: 'On the client', link: '/clients' },
      { text: 'Shadow mode', link: '/shadow-mode' },
    ],
  },
  {
    text: 'Operating',
    items: [
      { text: 'Observability', link: '/observability' },
      { text: 'Command line', link: '/cli' },
      { text: 'Security', link: '/security' },
      { text: 'Benchmarks', link: '/benchmarks' },
    ],
  },
  {
    text: 'More',
    items: [
      { text: 'FAQ', link: '/faq' },
      { text: 'Migrating from other limiters', link: '/migration' },
      { text: 'API reference', link: '/api/' },
    ],
  },
]
