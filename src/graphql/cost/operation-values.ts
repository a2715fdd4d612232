/**
 * The values one request gives its operation, as graphql-js will execute it: variables already
 * coerced to their declared types (`getVariableValues`), argument values as resolvers receive them
 * (`getArgumentValues`: schema defaults filled in, explicit `null` kept), `@skip` / `@include` as
 * execution decides them. The analysis never reads a raw, unchecked variable.
 */
import {
  type DirectiveNode,
  type FieldNode,
  type GraphQLField,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getArgumentValues,
  getDirectiveValues,
  Kind,
  type ValueNode,
} from 'graphql'
import type { WorkMeter } from './work-meter.js'

type Arguments = Readonly<Record<string, unknown>>
const NONE: Arguments = Object.freeze({})

/** Coerced values of one request, and which variables the analysis read (the cache keys on those). */
export class OperationValues {
  /** Variables read so far: their values changed, or could have changed, the result. */
  readonly used = new Set<string>()
  readonly #arguments = new Map<FieldNode, Arguments>()

  constructor(
    /** Variable values coerced by graphql-js (operation defaults included). */
    readonly variables: Arguments,
    readonly meter: WorkMeter,
  ) {}

  /**
   * The field's arguments as its resolver receives them. Variables in the `relevant` arguments are
   * noted as used. Empty when graphql-js would fail the field on its arguments (it then runs nothing).
   */
  arguments(
    definition: GraphQLField<unknown, unknown>,
    node: FieldNode,
    relevant: ReadonlySet<string>,
  ): Arguments {
    for (const arg of node.arguments ?? []) if (relevant.has(arg.name.value)) this.#note(arg.value)
    let values = this.#arguments.get(node)
    if (!values) {
      try {
        values = getArgumentValues(definition, node, this.variables)
      } catch {
        values = NONE
      }
      this.#arguments.set(node, values)
    }
    return values
  }

  /** Whether the argument is written in the document, with a variable the request gave (or defaulted). */
  given(node: FieldNode, name: string): boolean {
    const arg = node.arguments?.find((a) => a.name.value === name)
    if (!arg) return false
    return arg.value.kind !== Kind.VARIABLE || Object.hasOwn(this.variables, arg.value.name.value)
  }

  /** False when `@skip(if: true)` or `@include(if: false)` leaves the selection out, as execution does. */
  included(node: { readonly directives?: readonly DirectiveNode[] }): boolean {
    if (!node.directives?.length) return true
    for (const directive of node.directives) {
      const name = directive.name.value
      if (name !== 'skip' && name !== 'include') continue
      for (const arg of directive.arguments ?? []) this.#note(arg.value)
    }
    try {
      if (getDirectiveValues(GraphQLSkipDirective, node, this.variables)?.if === true) return false
      if (getDirectiveValues(GraphQLIncludeDirective, node, this.variables)?.if === false) return false
    } catch {
      // Execution fails on such a condition; pricing the selection keeps the estimate an upper bound.
    }
    return true
  }

  /** Notes every variable in a value (spending one unit per value node: literals may be large). */
  #note(value: ValueNode): void {
    this.meter.spend()
    if (value.kind === Kind.VARIABLE) this.used.add(value.name.value)
    else if (value.kind === Kind.LIST) for (const item of value.values) this.#note(item)
    else if (value.kind === Kind.OBJECT) for (const field of value.fields) this.#note(field.value)
  }
}
