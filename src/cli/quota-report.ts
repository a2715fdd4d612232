/**
 * `inspect --key-id ID --plans FILE`: the plan quotas of the key's budget owner — used, remaining,
 * when each is whole again — as a usage page shows them. The plans live in the application's code,
 * so the operator points at them: a JSON file of plans by name, as `definePlans` takes them (the
 * file the application loads with `livePlans`, or an export of it). Read with `quotaUsage`: the
 * engine computes the numbers, nothing is recorded.
 */
import { readFileSync, statSync } from 'node:fs'
import { parseRecord, recordKey } from '../identity/api-key-records.js'
import { definePlans } from '../identity/plans.js'
import { quotaUsage } from '../identity/quota-usage.js'
import type { Plan } from '../identity/types.js'
import type { ApiKeyReport, KeyIdQuery } from './api-key-owner.js'
import type { Values } from './args.js'
import type { CommandContext } from './context.js'
import { operatorLimiter } from './engine.js'
import { CliError, EXIT } from './errors.js'
import { duration } from './output.js'

/** A plans file larger than this is not a plans file. */
const MAX_PLANS_FILE_BYTES = 1_000_000

/** One quota's state, as printed. */
export interface QuotaLine {
  readonly name: string
  readonly limit: number
  readonly used: number
  readonly remaining: number
  readonly resetMs: number
  /** ISO 8601. */
  readonly resetsAt: string
}

/** What `--plans` adds to the report: the key's plan and its quotas (none when the plan has none). */
export interface QuotaSection {
  readonly plan: string | null
  /** `false` when the key's plan is not in the plans file. */
  readonly planKnown: boolean
  readonly quotas: readonly QuotaLine[]
}

/**
 * `--plans FILE`, read and validated before connecting (a bad file is a usage error).
 * @throws CliError `USAGE` naming the problem.
 */
export function plansOption(
  values: Values,
  keyId: KeyIdQuery | undefined,
): Readonly<Record<string, Plan>> | undefined {
  const path = values.plans as string | undefined
  if (path === undefined) return undefined
  if (!keyId) throw new CliError(EXIT.USAGE, '--plans goes with --key-id', 'inspect')
  let plans: unknown
  try {
    if (statSync(path).size > MAX_PLANS_FILE_BYTES)
      throw new Error(`larger than ${MAX_PLANS_FILE_BYTES} bytes`)
    plans = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new CliError(EXIT.USAGE, `Cannot read --plans ${path}: ${(error as Error).message}`, 'inspect')
  }
  try {
    return definePlans(plans as Record<string, Plan>)
  } catch (error) {
    throw new CliError(EXIT.USAGE, `Invalid --plans ${path}: ${(error as Error).message}`, 'inspect')
  }
}

/** Reads the quotas of the key's plan (with the key's own limits applied). */
export async function readQuotas(
  ctx: CommandContext,
  about: ApiKeyReport,
  registryPrefix: string,
  plans: Readonly<Record<string, Plan>>,
): Promise<QuotaSection> {
  const plan = about.plan !== null && Object.hasOwn(plans, about.plan) ? plans[about.plan] : undefined
  if (!plan) return { plan: about.plan, planKnown: about.plan === null, quotas: [] }
  const text = await ctx.connection.client.get(recordKey(registryPrefix, about.id))
  const limits = text === null ? undefined : parseRecord(text, about.id, undefined).limits
  const { limiter, check } = operatorLimiter(ctx)
  const usage = await quotaUsage(limiter, {
    id: about.identity,
    plan,
    ...(limits ? { overrides: limits } : {}),
  })
  check()
  const quotas = usage.quotas.map((q) => ({
    name: q.rule.name,
    limit: q.limit,
    used: q.used,
    remaining: q.remaining,
    resetMs: q.resetMs,
    resetsAt: new Date(q.resetsAt).toISOString(),
  }))
  return { plan: about.plan, planKnown: true, quotas }
}

/** The quota section for people. */
export function printQuotas(ctx: CommandContext, section: QuotaSection): void {
  const { out } = ctx
  if (!section.planKnown) {
    out.line(`Plan "${section.plan}" is not in the --plans file: its quotas are unknown.`)
    return
  }
  if (section.quotas.length === 0) {
    out.line(section.plan === null ? 'No plan: no quotas.' : `Plan ${section.plan} has no quotas.`)
    return
  }
  out.line(`Quotas of plan ${section.plan}:`)
  out.table(
    ['QUOTA', 'USED', 'REMAINING', 'FULL AGAIN IN', 'FULL AGAIN AT'],
    section.quotas.map((q) => [
      q.name,
      `${q.used} of ${q.limit}`,
      String(q.remaining),
      q.resetMs > 0 ? duration(q.resetMs) : 'now',
      q.resetMs > 0 ? q.resetsAt : '-',
    ]),
    '  ',
  )
}
