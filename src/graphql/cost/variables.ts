import { type DirectiveNode, Kind, type ValueNode } from 'graphql'

/**
 * Reads argument values and `@skip` / `@include` conditions of one request, and remembers which
 * variables it read: the analysis cache keys its results by the values of exactly those.
 */
export class VariableReader {
  /** Variables read so far (their values changed the result). */
  readonly used = new Set<string>()

  constructor(
    readonly variables: Readonly<Record<string, unknown>>,
    readonly defaults: ReadonlyMap<string, unknown>,
  ) {}

  /** A variable's value as given, else its default in the operation. */
  variable(name: string): unknown {
    this.used.add(name)
    return Object.hasOwn(this.variables, name) ? this.variables[name] : this.defaults.get(name)
  }

  /** A value node as plain data, variables substituted. */
  value(node: ValueNode): unknown {
    switch (node.kind) {
      case Kind.VARIABLE:
        return this.variable(node.name.value)
      case Kind.INT:
        return Number.parseInt(node.value, 10)
      case Kind.FLOAT:
        return Number.parseFloat(node.value)
      case Kind.NULL:
        return null
      case Kind.LIST:
        return node.values.map((v) => this.value(v))
      case Kind.OBJECT:
        return Object.fromEntries(node.fields.map((f) => [f.name.value, this.value(f.value)]))
      default:
        return node.value
    }
  }

  /** False when `@skip(if: true)` or `@include(if: false)` leaves the selection out. */
  included(directives: readonly DirectiveNode[] | undefined): boolean {
    if (!directives?.length) return true
    for (const directive of directives) {
      const name = directive.name.value
      if (name !== 'skip' && name !== 'include') continue
      const arg = directive.arguments?.find((a) => a.name.value === 'if')
      const value = arg ? this.value(arg.value) === true : false
      if (name === 'skip' ? value : !value) return false
    }
    return true
  }
}
