/**
 * Some of a request's rules, by position, and the one way an answer about them is merged back into
 * an answer about all of them. Two parts of the engine ask the store (or a stand-in) about part of
 * a request: the `'local'` failure policy (only the rules on `'local'`) and a shadow admission
 * (only the enforced rules). Both pick those rules' store keys, get an answer in the same order,
 * and merge it into the request's per-rule list by the same positions.
 */
import type { ResolvedRule } from '../types.js'

export class RuleSubset {
  /** Every rule: picking returns the list itself, merging returns the part. Nothing is allocated. */
  static readonly ALL = new RuleSubset(undefined)
  /** No rule. */
  static readonly NONE = new RuleSubset([])

  /** The rules of `resolved` that `test` accepts; {@link ALL} or {@link NONE} when it is either. */
  static where(resolved: readonly ResolvedRule[], test: (rule: ResolvedRule) => boolean): RuleSubset {
    const positions: number[] = []
    for (let i = 0; i < resolved.length; i++) if (test(resolved[i]!)) positions.push(i)
    if (positions.length === resolved.length) return RuleSubset.ALL
    return positions.length === 0 ? RuleSubset.NONE : new RuleSubset(positions)
  }

  /** Positions in the whole list, ascending; undefined for every rule. */
  readonly #positions: readonly number[] | undefined

  private constructor(positions: readonly number[] | undefined) {
    this.#positions = positions
  }

  get isAll(): boolean {
    return this.#positions === undefined
  }

  get isEmpty(): boolean {
    return this.#positions?.length === 0
  }

  /** The items of the subset's rules, in order (`items` is per rule of the whole request). */
  pick<T>(items: readonly T[]): readonly T[] {
    const positions = this.#positions
    return positions === undefined ? items : positions.map((i) => items[i]!)
  }

  /**
   * `whole` with the subset's items replaced by `part`'s, in order (`part` answers for the
   * subset's rules, as {@link pick} listed them). `combine` decides each replaced item from both;
   * by default `part`'s wins. The result is a new list unless the subset is every rule and there is
   * nothing to combine.
   */
  merge<T>(whole: readonly T[], part: readonly T[], combine?: (inWhole: T, inPart: T) => T): readonly T[] {
    const positions = this.#positions
    if (positions === undefined && combine === undefined) return part
    const merged = whole.slice()
    for (let j = 0; j < part.length; j++) {
      const i = positions === undefined ? j : positions[j]!
      merged[i] = combine === undefined ? part[j]! : combine(whole[i]!, part[j]!)
    }
    return merged
  }
}
