"""Query limits: what one GraphQL document may ask for, refused before anything executes.

Depth, aliases and tokens use graphql-core's and Strawberry's own checks; this module adds
the two of ours: a field may not repeat a directive, and a query's cost stays in budget.

Cost: a field costs 1 plus the cost of its selection; a connection (a field with a `first`
argument) multiplies the cost of its selection by `first` (its default page size when
absent), and `nodes(ids:)` by the number of ids. So
`customers(first: 100) { edges { node { id name } } }` costs 1 + 100 * (1 + 1 + 2) = 401:
roughly the number of values a response may carry. A plain list whose length has a bound
of its own (a journey's touchpoints) is registered in BOUNDED_LISTS and multiplies by it. Fragments count where they are spread,
and every branch of a fragment on an abstract type counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    ValidationRule,
    get_argument_values,
    get_named_type,
    get_operation_ast,
    get_variable_values,
    type_from_ast,
)
from graphql.type.introspection import SchemaMetaFieldDef, TypeMetaFieldDef
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import SchemaExtension

from repositories.pagination import DEFAULT_PAGE_SIZE

#: (type, field) -> the most items a plain list field returns, for the cost of its selection.
BOUNDED_LISTS: dict[tuple[str, str], int] = {}


@dataclass(frozen=True)
class QueryLimits:
    """Everything the schema's checks depend on; hashable, so one schema is built per value."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2000
    max_cost: int = 5000
    introspection: bool = True
    field_suggestions: bool = True


class RepeatedDirectiveRule(ValidationRule):
    """A field (or fragment) may not carry the same directive twice. Validation stops at
    the first such place, before the directives are looked at one by one: graphql-cop's
    "directive overloading" probe (`__typename @aa@aa…`) gets one error, not one per copy."""

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self._check(node)

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self._check(node)

    def enter_inline_fragment(self, node: InlineFragmentNode, *_: Any) -> None:
        self._check(node)

    def _check(self, node: FieldNode | FragmentSpreadNode | InlineFragmentNode) -> None:
        counts = Counter(directive.name.value for directive in node.directives or ())
        for name, count in counts.items():
            if count > 1:
                raise ValidationAbortedError(
                    f"the directive @{name} is repeated {count} times in one place; use it once",
                    [node],
                )


class QueryCostLimiter(SchemaExtension):
    """Refuses an operation whose cost is over budget, once its variables are known
    (validation rules do not see variables, and cached validation must not depend on them)."""

    def __init__(self, max_cost: int) -> None:
        self.max_cost = max_cost

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if context.result is None and document is not None:
            cost = operation_cost(
                context.schema._schema, document, context.operation_name, context.variables or {}
            )
            if cost is not None and cost > self.max_cost:
                message = (
                    f"the query costs {cost}, over the limit of {self.max_cost}: ask for smaller "
                    "pages (`first`) or fewer fields"
                )
                # Setting the result skips execution; it is reported like a validation error.
                context.result = ExecutionResult(data=None, errors=[GraphQLError(message)])
        yield


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> int | None:
    """The operation's cost, or None when execution will refuse it anyway (no such
    operation, variables that do not coerce) and say why better than a cost could."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    root = schema.get_root_type(operation.operation)
    coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
    if root is None or isinstance(coerced, list):
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return _Cost(schema, fragments, coerced).of(operation.selection_set, root)


class _Cost:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode], variables: Any):
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def of(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                total += self.of(
                    selection.selection_set, type_from_ast(self.schema, condition) if condition else parent
                )
            elif isinstance(selection, FragmentSpreadNode):
                # Validation has run: the fragment exists and spreads form no cycle.
                fragment = self.fragments[selection.name.value]
                total += self.of(fragment.selection_set, type_from_ast(self.schema, fragment.type_condition))
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        definition = self._definition(node.name.value, parent)
        if definition is None or node.selection_set is None:
            return 1
        children = self.of(node.selection_set, get_named_type(definition.type))
        bound = BOUNDED_LISTS.get((parent.name, node.name.value)) if parent is not None else None
        return 1 + (bound or self._page_size(definition, node)) * children

    def _definition(self, name: str, parent: GraphQLNamedType | None) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return parent.fields.get(name)
        return None

    def _page_size(self, definition: GraphQLField, node: FieldNode) -> int:
        """How many objects the field may return: `first` for a connection, the number
        of ids for `nodes(ids:)`, else one."""
        if "first" not in definition.args and "ids" not in definition.args:
            return 1
        try:
            arguments = get_argument_values(definition, node, self.variables)
        except GraphQLError:
            return DEFAULT_PAGE_SIZE  # execution reports the bad argument
        if "first" in definition.args:
            first = arguments.get("first")
            return DEFAULT_PAGE_SIZE if first is None else max(int(first), 0)
        ids = arguments.get("ids")
        return len(ids) if isinstance(ids, list) else 1
