/**
 * The SDL of `@cost` and `@listSize` (IBM GraphQL Cost Directives specification).
 *
 * The text is kept identical to `schema/cost.graphql` (a test compares them), so the file in the
 * package and this export never disagree, and bundling needs no file-system access at run time.
 */

/**
 * SDL declaring `@cost(weight: String!)` and `@listSize(...)`; add it to your type definitions.
 *
 * @example
 * const schema = makeExecutableSchema({ typeDefs: [costTypeDefs, typeDefs], resolvers })
 */
export const costTypeDefs: string = `"""
The cost of one appearance of a type, field, argument or input field, as a decimal number in a
string (IBM GraphQL Cost Directives specification). Overrides the default: 1 for objects,
interfaces and unions, 0 for scalars and enums, 1 for input objects.
"""
directive @cost(
  weight: String!
) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR

"""
How many items a list field returns (IBM GraphQL Cost Directives specification): the value of a
slicing argument (the largest when several are given), else \`assumedSize\`, else the configured
default list size. \`sizedFields\` applies that size to fields of the returned object instead, as
for cursor connections (\`edges\`, \`nodes\`).
"""
directive @listSize(
  "The size assumed when no slicing argument gives one."
  assumedSize: Int
  "Arguments that bound the list size, such as \`first\` and \`last\`; \`input.first\` reaches into an input object."
  slicingArguments: [String!]
  "Fields of the returned object whose list size the slicing arguments set (\`edges\`, \`nodes\`)."
  sizedFields: [String!]
  "Refuse operations that do not give exactly one slicing argument."
  requireOneSlicingArgument: Boolean = true
) on FIELD_DEFINITION
`
