import { formatDuration } from '../../duration.js'
import { identityTag } from '../../keys.js'
import { resolveRule } from '../../options.js'
import type { RateLimitRule } from '../../types.js'
import { identityArgument, ruleOption } from '../args.js'
import type { Command, CommandContext } from '../context.js'
import { describeKey, summarize } from '../describe-key.js'
import { operatorLimiter } from '../engine.js'
import { CliError, EXIT } from '../errors.js'
import { duration } from '../output.js'
import { collectKeys, escapeGlob, parseKey, ruleNamePart } from '../scan.js'

interface Plan {
  identity: string
  rule: RateLimitRule | undefined
  ruleName: string | undefined
}

/** The SCAN pattern of an identity's keys, or of its keys for one rule name. */
export function identityPattern(prefix: string, identity: string, ruleName?: string): string {
  const base = `${escapeGlob(prefix)}{${escapeGlob(identityTag(identity))}}:`
  return ruleName === undefined ? `${base}*` : `${base}${escapeGlob(ruleNamePart(ruleName))}:*`
}

/** The rule names an identity has usage for (for "unknown rule" messages). */
export async function knownRules(ctx: CommandContext, identity: string): Promise<string[]> {
  const keys = await collectKeys(ctx.connection, identityPattern(ctx.prefix, identity))
  return [...new Set(keys.flatMap((key) => parseKey(ctx.prefix, key)?.rule ?? []))].sort()
}

export async function unknownRule(
  ctx: CommandContext,
  identity: string,
  ruleName: string,
): Promise<CliError> {
  const known = await knownRules(ctx, identity)
  const list = known.length > 0 ? `it has usage for: ${known.join(', ')}` : 'it has no usage at all'
  return new CliError(
    EXIT.NOT_FOUND,
    `No usage recorded for rule "${ruleName}" of ${identity} under prefix "${ctx.prefix}"; ${list}`,
  )
}

/** Exact numbers for one budget: the engine's peek (records nothing). */
async function inspectRule(ctx: CommandContext, identity: string, rule: RateLimitRule): Promise<void> {
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
  const pattern = identityPattern(ctx.prefix, identity, resolved.name)
  const others = (await collectKeys(ctx.connection, pattern)).filter((k) => k !== key)
  const { out } = ctx
  if (out.json) {
    const { name, limit, windowMs, algorithm } = resolved
    out.data({
      identity,
      rule: { name, limit, windowMs, algorithm },
      key,
      exists,
      used,
      remaining,
      resetMs,
      nextAllowed: decision.allowed,
      retryAfterMs: decision.retryAfterMs,
      otherParameterKeys: others,
    })
    return
  }
  const window = formatDuration(resolved.windowMs)
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
): Promise<void> {
  const keys = await collectKeys(ctx.connection, identityPattern(ctx.prefix, identity, ruleName))
  if (keys.length === 0 && ruleName !== undefined) throw await unknownRule(ctx, identity, ruleName)
  const parsed = keys.flatMap((key) => parseKey(ctx.prefix, key) ?? [])
  const reports = []
  for (const key of parsed) reports.push(await describeKey(ctx.connection.client, key))
  const { out } = ctx
  if (out.json) {
    out.data({ identity, prefix: ctx.prefix, keys: reports })
    return
  }
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

/** `inspect <identity> [--rule NAME --limit N --window W]`. */
export const inspect: Command<Plan> = {
  prepare(values, positionals) {
    const rule = ruleOption(values, 'inspect')
    if (rule) resolveRule(rule) // a bad limit or window is a usage error before connecting
    return {
      identity: identityArgument(positionals, 'inspect'),
      rule,
      ruleName: values.rule as string | undefined,
    }
  },
  run(ctx, plan) {
    return plan.rule
      ? inspectRule(ctx, plan.identity, plan.rule)
      : inspectKeys(ctx, plan.identity, plan.ruleName)
  },
}
