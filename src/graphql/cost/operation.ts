import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  getVariableValues,
  Kind,
  type OperationDefinitionNode,
} from 'graphql'

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

/**
 * The request's variables coerced to the operation's declared types, exactly as graphql-js will
 * execute them (operation defaults filled in, unknown variables dropped); `undefined` when they do
 * not coerce — execution then refuses the operation itself, and runs no resolver.
 */
export function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  raw: unknown,
): Readonly<Record<string, unknown>> | undefined {
  const definitions = operation.variableDefinitions ?? []
  if (definitions.length === 0) return EMPTY
  const inputs = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {}
  try {
    const result = getVariableValues(schema, definitions, inputs, { maxErrors: 1 })
    return result.errors ? undefined : result.coerced
  } catch {
    // A value nested too deeply for graphql-js (stack overflow): execution fails on it as well.
    return undefined
  }
}
