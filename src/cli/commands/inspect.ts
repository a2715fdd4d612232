import { formatDuration } from '../../duration.js'
import type { Plan as PlanDefinition } from '../../identity/types.js'
import { resolveRule } from '../../rules.js'
import type { RateLimitRule } from '../../types.js'
import {
  type ApiKeyReport,
  describeKeyReport,
  type KeyIdQuery,
  keyIdOption,
  resolveKeyId,
} from '../api-key-owner.js'
import { identityArgument, ruleOption } from '../args.js'
import type { Command, CommandContext } from '../context.js'
import { describeKey, summarize } from '../describe-key.js'
import { operatorLimiter } from '../engine.js'
import { CliError, EXIT } from '../errors.js'
import { identityKeys, unknownRule } from '../identity-keys.js'
import { duration } from '../output.js'
import { plansOption, printQuotas, type QuotaSection, readQuotas } from '../quota-report.js'
import { parseKey } from '../scan.js'

interface Plan {
  /** The identity given, or the API key whose identity is looked up (`--key-id`). */
  who: string | KeyIdQuery
  rule: RateLimitRule | undefined
  ruleName: string | undefined
  /** `--plans FILE`: the application's plans, to report the key's quotas. */
  plans: Readonly<Record<string, PlanDefinition>> | undefined
}

/** For `--key-id`: which key the identity belongs to, shown first (text) or as `apiKey` (JSON). */
type About = ApiKeyReport | undefined

/** Exact numbers for one budget: the engine's peek (records nothing). */
async function inspectRule(
  ctx: CommandContext,
  identity: string,
  rule: RateLimitRule,
  about: About,
  quotas: QuotaSection | undefined,
): Promise<void> {
  const resolved = resolveRule(rule)
  const { limiter, check } = operatorLimiter(ctx)
  const [key] = limiter.keys(identity, rule)
  const decision = await limiter.peek(identity, rule)
  check()
  // A peek answers "what if one more request came": when it would be admitted, `remaining` is
  // after that request and the reset is the one it would cause. Report the state as it is.
  const remaining = decision.allowed ? decision.remaining + 1 : decision.remaining
  const used = resolved.limit - remaining
  const pttl = await ctx.connection.client.pttl(key!)
  const exists = pttl !== -2
  const resetMs = Math.max(pttl, 0)
  const others = (await identityKeys(ctx, identity, resolved.name)).filter((k) => k !== key)
  const { out } = ctx
  if (out.json) {
    const { name, limit, windowMs, algorithm } = resolved
    out.data({
      identity,
      ...(about ? { apiKey: about } : {}),
      rule: { name, limit, windowMs, algorithm },
      key,
      exists,
      used,
      remaining,
      resetMs,
      nextAllowed: decision.allowed,
      retryAfterMs: decision.retryAfterMs,
      otherParameterKeys: others,
      ...(quotas ? { quotas } : {}),
    })
    return
  }
  const window = formatDuration(resolved.windowMs)
  if (about) out.line(describeKeyReport(about))
  out.line(`${identity} · ${resolved.name} (${resolved.limit} per ${window}, ${resolved.algorithm})`)
  out.table(
    null,
    [
      ['used', `${used} of ${resolved.limit}`],
      ['remaining', String(remaining)],
      ['next request', decision.allowed ? 'allowed' : `refused, retry in ${duration(decision.retryAfterMs)}`],
      ['full budget in', resetMs > 0 ? duration(resetMs) : 'now'],
      ['key', `${key}${exists ? '' : ' (no usage recorded)'}`],
    ],
    '  ',
  )
  if (quotas) printQuotas(ctx, quotas)
  if (!exists && others.length > 0) {
    out.note(
      `Note: ${identity} has usage for "${resolved.name}" under other parameters (${others.length} key(s)); a changed limit, window or algorithm starts a new budget. Run without --limit/--window to see them.`,
    )
  }
}

/** Every key of the identity (or of one rule name), read raw: no limit or window needed. */
async function inspectKeys(
  ctx: CommandContext,
  identity: string,
  ruleName: string | undefined,
  about: About,
  quotas: QuotaSection | undefined,
): Promise<void> {
  const keys = await identityKeys(ctx, identity, ruleName)
  if (keys.length === 0 && ruleName !== undefined) throw await unknownRule(ctx, identity, ruleName)
  const parsed = keys.flatMap((key) => parseKey(ctx.prefix, key) ?? [])
  const reports = []
  for (const key of parsed) reports.push(await describeKey(ctx.connection.client, key))
  const { out } = ctx
  if (out.json) {
    const extra = quotas ? { quotas } : {}
    out.data({ identity, ...(about ? { apiKey: about } : {}), prefix: ctx.prefix, keys: reports, ...extra })
    return
  }
  if (about) out.line(describeKeyReport(about))
  if (quotas) printQuotas(ctx, quotas)
  if (reports.length === 0) {
    out.line(`No usage recorded for ${identity} under prefix "${ctx.prefix}".`)
    return
  }
  out.line(`${identity}: ${reports.length} key(s) under prefix "${ctx.prefix}"`)
  out.table(
    ['RULE', 'ALGORITHM', 'RECORDED', 'FORGOTTEN IN', 'KEY'],
    reports.map((r) => [
      r.rule,
      r.algorithm,
      summarize(r),
      r.expiresInMs === null ? 'never' : duration(r.expiresInMs),
      r.key,
    ]),
    '  ',
  )
  out.note('Pass --rule, --limit and --window for the exact remaining budget and reset time of one rule.')
}

/** `inspect <identity> | --key-id ID [--plans FILE] [--rule NAME --limit N --window W]`. */
export const inspect: Command<Plan> = {
  prepare(values, positionals) {
    const rule = ruleOption(values, 'inspect')
    if (rule) resolveRule(rule) // a bad limit or window is a usage error before connecting
    const keyId = keyIdOption(values, 'inspect')
    if (keyId && positionals.length > 0) {
      throw new CliError(EXIT.USAGE, 'Pass either an identity or --key-id, not both', 'inspect')
    }
    return {
      who: keyId ?? identityArgument(positionals, 'inspect'),
      rule,
      ruleName: values.rule as string | undefined,
      plans: plansOption(values, keyId),
    }
  },
  async run(ctx, plan) {
    const { who, plans } = plan
    const about = typeof who === 'string' ? undefined : await resolveKeyId(ctx, who)
    const identity = about ? about.identity : (who as string)
    const quotas =
      about && plans && typeof who !== 'string'
        ? await readQuotas(ctx, about, who.registryPrefix, plans)
        : undefined
    return plan.rule
      ? inspectRule(ctx, identity, plan.rule, about, quotas)
      : inspectKeys(ctx, identity, plan.ruleName, about, quotas)
  },
}
