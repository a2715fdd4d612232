/**
 * The site's options tables (docs/*.md) list every option of the code: the properties of each options
 * interface (read with the TypeScript compiler, inherited ones included) must appear in the first
 * column of a table under that factory's heading.
 */
import { join } from 'node:path'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { GLOBAL_OPTIONS } from '../../src/cli/args.js'
import { firstCells, section, site } from './markdown.js'
import { ROOT } from './snippets.js'

/** Options interface → the heading (on some page of docs/) whose tables document it. */
const TABLES: ReadonlyArray<{ file: string; type: string; heading: string }> = [
  {
    file: 'src/engine/limiter-options.ts',
    type: 'RateLimiterOptions',
    heading: '`createRateLimiter` options',
  },
  { file: 'src/rule-types.ts', type: 'RateLimitRule', heading: 'Rules' },
  {
    file: 'src/stores/memory-store-options.ts',
    type: 'MemoryStoreOptions',
    heading: '`MemoryStore` options',
  },
  { file: 'src/stores/redis-store.ts', type: 'RedisStoreOptions', heading: '`RedisStore` options' },
  { file: 'src/identity/identify.ts', type: 'IdentifyOptions', heading: '`createIdentify` options' },
  { file: 'src/identity/api-keys.ts', type: 'ApiKeyOptions', heading: '`createIdentify` options' },
  {
    file: 'src/graphql/options.ts',
    type: 'RateLimitDirectiveOptions',
    heading: '`rateLimitDirective` options',
  },
  {
    file: 'src/graphql/yoga-plugin.ts',
    type: 'RateLimitHeadersOptions',
    heading: 'Headers and status: `useRateLimitHeaders()`',
  },
  { file: 'src/trpc/options.ts', type: 'RateLimitOptions', heading: '`rateLimit` options' },
  {
    file: 'src/graphql/cost/budget-options.ts',
    type: 'CostBudgetOptions',
    heading: '`useCostBudget` options',
  },
  { file: 'src/metrics/prometheus.ts', type: 'PrometheusMetricsOptions', heading: 'Prometheus' },
  { file: 'src/metrics/opentelemetry.ts', type: 'OpenTelemetryMetricsOptions', heading: 'OpenTelemetry' },
]

/** Property names of each interface, inherited ones included. */
function optionNames(): Map<string, string[]> {
  const files = [...new Set(TABLES.map((t) => join(ROOT, t.file)))]
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  })
  const checker = program.getTypeChecker()
  const names = new Map<string, string[]>()
  for (const { file, type } of TABLES) {
    const source = program.getSourceFile(join(ROOT, file))
    const declaration = source?.statements.find(
      (s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === type,
    )
    if (!declaration) throw new Error(`No interface ${type} in ${file}`)
    const properties = checker.getTypeAtLocation(declaration.name).getProperties()
    names.set(
      type,
      properties.map((p) => p.name),
    )
  }
  return names
}

describe('the options tables of the docs site', () => {
  const markdown = site()
  const names = optionNames()

  for (const { type, heading } of TABLES) {
    it(`list every option of ${type} under “${heading}”`, () => {
      const options = names.get(type)!
      expect(options.length).toBeGreaterThan(0)
      const cells = firstCells(section(markdown, heading)).join(' ')
      const missing = options.filter((name) => !cells.includes(`\`${name}\``))
      expect(missing).toEqual([])
    })
  }

  it('list every option of the command line under “Command-line options”', () => {
    const cells = firstCells(section(markdown, 'Command-line options')).join(' ')
    const missing = Object.keys(GLOBAL_OPTIONS).filter((name) => !cells.includes(`--${name}`))
    expect(missing).toEqual([])
  })
})
