import { parseArgs } from 'node:util'
import { describeValue } from '../errors.js'
import { isApiKeyId } from '../identity/api-key-records.js'
import { validatePrefix } from '../keys.js'
import type { RateLimitRule } from '../types.js'
import { CliError, EXIT } from './errors.js'

type OptionSpec = { type: 'string' | 'boolean'; short?: string }

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  redis: { type: 'string' },
  cluster: { type: 'string' },
  prefix: { type: 'string' },
  timeout: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>

const RULE_OPTIONS = {
  rule: { type: 'string' },
  limit: { type: 'string' },
  window: { type: 'string' },
  algorithm: { type: 'string' },
} as const satisfies Record<string, OptionSpec>

/** Options of each command, on top of {@link GLOBAL_OPTIONS}. */
export const COMMAND_OPTIONS = {
  inspect: {
    ...RULE_OPTIONS,
    'key-id': { type: 'string' },
    'api-key-prefix': { type: 'string' },
    budget: { type: 'string' },
    plans: { type: 'string' },
  },
  reset: { ...RULE_OPTIONS, yes: { type: 'boolean', short: 'y' } },
  keys: { match: { type: 'string' }, show: { type: 'string' }, count: { type: 'string' } },
} as const satisfies Record<string, Record<string, OptionSpec>>

export type CommandName = keyof typeof COMMAND_OPTIONS
export const COMMANDS = Object.keys(COMMAND_OPTIONS) as CommandName[]

/** Parsed values: every option as a string or boolean (absent when not given). */
export type Values = Partial<Record<string, string | boolean>>

export interface ParsedCommand {
  /** Undefined for a bare `--help` / `help`. */
  command: CommandName | undefined
  values: Values
  positionals: string[]
}

function isCommand(name: string | undefined): name is CommandName {
  return name !== undefined && Object.hasOwn(COMMAND_OPTIONS, name)
}

/**
 * Parses argv in two passes: a lenient one finds the command wherever it stands, a strict one
 * checks the options against that command (an option of another command is an error).
 */
export function parseCommandLine(input: readonly string[]): ParsedCommand {
  const argv = joinDashedKeyIds(input)
  const all = {
    ...GLOBAL_OPTIONS,
    ...COMMAND_OPTIONS.inspect,
    ...COMMAND_OPTIONS.reset,
    ...COMMAND_OPTIONS.keys,
  }
  const loose = parseArgs({ args: [...argv], options: all, strict: false, allowPositionals: true })
  let [name, ...rest] = loose.positionals
  if (name === 'help') {
    name = rest[0]
    if (name !== undefined && !isCommand(name)) throw unknownCommand(name)
    return { command: name as CommandName | undefined, values: { help: true }, positionals: [] }
  }
  if (name === undefined) {
    if (loose.values.help === true || argv.length === 0)
      return { command: undefined, values: { help: true }, positionals: [] }
    throw new CliError(EXIT.USAGE, `Expected a command (${COMMANDS.join(', ')})`)
  }
  if (!isCommand(name)) throw unknownCommand(name)
  try {
    const strict = parseArgs({
      args: [...argv],
      options: { ...GLOBAL_OPTIONS, ...COMMAND_OPTIONS[name] },
      allowPositionals: true,
    })
    return { command: name, values: strict.values as Values, positionals: strict.positionals.slice(1) }
  } catch (error) {
    throw new CliError(
      EXIT.USAGE,
      (error as Error).message.replace(/\. To specify a positional.*$/s, ''),
      name,
    )
  }
}

function unknownCommand(name: string): CliError {
  return new CliError(
    EXIT.USAGE,
    `Unknown command ${describeValue(name)}; expected one of: ${COMMANDS.join(', ')}`,
  )
}

/** A positive integer option, e.g. `--show 20`. */
export function integerOption(values: Values, name: string, fallback: number, max = 1_000_000): number {
  const raw = values[name]
  if (raw === undefined) return fallback
  const value = Number(raw)
  if (typeof raw !== 'string' || !/^\d+$/.test(raw) || value < 1 || value > max) {
    throw new CliError(
      EXIT.USAGE,
      `Expected --${name} to be an integer from 1 to ${max}, got ${describeValue(raw)}`,
    )
  }
  return value
}

/** The key prefix: `--prefix`, else the limiter's default. */
export function prefixOption(values: Values): string {
  const prefix = (values.prefix as string | undefined) ?? 'rl:'
  try {
    return validatePrefix(prefix)
  } catch (error) {
    throw new CliError(EXIT.USAGE, (error as Error).message.replace('`prefix`', '--prefix'))
  }
}

/**
 * The rule described by `--rule`, `--limit`, `--window`, `--algorithm`, when `--limit` and
 * `--window` are both given (the engine then validates it); `undefined` when neither is.
 */
export function ruleOption(values: Values, command: string): RateLimitRule | undefined {
  const { rule, limit, window, algorithm } = values as Record<string, string | undefined>
  if (limit === undefined && window === undefined) {
    if (algorithm !== undefined)
      throw new CliError(EXIT.USAGE, '--algorithm needs --limit and --window', command)
    return undefined
  }
  if (limit === undefined || window === undefined) {
    throw new CliError(
      EXIT.USAGE,
      '--limit and --window go together: they select one budget of the rule',
      command,
    )
  }
  return {
    ...(rule !== undefined ? { name: rule } : {}),
    limit: /^\d+$/.test(limit) ? Number(limit) : (limit as unknown as number),
    window: /^\d+$/.test(window) ? Number(window) : window,
    ...(algorithm !== undefined ? { algorithm: algorithm as RateLimitRule['algorithm'] } : {}),
  }
}

/** The one identity argument of `inspect` and `reset`. */
export function identityArgument(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1 || positionals[0] === '') {
    throw new CliError(
      EXIT.USAGE,
      `Expected exactly one identity, e.g. \`${command} user:42\`, got ${positionals.length}`,
      command,
    )
  }
  return positionals[0]!
}

/**
 * A key id is 43 base64url characters, so one in 64 starts with `-`, which `parseArgs` takes for
 * an option: `--key-id -Xy…` is joined into `--key-id=-Xy…` (the id's shape is unambiguous).
 */
function joinDashedKeyIds(argv: readonly string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const next = argv[i + 1]
    if (argv[i] === '--key-id' && next?.startsWith('-') && isApiKeyId(next)) {
      out.push(`--key-id=${next}`)
      i++
    } else out.push(argv[i]!)
  }
  return out
}
