import { resolveRule } from '../../rules.js'
import type { RateLimitRule } from '../../types.js'
import { identityArgument, ruleOption } from '../args.js'
import { confirm } from '../confirm.js'
import type { Command, CommandContext } from '../context.js'
import { operatorLimiter } from '../engine.js'
import { identityKeys, unknownRule } from '../identity-keys.js'
import { count } from '../output.js'
import { parseKey } from '../scan.js'

interface Plan {
  identity: string
  rule: RateLimitRule | undefined
  ruleName: string | undefined
  yes: boolean
}

/** The keys the reset would delete: one budget, one rule name, or the whole identity. */
async function targetKeys(ctx: CommandContext, plan: Plan): Promise<string[]> {
  if (plan.rule) {
    const { limiter } = operatorLimiter(ctx)
    const keys = limiter.keys(plan.identity, plan.rule)
    const present = await Promise.all(keys.map((key) => ctx.connection.client.exists(key)))
    return keys.filter((_, i) => present[i] === 1)
  }
  return identityKeys(ctx, plan.identity, plan.ruleName)
}

async function run(ctx: CommandContext, plan: Plan): Promise<void> {
  const { identity } = plan
  const keys = await targetKeys(ctx, plan)
  const { out } = ctx
  if (keys.length === 0) {
    if (plan.ruleName !== undefined && !plan.rule) throw await unknownRule(ctx, identity, plan.ruleName)
    if (out.json) out.data({ identity, deleted: 0, keys: [] })
    else out.line(`Nothing to reset: no usage recorded for ${identity} under prefix "${ctx.prefix}".`)
    return
  }
  const rules = [...new Set(keys.map((key) => parseKey(ctx.prefix, key)?.rule ?? key))].join(', ')
  if (!plan.yes) {
    for (const key of keys) out.note(`  ${key}`)
    await confirm(ctx.io, `Delete ${count(keys.length)} key(s) of ${identity} (${rules})?`, 'reset')
  }
  let deleted = 0
  // Every key of one identity shares a hash tag, so each DEL stays in one Cluster slot.
  for (let at = 0; at < keys.length; at += 500)
    deleted += await ctx.connection.client.del(...keys.slice(at, at + 500))
  if (out.json) out.data({ identity, deleted, keys })
  else out.line(`Deleted ${count(deleted)} key(s) of ${identity} (${rules}).`)
}

/** `reset <identity> [--rule NAME [--limit N --window W]] [--yes]`. */
export const reset: Command<Plan> = {
  prepare(values, positionals) {
    const rule = ruleOption(values, 'reset')
    if (rule) resolveRule(rule)
    return {
      identity: identityArgument(positionals, 'reset'),
      rule,
      ruleName: values.rule as string | undefined,
      yes: values.yes === true,
    }
  },
  run,
}
