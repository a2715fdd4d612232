/**
 * Per schema and parsed document (held weakly: graphql-yoga reuses parsed documents), the
 * operations the analysis cache keys results by, and the key of one request: the values of the
 * variables that changed the cost, canonical and digested. Nothing is stored for an operation name
 * the document does not have.
 */
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLInputType,
  type GraphQLSchema,
  getNullableType,
  isInputObjectType,
  isListType,
  Kind,
  type OperationDefinitionNode,
  typeFromAST,
} from 'graphql'
import { digest } from '../../keys.js'
import type { PreparedOperation } from './operation.js'

/** Keys longer than this are replaced by their SHA-256 digest. */
const MAX_PLAIN_KEY = 96

/** One operation of one document, for one schema. */
export class OperationEntry {
  /** Variables the estimate read, in first-read order: results are keyed by their values. */
  #used: readonly string[] = []
  readonly #types = new Map<string, GraphQLInputType>()

  constructor(
    schema: GraphQLSchema,
    readonly prefix: string,
    readonly prepared: PreparedOperation,
    /** A copy of the name that does not keep the document's source alive from the cache. */
    readonly operationName: string | undefined,
  ) {
    for (const definition of prepared.operation.variableDefinitions ?? []) {
      const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined
      if (type) this.#types.set(definition.variable.name.value, type)
    }
  }

  /** Adds the variables an analysis read to those results are keyed by. */
  learn(used: Iterable<string>): void {
    const added = [...used].filter((name) => !this.#used.includes(name))
    if (added.length > 0) this.#used = [...this.#used, ...added]
  }

  /** The cache key of a request: this operation and the coerced values of the variables that matter. */
  key(variables: Readonly<Record<string, unknown>>): string {
    const parts: string[] = [this.prefix]
    for (const name of this.#used) {
      parts.push('|')
      const type = this.#types.get(name)
      if (!Object.hasOwn(variables, name) || !type) parts.push('~')
      else canonical(variables[name], type, parts)
    }
    const key = parts.join('')
    return key.length <= MAX_PLAIN_KEY ? key : `${this.prefix}#${digest(key, 43)}`
  }
}

/**
 * A coerced value in a canonical form that keeps what the cost model can read: numbers and
 * booleans (sizes, `@skip`), strings (`__type(name:)`), list lengths, which input fields are given,
 * `null`. Enums and custom scalars only count by their presence.
 */
function canonical(value: unknown, type: GraphQLInputType, out: string[]): void {
  if (value === null || value === undefined) {
    out.push('n')
    return
  }
  const nullable = getNullableType(type)
  if (isListType(nullable)) {
    if (!Array.isArray(value)) {
      canonical(value, nullable.ofType, out)
      return
    }
    out.push('[')
    for (const item of value) {
      canonical(item, nullable.ofType, out)
      out.push(',')
    }
    out.push(']')
  } else if (isInputObjectType(nullable)) {
    out.push('{')
    for (const [name, field] of Object.entries(nullable.getFields())) {
      if (!Object.hasOwn(value as object, name)) continue
      out.push(name, ':')
      canonical((value as Record<string, unknown>)[name], field.type, out)
      out.push(',')
    }
    out.push('}')
  } else if (nullable.name === 'Int' || nullable.name === 'Float' || nullable.name === 'Boolean') {
    out.push(String(value))
  } else if (nullable.name === 'String' || nullable.name === 'ID') {
    out.push(JSON.stringify(String(value)))
  } else {
    out.push('1')
  }
}

interface DocumentEntry {
  readonly id: number
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>
  readonly operations: readonly OperationDefinitionNode[]
  readonly byName: ReadonlyMap<string, OperationDefinitionNode>
  readonly entries: Map<OperationDefinitionNode, OperationEntry>
}

/** Finds the operation graphql-js will execute, remembering each document's operations weakly. */
export class OperationIndex {
  readonly #schemas = new WeakMap<
    GraphQLSchema,
    { id: number; documents: WeakMap<DocumentNode, DocumentEntry> }
  >()
  #ids = 0

  /** `undefined` when the document has no such operation (execution reports it; nothing is stored). */
  find(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined) {
    let bySchema = this.#schemas.get(schema)
    if (!bySchema) {
      bySchema = { id: this.#ids++, documents: new WeakMap() }
      this.#schemas.set(schema, bySchema)
    }
    let doc = bySchema.documents.get(document)
    if (!doc) {
      doc = indexDocument(document, this.#ids++)
      bySchema.documents.set(document, doc)
    }
    // As graphql-js: a name picks the operation of that name; no name, the only operation.
    const operation =
      operationName != null
        ? doc.byName.get(operationName)
        : doc.operations.length === 1
          ? doc.operations[0]
          : undefined
    if (!operation) return undefined
    let entry = doc.entries.get(operation)
    if (!entry) {
      const name = operation.name?.value
      const prefix = `${bySchema.id}:${doc.id}:${doc.operations.indexOf(operation)}`
      const copy = name === undefined ? undefined : (JSON.parse(JSON.stringify(name)) as string)
      entry = new OperationEntry(schema, prefix, { operation, fragments: doc.fragments }, copy)
      doc.entries.set(operation, entry)
    }
    return entry
  }
}

function indexDocument(document: DocumentNode, id: number): DocumentEntry {
  const fragments = new Map<string, FragmentDefinitionNode>()
  const operations: OperationDefinitionNode[] = []
  const byName = new Map<string, OperationDefinitionNode>()
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition)
    else if (definition.kind === Kind.OPERATION_DEFINITION) {
      operations.push(definition)
      // The last of a name wins, as in graphql-js (validation refuses duplicates anyway).
      if (definition.name) byName.set(definition.name.value, definition)
    }
  }
  return { id, fragments, operations, byName, entries: new Map() }
}
