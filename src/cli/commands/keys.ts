import { describeValue } from '../../errors.js'
import { integerOption } from '../args.js'
import type { Command, CommandContext } from '../context.js'
import { CliError, EXIT } from '../errors.js'
import { count } from '../output.js'
import { escapeGlob, parseKey, progressReporter, scanKeys } from '../scan.js'

interface Plan {
  match: string
  show: number
  count: number
}

interface Tally {
  scanned: number
  unrecognized: number
  /** Rule name → keys and the distinct rule ids (parameter sets) seen. */
  rules: Map<string, { keys: number; ruleIds: Set<string> }>
  /** Identity → its rule names. */
  identities: Map<string, Set<string>>
}

async function tally(ctx: CommandContext, plan: Plan): Promise<Tally> {
  const pattern = `${escapeGlob(ctx.prefix)}{${plan.match}}:*`
  const result: Tally = { scanned: 0, unrecognized: 0, rules: new Map(), identities: new Map() }
  const progress = progressReporter(ctx.out.quiet ? { write: () => true } : ctx.io.stderr)
  for await (const batch of scanKeys(ctx.connection, pattern, {
    count: plan.count,
    onProgress: progress.update,
  })) {
    // SCAN may return a key twice while Redis rehashes: counts are exact on a quiet keyspace.
    result.scanned += batch.length
    for (const key of batch) {
      const parsed = parseKey(ctx.prefix, key)
      if (!parsed) {
        result.unrecognized++
        continue
      }
      const rule = result.rules.get(parsed.rule) ?? { keys: 0, ruleIds: new Set<string>() }
      rule.keys++
      rule.ruleIds.add(parsed.ruleId)
      result.rules.set(parsed.rule, rule)
      const rules = result.identities.get(parsed.identity) ?? new Set<string>()
      rules.add(parsed.rule)
      result.identities.set(parsed.identity, rules)
    }
  }
  progress.done()
  return result
}

async function run(ctx: CommandContext, plan: Plan): Promise<void> {
  const started = performance.now()
  const t = await tally(ctx, plan)
  const seconds = ((performance.now() - started) / 1000).toFixed(1)
  const rules = [...t.rules].sort((a, b) => b[1].keys - a[1].keys || a[0].localeCompare(b[0]))
  const identities = [...t.identities.keys()].sort()
  const shown = identities
    .slice(0, plan.show)
    .map((identity) => ({ identity, rules: [...t.identities.get(identity)!].sort() }))
  const nodes = ctx.connection.masters().length
  const { out } = ctx
  if (out.json) {
    out.data({
      prefix: ctx.prefix,
      match: plan.match,
      nodes,
      keys: t.scanned,
      unrecognized: t.unrecognized,
      rules: rules.map(([name, r]) => ({ name, keys: r.keys, ruleIds: [...r.ruleIds].sort() })),
      identities: { count: identities.length, shown },
    })
    return
  }
  out.line(
    `${count(t.scanned)} keys under "${ctx.prefix}" matching identity '${plan.match}' on ${nodes} node(s), scanned in ${seconds} s.`,
  )
  if (rules.length > 0) {
    out.line()
    out.table(
      ['RULE', 'KEYS', 'PARAMETER SETS'],
      rules.map(([name, r]) => [name, count(r.keys), String(r.ruleIds.size)]),
    )
  }
  out.line()
  const more =
    identities.length > shown.length ? ` (first ${shown.length} alphabetically; --show N for more)` : ''
  out.line(`${count(identities.length)} identities${more}${shown.length > 0 ? ':' : '.'}`)
  for (const { identity, rules: names } of shown) out.line(`  ${identity}  ${names.join(', ')}`)
  if (t.unrecognized > 0)
    out.note(`${count(t.unrecognized)} key(s) under the prefix are not limiter keys (ignored).`)
}

/** `keys [--match PATTERN] [--show N] [--count N]`. */
export const keys: Command<Plan> = {
  prepare(values, positionals) {
    if (positionals.length > 0)
      throw new CliError(EXIT.USAGE, `keys takes no arguments, got ${describeValue(positionals[0])}`, 'keys')
    const match = (values.match as string | undefined) ?? '*'
    if (match === '' || /[{}\s]/.test(match)) {
      throw new CliError(
        EXIT.USAGE,
        `Expected --match to be a glob over identities without braces or spaces, e.g. 'user:*', got ${describeValue(match)}`,
        'keys',
      )
    }
    return {
      match,
      show: integerOption(values, 'show', 50),
      count: integerOption(values, 'count', 1000, 100_000),
    }
  },
  run,
}
