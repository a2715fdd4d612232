/**
 * The keys of one identity, or of one rule of it, found with SCAN. A rule is matched by its exact
 * name: `--rule api` must not reach `api:write` or `api:write:bulk`, whose keys also start with
 * `api:` (a rule id is `name:digest`, and names may contain colons).
 */
import { identityTag } from '../keys.js'
import type { CommandContext } from './context.js'
import { CliError, EXIT } from './errors.js'
import { collectKeys, escapeGlob, parseKey, ruleNamePart } from './scan.js'

/** The SCAN pattern of an identity's keys, or of the keys starting with one rule name. */
export function identityPattern(prefix: string, identity: string, ruleName?: string): string {
  const base = `${escapeGlob(prefix)}{${escapeGlob(identityTag(identity))}}:`
  return ruleName === undefined ? `${base}*` : `${base}${escapeGlob(ruleNamePart(ruleName))}:*`
}

/** Every key of `identity`, or only those of the rule named exactly `ruleName`, sorted. */
export async function identityKeys(
  ctx: CommandContext,
  identity: string,
  ruleName?: string,
): Promise<string[]> {
  const keys = await collectKeys(ctx.connection, identityPattern(ctx.prefix, identity, ruleName))
  if (ruleName === undefined) return keys
  const name = ruleNamePart(ruleName)
  return keys.filter((key) => parseKey(ctx.prefix, key)?.rule === name)
}

/** The rule names an identity has usage for (for "unknown rule" messages). */
export async function knownRules(ctx: CommandContext, identity: string): Promise<string[]> {
  const keys = await identityKeys(ctx, identity)
  return [...new Set(keys.flatMap((key) => parseKey(ctx.prefix, key)?.rule ?? []))].sort()
}

/** The error for `--rule NAME` when the identity has no usage for it, naming the rules it has. */
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
