import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
} from 'graphql'
import { tooComplex } from './work-meter.js'

/** The operation to cost, with the document's fragments. */
export interface PreparedOperation {
  readonly operation: OperationDefinitionNode
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>
}

/**
 * Finds the operation graphql-js would execute (by name, or the only one) and indexes the
 * fragments; `undefined` when there is no such operation (execution reports that error itself).
 */
export function prepareOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
): PreparedOperation | undefined {
  const fragments = new Map<string, FragmentDefinitionNode>()
  const operations: OperationDefinitionNode[] = []
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
    else if (definition.kind === Kind.OPERATION_DEFINITION) operations.push(definition)
  }
  // As graphql-js: a name (even "") picks the operation of that name; no name, the only operation.
  const operation =
    operationName != null
      ? operations.findLast((op) => op.name?.value === operationName)
      : operations.length === 1
        ? operations[0]
        : undefined
  return operation && { operation, fragments }
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({})

/** Whether coercion failed on the stack (a value nested too deeply), not on the value's type. */
function overflowed(error: unknown): boolean {
  return (
    error instanceof RangeError ||
    (error instanceof GraphQLError && error.originalError instanceof RangeError)
  )
}

/**
 * The request's variables coerced to the operation's declared types, exactly as graphql-js will
 * execute them (operation defaults filled in, unknown variables dropped); `undefined` when they do
 * not coerce — execution then refuses the operation itself, and runs no resolver.
 *
 * @throws CostAnalysisError (`QUERY_TOO_COMPLEX`) when a value is nested too deeply to coerce
 *   (a stack overflow): whether execution, on another stack depth, would overflow too cannot be
 *   known, so the operation is refused rather than run unpriced.
 */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: unknown,
): Readonly<Record<string, unknown>> | undefined {
  const definitions = operation.variableDefinitions ?? []
  if (definitions.length === 0) return EMPTY
  const inputs = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {}
  let result: ReturnType<typeof getVariableValues>
  try {
    result = getVariableValues(schema, definitions, inputs, { maxErrors: 1 })
  } catch (error) {
    if (overflowed(error)) throw tooComplex('meets a variable nested too deeply to read')
    throw error
  }
  if (result.errors?.some(overflowed)) throw tooComplex('meets a variable nested too deeply to read')
  return result.errors ? undefined : result.coerced
}
