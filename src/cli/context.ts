import type { Values } from './args.js'
import type { Connection } from './connect.js'
import type { CliIo } from './io.js'
import type { Output } from './output.js'

/** What a command runs with once its arguments are checked and Redis is connected. */
export interface CommandContext {
  readonly connection: Connection
  readonly prefix: string
  readonly timeoutMs: number
  readonly out: Output
  readonly io: CliIo
}

/**
 * A command in two steps: `prepare` checks the arguments before anything connects (a usage
 * error never waits for Redis), `run` does the work.
 */
export interface Command<Plan> {
  prepare(values: Values, positionals: readonly string[]): Plan
  run(ctx: CommandContext, plan: Plan): Promise<void>
}
