import {
  type DocumentNode,
  type FragmentDefinitionNode,
  Kind,
  type OperationDefinitionNode,
  valueFromASTUntyped,
} from 'graphql'

/** The operation to cost, with the document's fragments and its variables' defaults. */
export interface PreparedOperation {
  readonly operation: OperationDefinitionNode
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>
  readonly defaults: ReadonlyMap<string, unknown>
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
  const operation = operationName
    ? operations.find((op) => op.name?.value === operationName)
    : operations.length === 1
      ? operations[0]
      : undefined
  if (!operation) return undefined
  const defaults = new Map<string, unknown>()
  for (const v of operation.variableDefinitions ?? []) {
    if (v.defaultValue) defaults.set(v.variable.name.value, valueFromASTUntyped(v.defaultValue))
  }
  return { operation, fragments, defaults }
}
