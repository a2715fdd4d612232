/**
 * The public surface of each package entry, pinned: adding, removing or renaming an export fails
 * here, so every change to what users can import is a decision visible in review.
 *
 * `values` are the names the entry exports at run time (imported from its source); `types` are
 * the names only the compiler sees (interfaces, type aliases, classes exported as types), read
 * from the entry with the TypeScript compiler API. Every `exports` subpath of package.json (but
 * `./package.json`) must be listed.
 *
 * To update after a deliberate change: edit the list below (keep it sorted, case-insensitively);
 * a failure prints the difference. Removing a name is a breaking change: say so in CHANGELOG.md.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import ts from 'typescript'
import { beforeAll, describe, expect, it } from 'vitest'

const ROOT = join(import.meta.dirname, '..')

interface Surface {
  readonly values: readonly string[]
  readonly types: readonly string[]
}

const PINNED: Record<string, Surface> = {
  '.': {
    values: [
      'createClientIp',
      'createIdentify',
      'createRateLimiter',
      'createRedisApiKeys',
      'definePlans',
      'formatDuration',
      'HeaderAccumulator',
      'IdentityError',
      'livePlans',
      'logShadowDecisions',
      'MemoryStore',
      'planQuotas',
      'quotaUsage',
      'RateLimitConfigError',
      'rateLimitHeaders',
      'RedisStore',
      'resolveCaller',
      'ResolverRateLimitError',
      'retryAfterSeconds',
      'rulesForCaller',
      'SLIDING_LOG_MAX_DEFAULT_LIMIT',
      'StoreError',
    ],
    types: [
      'Algorithm',
      'ApiKeyLookup',
      'ApiKeyOptions',
      'ApiKeyRecord',
      'CalendarPeriod',
      'Caller',
      'CallerKind',
      'CircuitBreakerOptions',
      'ClientIp',
      'ClientIpOptions',
      'ConcurrencyDecision',
      'ConcurrencyEvent',
      'ConcurrencyLimit',
      'ConcurrencyReason',
      'ConsumeOptions',
      'ConsumeRequest',
      'DecisionEvent',
      'DecisionReason',
      'DefinedPlans',
      'Duration',
      'HeaderOptions',
      'HeaderPolicies',
      'Identify',
      'IdentifyOptions',
      'IdentityErrorCode',
      'IoredisClientLike',
      'IssuedKey',
      'IssueKeyOptions',
      'LeaseRequest',
      'LeaseResult',
      'LeaseStore',
      'LimitOverride',
      'LivePlans',
      'LivePlansOptions',
      'Logger',
      'MemoryStoreOptions',
      'NodeRedisClientLike',
      'Plan',
      'PlanDefinition',
      'PlansLoader',
      'PlansSource',
      'ProxyHeader',
      'QuotaRefusal',
      'QuotaSubject',
      'QuotaUsage',
      'RateLimitDecision',
      'RateLimiter',
      'RateLimiterEvents',
      'RateLimiterOptions',
      'BlockCacheOptions',
      'RateLimitRule',
      'RateLimitStore',
      'RateLimitUsage',
      'RedisApiKeys',
      'RedisApiKeysClientLike',
      'RedisApiKeysOptions',
      'RedisClientLike',
      'RedisStoreOptions',
      'ResolvedRule',
      'PeriodBounds',
      'ResolverRateLimitErrorCode',
      'RuleDecision',
      'Rules',
      'RuleUsage',
      'StoreAlgorithm',
      'StoreCall',
      'StoreErrorEvent',
      'StoreErrorPolicy',
      'StoreResult',
      'StoreRule',
      'StoreRuleResult',
      'StoreStateEvent',
      'TrustProxy',
    ],
  },
  './graphql': {
    values: [
      'actualCost',
      'analyzeCost',
      'assertRateLimitsApplied',
      'compileCostSchema',
      'CONCURRENCY_LIMIT_SDL',
      'concurrencyLimitDirective',
      'concurrencyLimitTypeDefs',
      'CostAnalysisError',
      'CostBudgetExceededError',
      'costTypeDefs',
      'defaultErrorMessage',
      'everyRootFieldRefused',
      'GraphQLConcurrencyLimitedError',
      'GraphQLRateLimitedError',
      'isGraphQLConcurrencyLimitedError',
      'isGraphQLRateLimitedError',
      'QueryTooExpensiveError',
      'RATE_LIMIT_EXTENSION',
      'RATE_LIMIT_SDL',
      'rateLimitDirective',
      'rateLimitedExtensions',
      'rateLimitResponse',
      'rateLimitTypeDefs',
      'trackRateLimits',
      'useConcurrencyLimit',
      'useCostBudget',
      'useRateLimitExtensions',
      'useRateLimitHeaders',
    ],
    types: [
      'ActualCostOptions',
      'AnalysisCacheStats',
      'AnalyzeCostOptions',
      'ConcurrencyDirectiveOptions',
      'ConcurrencyLimitDirective',
      'ConcurrencyLimitPlugin',
      'ConcurrencyLimitPluginOptions',
      'ConcurrencyLimitedExtensions',
      'CostAnalysis',
      'CostBudgetOptions',
      'CostBudgetPlugin',
      'CostErrorCode',
      'CostModelOptions',
      'CostReport',
      'CostSchema',
      'DirectiveNames',
      'FieldPlan',
      'GraphQLRateLimitedErrorOptions',
      'LimitedEvent',
      'ListMode',
      'RateLimitDirective',
      'RateLimitDirectiveOptions',
      'RateLimitedExtensions',
      'RateLimitExtension',
      'RateLimitExtensionsPlugin',
      'RateLimitFieldExtension',
      'RateLimitHeadersOptions',
      'RateLimitHeadersPlugin',
      'RateLimitPolicyState',
      'RateLimitResponse',
      'RateLimitResponseOptions',
      'RateLimitTracking',
      'TrackRateLimitsOptions',
    ],
  },
  './apollo': {
    values: ['costBudgetApolloPlugin', 'rateLimitApolloPlugin'],
    types: [
      'ApolloHeaderMap',
      'ApolloOperationContext',
      'ApolloRequestContext',
      'ApolloResponse',
      'ApolloServerContext',
      'ApolloSingleResult',
      'CostBudgetApolloListener',
      'CostBudgetApolloPlugin',
      'RateLimitApolloListener',
      'RateLimitApolloPlugin',
      'RateLimitApolloPluginOptions',
    ],
  },
  './trpc': {
    values: [
      'concurrencyLimit',
      'getRateLimitDecision',
      'rateLimit',
      'rateLimitContext',
      'rateLimitErrorData',
      'TRPCConcurrencyLimitedCause',
      'TRPCRateLimitedCause',
    ],
    types: [
      'AdapterContextOptions',
      'CallInfo',
      'CheckFailurePolicy',
      'ConcurrencyContext',
      'ConcurrencyLimitMiddleware',
      'ConcurrencyLimitOptions',
      'CostFunction',
      'RateLimitContext',
      'RateLimitErrorData',
      'RateLimitHttpContext',
      'RateLimitMiddleware',
      'RateLimitOptions',
      'RateLimitResponseHeaders',
    ],
  },
  './metrics': {
    values: ['openTelemetryMetrics', 'prometheusMetrics'],
    types: [
      'DecisionOutcome',
      'LimiterMetrics',
      'MetricsRecorder',
      'OpenTelemetryMetricsOptions',
      'PrometheusMetricsOptions',
    ],
  },
  './testing': {
    values: ['storeContract'],
    types: ['ContractFactory', 'ContractOptions', 'ContractSubject'],
  },
}

const sorted = (names: Iterable<string>): string[] =>
  [...names].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()))

/** package.json `exports` subpath → the source file of its entry (`./dist/x/index.js` → `src/x/index.ts`). */
function entrySources(): Map<string, string> {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { import: { default: string } }>
  }
  const sources = new Map<string, string>()
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (subpath === './package.json') continue
    const built = typeof target === 'string' ? target : target.import.default
    sources.set(subpath, join(ROOT, built.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts')))
  }
  return sources
}

