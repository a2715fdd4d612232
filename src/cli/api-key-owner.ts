/**
 * `inspect --key-id ID`: from the key id an operator logged (the README says to log only the id
 * `createRedisApiKeys().issue()` returns) to the identity the limiter counts that key's calls
 * under — its owner's budget by default, or the key's own with `--budget key` — read from the
 * key registry in Redis. The key itself is never needed, and never printed.
 */
import { isApiKeyId, parseRecord, recordKey } from '../identity/api-key-records.js'
import { apiKeyIdentity } from '../identity/api-keys.js'
import type { Values } from './args.js'
import type { CommandContext } from './context.js'
import { CliError, EXIT } from './errors.js'

/** What `--key-id`, `--api-key-prefix` and `--budget` ask for. */
export interface KeyIdQuery {
  readonly id: string
  readonly registryPrefix: string
  readonly budget: 'owner' | 'key'
}

/** The key, its record and the identity its calls count under. */
export interface ApiKeyReport {
  readonly id: string
  readonly owner: string
  /** The plan name as stored. */
  readonly plan: string | null
  readonly budget: 'owner' | 'key'
  readonly identity: string
}

/** The registry's default prefix, as `createRedisApiKeys` has it. */
const DEFAULT_REGISTRY_PREFIX = 'rrl:apikey:'

/** `--key-id` with its companions, checked before connecting; `undefined` without `--key-id`. */
export function keyIdOption(values: Values, command: string): KeyIdQuery | undefined {
  const id = values['key-id'] as string | undefined
  const prefix = values['api-key-prefix'] as string | undefined
  const budget = (values.budget as string | undefined) ?? 'owner'
  if (id === undefined) {
    if (prefix !== undefined || values.budget !== undefined) {
      throw new CliError(EXIT.USAGE, '--api-key-prefix and --budget go with --key-id', command)
    }
    return undefined
  }
  if (!isApiKeyId(id)) {
    // Never echo it: an operator may have pasted the key itself.
    throw new CliError(
      EXIT.USAGE,
      'Expected --key-id to be the id issue() returned (43 letters, digits, - or _), not the key itself',
      command,
    )
  }
  if (budget !== 'owner' && budget !== 'key') {
    throw new CliError(
      EXIT.USAGE,
      `Expected --budget to be owner or key, got "${budget.slice(0, 20)}"`,
      command,
    )
  }
  const registryPrefix = prefix ?? DEFAULT_REGISTRY_PREFIX
  if (registryPrefix.length > 64 || /[{}\s]/.test(registryPrefix)) {
    throw new CliError(
      EXIT.USAGE,
      'Expected --api-key-prefix to be at most 64 characters without braces or spaces',
      command,
    )
  }
  return { id, registryPrefix, budget }
}

/**
 * Reads the key's record and names the identity its calls count under.
 * @throws CliError `NOT_FOUND` when the registry holds no such key (revoked, expired or another prefix).
 */
export async function resolveKeyId(ctx: CommandContext, query: KeyIdQuery): Promise<ApiKeyReport> {
  const { id, registryPrefix, budget } = query
  const text = await ctx.connection.client.get(recordKey(registryPrefix, id))
  if (text === null) {
    throw new CliError(
      EXIT.NOT_FOUND,
      `No API key with id ${id.slice(0, 8)}… under "${registryPrefix}" (revoked, expired, or issued under another prefix: see --api-key-prefix)`,
    )
  }
  let record: ReturnType<typeof parseRecord>
  try {
    record = parseRecord(text, id, undefined)
  } catch (error) {
    throw new CliError(EXIT.FAILURE, (error as Error).message)
  }
  const owner = String(record.owner)
  const plan = typeof record.plan === 'string' ? record.plan : null
  return { id, owner, plan, budget, identity: apiKeyIdentity(budget, owner, id) }
}

/** One line for people: which key, whose, and where its calls count. */
export function describeKeyReport(report: ApiKeyReport): string {
  const plan = report.plan === null ? 'no plan' : `plan ${report.plan}`
  const budget = report.budget === 'owner' ? "the owner's budget" : "the key's own budget"
  return `API key ${report.id.slice(0, 8)}… (owner ${report.owner}, ${plan}) counts as ${report.identity} (${budget})`
}
