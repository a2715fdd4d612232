import { RateLimitConfigError } from '../errors.js'
import { COMMAND_OPTIONS, type CommandName, integerOption, parseCommandLine, prefixOption } from './args.js'
import { inspect } from './commands/inspect.js'
import { keys } from './commands/keys.js'
import { reset } from './commands/reset.js'
import { connect, targetOption } from './connect.js'
import type { Command } from './context.js'
import { CliError, EXIT, type ExitCode } from './errors.js'
import { HELP } from './help.js'
import type { CliIo } from './io.js'
import { Output } from './output.js'

const COMMANDS: Record<CommandName, Command<unknown>> = {
  inspect: inspect as Command<unknown>,
  reset: reset as Command<unknown>,
  keys: keys as Command<unknown>,
}

/** Prints an error as one sentence (plus where to find help) and returns its exit code. */
function report(error: unknown, io: CliIo): ExitCode {
  const failure =
    error instanceof CliError
      ? error
      : error instanceof RateLimitConfigError
        ? new CliError(EXIT.USAGE, error.message)
        : new CliError(EXIT.FAILURE, error instanceof Error ? error.message : String(error))
  io.stderr.write(`resolver-rate-limit: ${failure.message}\n`)
  if (failure.exitCode === EXIT.USAGE) {
    const command =
      failure.command && Object.hasOwn(COMMAND_OPTIONS, failure.command) ? `${failure.command} ` : ''
    io.stderr.write(`Run 'resolver-rate-limit ${command}--help' for usage.\n`)
  }
  return failure.exitCode
}

/**
 * Runs the `resolver-rate-limit` command line and returns the exit code (never throws, never
 * calls `process.exit`): arguments are checked first, then Redis is connected with a deadline,
 * the command runs, and the connection is closed.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  try {
    const { command, values, positionals } = parseCommandLine(argv)
    if (values.help === true || command === undefined) {
      io.stdout.write(HELP[command ?? 'general'])
      return EXIT.OK
    }
    const definition = COMMANDS[command]
    const plan = definition.prepare(values, positionals)
    const prefix = prefixOption(values)
    const timeoutMs = integerOption(values, 'timeout', 5000, 60_000)
    const target = targetOption(values, io.env)
    const out = new Output(io, values.json === true, values.quiet === true)
    const connection = await connect(target, timeoutMs)
    try {
      await definition.run({ connection, prefix, timeoutMs, out, io }, plan)
    } finally {
      connection.close()
    }
    return EXIT.OK
  } catch (error) {
    return report(error, io)
  }
}