/** Every name each entry exports, types included, as the compiler sees it. */
function compilerNames(files: readonly string[]): Map<string, string[]> {
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
  for (const file of files) {
    const source = program.getSourceFile(file)
    const module = source && checker.getSymbolAtLocation(source)
    if (!module) throw new Error(`The compiler found no module in ${file}`)
    names.set(
      file,
      checker.getExportsOfModule(module).map((symbol) => symbol.name),
    )
  }
  return names
}

const sources = entrySources()

describe('the public entries', () => {
  let names: Map<string, string[]>
  beforeAll(() => {
    names = compilerNames([...sources.values()])
  })

  it('pin every subpath of package.json exports, and only those', () => {
    expect(sorted(sources.keys())).toEqual(sorted(Object.keys(PINNED)))
  })

  for (const [subpath, source] of sources) {
    const pinned = PINNED[subpath] ?? { values: [], types: [] }
    const entry = `resolver-rate-limit${subpath.slice(1)}`

    it(`${entry} exports exactly its pinned values at run time`, async () => {
      const module = (await import(source)) as Record<string, unknown>
      expect(sorted(Object.keys(module))).toEqual(sorted(pinned.values))
    })

    it(`${entry} exports exactly its pinned types`, async () => {
      const values = new Set(Object.keys((await import(source)) as Record<string, unknown>))
      const all = names.get(source)!
      // Every run-time export is one the compiler sees too (no untyped export).
      expect(sorted([...values].filter((name) => !all.includes(name)))).toEqual([])
      expect(sorted(all.filter((name) => !values.has(name)))).toEqual(sorted(pinned.types))
    })
  }
})
