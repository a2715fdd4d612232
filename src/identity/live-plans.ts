/**
 * Plans that change without a redeploy: `livePlans(load)` loads the plans from a source the
 * application controls (a database row, a config service, a file) and reloads them on an
 * interval. Every load is validated like `definePlans`; an invalid one is refused with a clear
 * error, logged once (until a load succeeds again), and the last valid plans stay in force —
 * requests never see a half-valid set. The registry and `createIdentify` read `current` on every
 * lookup, so new plans reach callers within the API-key cache TTL (`apiKeys.cacheTtlMs`).
 */
import { describeValue, invalidConfig } from '../errors.js'
import type { Logger } from '../types.js'
import { definePlans } from './plans.js'
import type { Plan, PlanDefinition } from './types.js'

/** The plans in force, reloaded from your source. Pass it wherever plans are taken (`plans:`). */
export interface LivePlans {
  /** The last valid plans loaded, by name. */
  readonly current: Readonly<Record<string, Plan>>
  /**
   * Loads and validates the plans now. Resolves `true` when they are in force, `false` when they
   * were invalid or the load failed (the previous plans stay); never rejects.
   */
  reload(): Promise<boolean>
  /** Stops the interval. The current plans stay readable. */
  close(): void
}

/** Plans as the registry and `createIdentify` take them: a fixed set or {@link LivePlans}. */
export type PlansSource = Readonly<Record<string, Plan>> | LivePlans

/** Options of {@link livePlans}. */
export interface LivePlansOptions {
  /** How often to reload, in milliseconds (an unref'd timer). @default 60_000 */
  intervalMs?: number
  /** Where a refused load is reported (once until a load succeeds again). `false`: nowhere. @default console */
  logger?: Logger | false
}

/** Loads the plans: what `definePlans` accepts, or a promise of it. */
export type PlansLoader = () => Record<string, PlanDefinition> | Promise<Record<string, PlanDefinition>>

const live = new WeakSet<object>()

/** The plans a source holds now; `undefined` for no source. */
export function currentPlans(source: PlansSource | undefined): Readonly<Record<string, Plan>> | undefined {
  return source !== undefined && live.has(source)
    ? (source as LivePlans).current
    : (source as Record<string, Plan>)
}

/** Validates a fixed set of plans; live plans validate every load themselves. */
export function checkPlansSource(source: PlansSource | undefined): void {
  if (source !== undefined && !live.has(source)) definePlans(source as Record<string, Plan>)
}

/**
 * Loads the plans with `load` (the first load must be valid: its error is thrown), then reloads
 * them every `intervalMs`. A reload that throws or returns invalid plans changes nothing and is
 * logged once.
 *
 * @example
 * const plans = await livePlans(async () => JSON.parse(await readFile('plans.json', 'utf8')), { intervalMs: 30_000 })
 * const keys = createRedisApiKeys({ client: redis, plans })
 * @throws RateLimitConfigError (`INVALID_OPTION`) when the first load fails or its plans are invalid.
 */
export async function livePlans(load: PlansLoader, options: LivePlansOptions = {}): Promise<LivePlans> {
  const { intervalMs = 60_000, logger = console } = options
  if (typeof load !== 'function') invalidConfig('Expected `load` to be a function returning the plans')
  if (!Number.isInteger(intervalMs) || intervalMs < 10 || intervalMs > 86_400_000) {
    invalidConfig(
      `Expected \`intervalMs\` to be an integer from 10 to 86400000, got ${describeValue(intervalMs)}`,
    )
  }
  let current = definePlans(await load()) as Readonly<Record<string, Plan>>
  let failing = false
  let running: Promise<boolean> | undefined
  const attempt = async (): Promise<boolean> => {
    try {
      current = definePlans(await load()) as Readonly<Record<string, Plan>>
      if (failing && logger) logger.info?.('resolver-rate-limit: livePlans loaded valid plans again')
      failing = false
      return true
    } catch (error) {
      if (!failing && logger) {
        logger.error(
          `resolver-rate-limit: livePlans refused the plans it loaded; the last valid plans stay in force: ${(error as Error)?.message ?? String(error)}`,
        )
      }
      failing = true
      return false
    }
  }
  const reload = (): Promise<boolean> => {
    running ??= attempt().finally(() => {
      running = undefined
    })
    return running
  }
  const timer = setInterval(() => void reload(), intervalMs)
  timer.unref?.()
  const plans: LivePlans = {
    get current() {
      return current
    },
    reload,
    close: () => clearInterval(timer),
  }
  live.add(plans)
  return plans
}
