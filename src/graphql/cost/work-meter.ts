/**
 * The bound on the work of one cost analysis: every walk (estimate, actual cost, introspection,
 * argument values) spends one unit per node it visits, and the analysis stops past
 * `maxAnalysisNodes`, whatever the document. Memoisation keeps honest documents far below it;
 * the meter is the guard for whatever slips past the memo.
 */
import { CostAnalysisError } from './cost-errors.js'

/** Counts the nodes one analysis visits, and refuses past its limit. */
export class WorkMeter {
  #left: number

  constructor(readonly limit: number) {
    this.#left = limit
  }

  /** Nodes visited so far. */
  get used(): number {
    return this.limit - this.#left
  }

  /** @throws CostAnalysisError (`QUERY_TOO_COMPLEX`) past the limit. */
  spend(nodes = 1): void {
    this.#left -= nodes
    if (this.#left < 0) throw tooComplex(`visits more than ${this.limit} nodes (\`maxAnalysisNodes\`)`)
  }
}

/** The refusal of an operation whose analysis cannot finish within bounds. */
export function tooComplex(why: string): CostAnalysisError {
  return new CostAnalysisError(
    `This operation is too complex to price: its cost analysis ${why}. Ask for fewer fields, aliases or fragment spreads.`,
    'QUERY_TOO_COMPLEX',
  )
}

/**
 * Runs one analysis and turns a stack overflow (a document or value nested too deeply to walk)
 * into `QUERY_TOO_COMPLEX` instead of an internal error.
 */
export function withinStack<T>(run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof RangeError) throw tooComplex('nests too deeply')
    throw error
  }
}
