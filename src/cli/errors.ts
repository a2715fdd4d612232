/**
 * Exit codes of the `resolver-rate-limit` command line (documented in `--help` and the README).
 */
export const EXIT = {
  /** Done. */
  OK: 0,
  /** An unexpected failure (a Redis error while running the command, a bug). */
  FAILURE: 1,
  /** Bad usage: unknown command or option, missing argument, bad URL or database index, invalid rule. */
  USAGE: 2,
  /** Redis could not be used within the timeout (refused, unknown host, auth failed, no such database). */
  UNREACHABLE: 3,
  /** A reset was not confirmed (answered no, or no terminal to ask and no `--yes`). */
  NOT_CONFIRMED: 4,
  /** Nothing matches: no usage recorded for the rule named with `--rule`, no key with the `--key-id`. */
  NOT_FOUND: 5,
} as const

export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

const CODE_NAMES: Record<ExitCode, string> = {
  0: 'OK',
  1: 'FAILURE',
  2: 'USAGE',
  3: 'UNREACHABLE',
  4: 'NOT_CONFIRMED',
  5: 'NOT_FOUND',
}

/** An error the command line reports as one sentence and an exit code, without a stack trace. */
export class CliError extends Error {
  readonly exitCode: ExitCode
  /** `USAGE`, `UNREACHABLE`, … (the {@link EXIT} key). */
  readonly code: string
  /** The command whose `--help` the message should point to, for usage errors. */
  readonly command: string | undefined

  constructor(exitCode: ExitCode, message: string, command?: string) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
    this.code = CODE_NAMES[exitCode]
    this.command = command
  }
}
