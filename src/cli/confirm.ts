import { createInterface } from 'node:readline'
import { CliError, EXIT } from './errors.js'
import type { CliIo } from './io.js'

/**
 * Asks a yes/no question on the terminal; anything but `y`/`yes` is a no. Without a terminal
 * on stdin there is nobody to ask: refuse, and say how to confirm from a script.
 */
export async function confirm(io: CliIo, question: string, command: string): Promise<void> {
  if (!io.stdin.isTTY) {
    throw new CliError(
      EXIT.NOT_CONFIRMED,
      'Refusing to delete without confirmation: stdin is not a terminal. Re-run with --yes to confirm.',
      command,
    )
  }
  const rl = createInterface({ input: io.stdin, output: io.stderr as NodeJS.WritableStream })
  const answer = await new Promise<string>((resolve) => {
    rl.question(`${question} [y/N] `, resolve)
    rl.once('close', () => resolve(''))
  })
  rl.close()
  if (!/^y(es)?$/i.test(answer.trim()))
    throw new CliError(EXIT.NOT_CONFIRMED, 'Not confirmed: nothing was deleted.')
}
