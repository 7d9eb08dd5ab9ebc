import { Kind, OperationTypeNode, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** A field a subgraph fetch fills in: `Type.field`, and where it sits in the fetch's own answer. */
export interface FetchedField {
  readonly coordinate: string;
  /**
   * `[responseKey]` for a root field; `['_entities', index, responseKey]` for a field of one
   * entity, which Apollo Gateway maps to that entity's place in the client's response.
   */
  readonly path: readonly (string | number)[];
}

interface SelectedField {
  readonly typeName: string;
  readonly responseKey: string;
  readonly name: string;
}

const ROOT_TYPE: Record<OperationTypeNode, string> = {
  [OperationTypeNode.QUERY]: 'Query',
  [OperationTypeNode.MUTATION]: 'Mutation',
  [OperationTypeNode.SUBSCRIPTION]: 'Subscription',
};

function selectedFields(selectionSet: SelectionSetNode, typeName: string, fragments: Map<string, FragmentDefinitionNode>, seen = new Set<string>()): SelectedField[] {
  return selectionSet.selections.flatMap((selection): SelectedField[] => {
    switch (selection.kind) {
      case Kind.FIELD:
        if (selection.name.value === '__typename') return [];
        return [{ typeName, responseKey: selection.alias?.value ?? selection.name.value, name: selection.name.value }];
      case Kind.INLINE_FRAGMENT:
        return selectedFields(selection.selectionSet, selection.typeCondition?.name.value ?? typeName, fragments, seen);
      case Kind.FRAGMENT_SPREAD: {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) return [];
        return selectedFields(fragment.selectionSet, fragment.typeCondition.name.value, fragments, new Set([...seen, fragment.name.value]));
      }
    }
  });
}

/** The first occurrence of each response key (a fetch may select a field twice, through two fragments). */
function unique(fields: SelectedField[]): SelectedField[] {
  const byKey = new Map<string, SelectedField>();
  for (const field of fields) if (!byKey.has(`${field.typeName}.${field.responseKey}`)) byKey.set(`${field.typeName}.${field.responseKey}`, field);
  return [...byKey.values()];
}

/**
 * The fields the operation a query plan sent to one subgraph would have filled in: its root
 * fields, or for an entity fetch (`_entities(representations: …)`) the fields selected on each
 * representation's type, once per representation.
 */
export function fetchedFields(document: DocumentNode, variables: Record<string, unknown> | undefined): FetchedField[] {
  const operation = document.definitions.find((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (!operation) return [];
  const fragments = new Map(
    document.definitions.filter((definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION).map((fragment) => [fragment.name.value, fragment]),
  );
  const rootType = ROOT_TYPE[operation.operation];
  const [only] = operation.selectionSet.selections;
  const isEntityFetch = operation.selectionSet.selections.length === 1 && only?.kind === Kind.FIELD && only.name.value === '_entities' && only.selectionSet;
  if (!isEntityFetch) {
    return unique(selectedFields(operation.selectionSet, rootType, fragments)).map((field) => ({ coordinate: `${field.typeName}.${field.name}`, path: [field.responseKey] }));
  }
  const entityFields = unique(selectedFields(only.selectionSet!, rootType, fragments));
  const representations = Array.isArray(variables?.representations) ? (variables.representations as { __typename?: unknown }[]) : [];
  return representations.flatMap((representation, index) =>
    entityFields
      .filter((field) => field.typeName === representation?.__typename)
      .map((field) => ({ coordinate: `${field.typeName}.${field.name}`, path: ['_entities', index, field.responseKey] })),
  );
}
