"""Values that can be known without running anything, put in place before the rules run.

Terraform: ``var.x`` (the variable's default, overridden by ``terraform.tfvars``,
``terraform.tfvars.json``, ``*.auto.tfvars`` in name order and configured var files, later
wins, as Terraform does), ``local.x`` (followed through other locals and variables) and
strings that interpolate only those (``"logs-${var.env}"``). CloudFormation: ``!Ref`` of
a parameter with a default, ``!FindInMap`` with known keys, ``!If`` on a condition that
evaluates statically (``!Equals`` of known values, ``!Not``, ``!And``, ``!Or``). A parameter
without a default but with ``AllowedValues`` makes the resource's ``variants``: one per
allowed value (the engine keeps a finding only when every variant has it).

A resolved value replaces the reference in the resource's body, at the reference's place
(so findings land on the use), and ``Resource.resolved`` says where it came from. Anything
else stays unknown: rules stay silent on it (DESIGN.md, Values). Nothing is evaluated but
these literal lookups.

Resolution is remembered per module and per resource object: a keystroke that changes
neither a variable, a local, a tfvars file nor a parameter re-resolves only the resource
it touched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Sequence
from operator import is_
from typing import Any

from iacperf.rules.model import (
    Entry,
    ExpressionNode,
    Format,
    IntrinsicNode,
    MappingNode,
    Node,
    Resolved,
    Resource,
    ScalarNode,
    SequenceNode,
    SourceRange,
    Template,
)
from iacperf.rules.records import field, record, replace

_REFERENCE = re.compile(r"\s*(var|local)\.([A-Za-z_][\w-]*)\s*")
_INTERPOLATION = re.compile(r"\$\{\s*(var|local)\.([A-Za-z_][\w-]*)\s*\}")
_DEPTH = 8  # locals referring to locals: enough for real code, bounded for cycles
#: At most this many variants per resource (allowed values of all the parameters it
#: references, multiplied); beyond that the values stay unknown.
_VARIANTS = 16
#: How a value taken from a parameter's AllowedValues is described (the engine looks for it)
ALLOWED_VALUES = "AllowedValues"

TemplateLoader = Callable[[str], "Template | None"]


@record
class Value:
    """A known literal and where it is written (``range`` absolute in ``path``)."""

    node: Node  # ScalarNode, or a SequenceNode of ScalarNodes
    description: str
    path: str
    range: SourceRange
    exact: bool = True  # False: made from it (a string interpolating it)


def literal(node: Node | None) -> bool:
    if isinstance(node, ScalarNode):
        return node.value is not None
    return isinstance(node, SequenceNode) and all(
        isinstance(i, ScalarNode) and i.value is not None for i in node.items
    )


def _resolved(use: SourceRange, value: Value) -> Resolved:
    return Resolved(use, value.description, value.path, value.range, value.exact)


def _at(value: Value, use: SourceRange) -> Node:
    """The value, placed where it is used."""
    node = value.node
    if isinstance(node, SequenceNode):
        items = tuple(replace(item, range=use) for item in node.items)
        return SequenceNode(use, items, flow=True)
    return replace(node, range=use)


# -- Terraform ---------------------------------------------------------------------------


@record(frozen=False)
class TerraformScope:
    variables: dict[str, Value] = field(default_factory=dict)
    #: local name -> (its node, the file, the line offset of its ``locals`` block)
    locals: dict[str, tuple[Node, str, int]] = field(default_factory=dict)

    def value(self, kind: str, name: str, used: set[str], depth: int = 0) -> Value | None:
        used.add(f"{kind}:{name}")
        if kind == "var":
            return self.variables.get(name)
        found = self.locals.get(name)
        if found is None or depth > _DEPTH:
            return None
        node, path, offset = found
        if literal(node):
            where = node.range.shifted(offset)
            return Value(node, f'local "{name}"', path, where)
        if isinstance(node, ExpressionNode):
            return self.expression(node, used, depth + 1)
        return None

    def expression(self, node: ExpressionNode, used: set[str], depth: int = 0) -> Value | None:
        """The literal ``node`` evaluates to: a reference, or a string that interpolates
        references only. ``used`` receives the names looked up."""
        whole = _REFERENCE.fullmatch(node.text)
        if whole is not None:
            return self.value(whole.group(1), whole.group(2), used, depth)
        text = node.text.strip()
        if len(text) < 2 or text[0] != '"' or text[-1] != '"' or "${" not in text:
            return None
        body = text[1:-1]
        parts: list[str] = []
        first: Value | None = None
        done = 0
        for match in _INTERPOLATION.finditer(body):
            found = self.value(match.group(1), match.group(2), used, depth)
            if found is None or not isinstance(found.node, ScalarNode):
                return None
            first = first or found
            parts += [body[done : match.start()], str(_scalar_text(found.node))]
            done = match.end()
        parts.append(body[done:])
        joined = "".join(parts)
        if first is None or "${" in joined or "%{" in joined or "\\" in joined:
            return None  # other interpolations, directives or escapes: not a plain literal
        made = ScalarNode(node.range, joined, '"')
        return Value(made, first.description, first.path, first.range, exact=False)


def _scalar_text(node: ScalarNode) -> str:
    if isinstance(node.value, bool):
        return "true" if node.value else "false"
    return str(node.value)


def terraform_scope(group: Sequence[Template], var_files: Sequence[Template]) -> TerraformScope:
    scope = TerraformScope()
    declared: set[str] = set()
    for template in group:
        for variable in template.variables:
            declared.add(variable.name)
            default = variable.default
            if default is not None and literal(default.value):
                where = default.value.range.shifted(variable.line_offset)
                scope.variables[variable.name] = Value(
                    default.value, f'default of variable "{variable.name}"', template.path, where
                )
        for block in template.blocks:
            entry = block.entry
            if entry.key == "locals" and isinstance(entry.value, MappingNode):
                for local in entry.value.entries:
                    scope.locals[local.key] = (local.value, template.path, block.line_offset)
    automatic = sorted((t for t in group if _auto_tfvars(t.path)), key=_tfvars_order)
    for template in (*automatic, *var_files):
        name = os.path.basename(template.path)
        for block in template.blocks:
            entry = block.entry
            if entry.is_block or entry.key not in declared or not literal(entry.value):
                continue
            where = entry.value.range.shifted(block.line_offset)
            scope.variables[entry.key] = Value(entry.value, name, template.path, where)
    return scope


def _auto_tfvars(path: str) -> bool:
    name = os.path.basename(path)
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith(
        (".auto.tfvars", ".auto.tfvars.json")
    )


def _tfvars_order(template: Template) -> tuple[int, str]:
    """terraform.tfvars, then terraform.tfvars.json, then *.auto.tfvars(.json) by name."""
    name = os.path.basename(template.path)
    rank = {"terraform.tfvars": 0, "terraform.tfvars.json": 1}.get(name, 2)
    return rank, name


def resolve_terraform(resource: Resource, scope: TerraformScope, used: set[str]) -> Resource:
    visit = _TerraformVisit(scope, used)
    body = visit(resource.body)
    if not visit.found:
        return resource
    assert isinstance(body, MappingNode)
    return replace(resource, body=body, node=body, resolved=tuple(visit.found))


class _TerraformVisit:
    """``resolve_terraform``'s walk. A class, not a closure that calls itself: that is a
    reference cycle, and the CLI runs without the cyclic garbage collector."""

    def __init__(self, scope: TerraformScope, used: set[str]) -> None:
        self.scope = scope
        self.used = used
        self.found: list[Resolved] = []

    def __call__(self, node: Node) -> Node:
        if isinstance(node, ExpressionNode):
            value = self.scope.expression(node, self.used)
            if value is None:
                return node
            self.found.append(_resolved(node.range, value))
            return _at(value, node.range)
        return _rebuild(node, self)


# -- CloudFormation ----------------------------------------------------------------------


@record(frozen=False)
class _CloudFormationScope:
    path: str
    parameters: dict[str, Value] = field(default_factory=dict)
    #: Parameters without a default, by name: each value their ``AllowedValues`` permit.
    allowed: dict[str, tuple[Value, ...]] = field(default_factory=dict)
    mappings: MappingNode | None = None
    conditions: MappingNode | None = None
    _decided: dict[str, bool | None] = field(default_factory=dict)

    used: set[str] = field(default_factory=set)  # what lookups read, see ``_ModuleState``

    def scalar(self, node: Node) -> Value | None:
        """A known scalar: a literal, a parameter default, a map lookup."""
        if isinstance(node, ScalarNode) and node.value is not None:
            return Value(node, "", self.path, node.range)
        if not isinstance(node, IntrinsicNode):
            return None
        if node.function == "Ref" and isinstance(node.argument, ScalarNode):
            self.used.add(f"param:{node.argument.value}")
            return self.parameters.get(str(node.argument.value))
        if node.function == "Fn::FindInMap":
            return self.find_in_map(node.argument)
        return None

    def find_in_map(self, argument: Node) -> Value | None:
        self.used.add("mappings")
        if self.mappings is None or not isinstance(argument, SequenceNode):
            return None
        if len(argument.items) != 3:
            return None
        names: list[str] = []
        keyed_by = ""  # a key that is one of several allowed values: no single place to edit
        for item in argument.items:
            key = self.scalar(item)
            if key is None or not isinstance(key.node, ScalarNode):
                return None
            names.append(_scalar_text(key.node))
            if not key.exact:
                keyed_by = f", keyed by {key.description}"
        node: Node = self.mappings
        for name in names:
            if not isinstance(node, MappingNode):
                return None
            entry = node.get(name)
            if entry is None:
                return None
            node = entry.value
        if not literal(node):
            return None
        description = f"Mappings {'.'.join(names)}{keyed_by}"
        return Value(node, description, self.path, node.range, exact=not keyed_by)

    def condition(self, name: str, depth: int = 0) -> bool | None:
        self.used.add("conditions")
        if name in self._decided:
            return self._decided[name]
        self._decided[name] = None  # a cycle decides nothing
        entry = self.conditions.get(name) if self.conditions is not None else None
        decided = self.truth(entry.value, depth + 1) if entry is not None else None
        self._decided[name] = decided
        return decided  # (what it read stays in ``used`` via "conditions": any change counts)

    def truth(self, node: Node, depth: int = 0) -> bool | None:
        if depth > _DEPTH or not isinstance(node, IntrinsicNode):
            return None
        items = node.argument.items if isinstance(node.argument, SequenceNode) else ()
        if node.function == "Fn::Equals" and len(items) == 2:
            left, right = self.scalar(items[0]), self.scalar(items[1])
            if left is None or right is None:
                return None
            assert isinstance(left.node, ScalarNode) and isinstance(right.node, ScalarNode)
            return _scalar_text(left.node) == _scalar_text(right.node)
        if node.function == "Condition" and isinstance(node.argument, ScalarNode):
            return self.condition(str(node.argument.value), depth)
        values = [self.truth(item, depth + 1) for item in items]
        if node.function == "Fn::Not" and len(values) == 1:
            return None if values[0] is None else not values[0]
        if node.function == "Fn::And" and values:
            return False if False in values else (None if None in values else True)
        if node.function == "Fn::Or" and values:
            return True if True in values else (None if None in values else False)
        return None


def _cloudformation_scope(template: Template) -> _CloudFormationScope:
    scope = _CloudFormationScope(template.path)
    root = template.root
    if root is None:
        return scope
    parameters = root.get("Parameters")
    if parameters is not None and isinstance(parameters.value, MappingNode):
        for entry in parameters.value.entries:
            if not isinstance(entry.value, MappingNode):
                continue
            default = entry.value.get("Default")
            kind = entry.value.get("Type")
            listed = isinstance(kind, Entry) and "List" in str(getattr(kind.value, "value", ""))
            if default is None and not listed:
                allowed = _allowed_values(entry.key, entry.value, template.path)
                if allowed:
                    scope.allowed[entry.key] = allowed
            if default is None or listed or not isinstance(default.value, ScalarNode):
                continue
            if default.value.value is not None:
                scope.parameters[entry.key] = Value(
                    default.value,
                    f'default of parameter "{entry.key}"',
                    template.path,
                    default.value.range,
                )
    for key in ("Mappings", "Conditions"):
        section = root.get(key)
        if section is not None and isinstance(section.value, MappingNode):
            setattr(scope, key.lower(), section.value)
    return scope


def _allowed_values(name: str, parameter: MappingNode, path: str) -> tuple[Value, ...]:
    """The values a parameter's ``AllowedValues`` permit (none unless all are literals);
    each one says it comes from there, and is not exact: no single place to edit."""
    entry = parameter.get("AllowedValues")
    kind = parameter.get("Type")
    if isinstance(kind, Entry) and str(getattr(kind.value, "value", "")).startswith("AWS::"):
        return ()  # AWS::SSM::Parameter::Value<...> holds a parameter's name, not the value
    if entry is None or not isinstance(entry.value, SequenceNode):
        return ()
    items = entry.value.items
    if not items or not all(isinstance(i, ScalarNode) and i.value is not None for i in items):
        return ()
    description = f'{ALLOWED_VALUES} of parameter "{name}"'
    return tuple(Value(i, description, path, entry.range, exact=False) for i in items)


def _resolve_cloudformation(
    resource: Resource, scope: _CloudFormationScope, used: set[str]
) -> Resource:
    scope.used = used
    visit = _CloudFormationVisit(scope)
    node = visit(resource.node)
    variants = _variants(resource, scope, sorted(visit.open_names))
    if not visit.found and node is resource.node and not variants:
        return resource
    assert isinstance(node, MappingNode)
    properties = node.get("Properties")
    body = properties.value if properties is not None else resource.body
    if not isinstance(body, MappingNode):
        body = resource.body
    return replace(resource, body=body, node=node, resolved=tuple(visit.found), variants=variants)


class _CloudFormationVisit:
    """``_resolve_cloudformation``'s walk (a class for the reason ``_TerraformVisit`` is)."""

    def __init__(self, scope: _CloudFormationScope) -> None:
        self.scope = scope
        self.found: list[Resolved] = []
        self.open_names: set[str] = set()  # parameters known only by their AllowedValues

    def __call__(self, node: Node) -> Node:
        scope = self.scope
        if isinstance(node, IntrinsicNode):
            if node.function in ("Ref", "Fn::FindInMap"):
                value = scope.scalar(node)
                if value is None:
                    self.open_names.update(_refs(node) & scope.allowed.keys())
                    return node
                self.found.append(_resolved(node.range, value))
                return _at(value, node.range)
            if node.function == "Fn::If" and isinstance(node.argument, SequenceNode):
                items = node.argument.items
                if len(items) == 3 and isinstance(items[0], ScalarNode):
                    decided = scope.condition(str(items[0].value))
                    if decided is not None:
                        chosen = items[1] if decided else items[2]
                        if not _no_value(chosen):
                            return self(chosen)
            return node
        return _rebuild(node, self)


def _refs(node: Node) -> set[str]:
    """The names ``!Ref`` reads anywhere in ``node``."""
    if isinstance(node, IntrinsicNode):
        if node.function == "Ref" and isinstance(node.argument, ScalarNode):
            return {str(node.argument.value)}
        return _refs(node.argument)
    if isinstance(node, SequenceNode):
        return set().union(*(_refs(item) for item in node.items))
    return set()


def _variants(
    resource: Resource, scope: _CloudFormationScope, names: Sequence[str]
) -> tuple[Resource, ...]:
    """``resource`` resolved once per combination of the allowed values of ``names``."""
    if not names:
        return ()
    combinations: list[dict[str, Value]] = [{}]
    for name in names:
        combinations = [{**c, name: v} for c in combinations for v in scope.allowed[name]]
        if len(combinations) > _VARIANTS:
            return ()
    variants = []
    for binding in combinations:
        bound = _CloudFormationScope(
            scope.path,
            parameters={**scope.parameters, **binding},
            mappings=scope.mappings,
            conditions=scope.conditions,
        )
        variants.append(_resolve_cloudformation(resource, bound, set()))
    return tuple(variants)


def _condition_false(
    resource: Resource, scope: TerraformScope | _CloudFormationScope, used: set[str]
) -> bool:
    """A CloudFormation resource whose ``Condition`` is statically false is not created."""
    if not isinstance(scope, _CloudFormationScope):
        return False
    condition = resource.node.get("Condition")
    if condition is None or not isinstance(condition.value, ScalarNode):
        return False
    scope.used = used
    return scope.condition(str(condition.value.value)) is False


def _no_value(node: Node) -> bool:
    return (
        isinstance(node, IntrinsicNode)
        and node.function == "Ref"
        and isinstance(node.argument, ScalarNode)
        and node.argument.value == "AWS::NoValue"
    )


# -- both --------------------------------------------------------------------------------


def _rebuild(node: Node, visit: Callable[[Node], Node]) -> Node:
    """``node`` with ``visit`` applied to its children; the same object when none changed.
    Scalars are not visited: both walks leave them as they are, and they are most values.
    Plain loops: most nodes change nothing, and then nothing is built."""
    if isinstance(node, MappingNode):
        entries: list[Entry] | None = None
        for index, entry in enumerate(node.entries):
            value = entry.value
            if value.__class__ is ScalarNode:
                continue
            changed = visit(value)
            if changed is not value:
                if entries is None:
                    entries = list(node.entries)
                entries[index] = replace(entry, value=changed)
        return node if entries is None else replace(node, entries=tuple(entries))
    if isinstance(node, SequenceNode):
        items: list[Node] | None = None
        for index, item in enumerate(node.items):
            if item.__class__ is ScalarNode:
                continue
            changed = visit(item)
            if changed is not item:
                if items is None:
                    items = list(node.items)
                items[index] = changed
        return node if items is None else replace(node, items=tuple(items))
    return node


@record(frozen=False)
class _ModuleState:
    inputs: tuple[object, ...]  # the objects the scope was built from
    scope: TerraformScope | _CloudFormationScope
    templates: tuple[Template, ...] = ()
    resources: tuple[Resource, ...] = ()
    #: template path -> (its resources, and for each: the resource, what it resolved to,
    #: the names it looked up, whether the resolved resource exists: ``count = 0``
    #: switches it off)
    rows: dict[str, tuple[tuple[Resource, ...], list[_Done]]] = field(default_factory=dict)


_Done = tuple[Resource, Resource, frozenset[str], bool]


class Resolver:
    """Resolves the resources of a module; remembers per module (the language server's).

    When a variable, local, tfvars entry or parameter changes, only the resources that
    looked it up are resolved again; the others keep their resolved objects, so the rule
    memo still recognises them."""

    def __init__(self, load: TemplateLoader | None = None) -> None:
        self._modules: dict[tuple[str, ...], _ModuleState] = {}
        self._load = load or load_template
        #: path -> (its latest template, what a scope is built from in it)
        self._inputs: dict[str, tuple[Template, tuple[object, ...]]] = {}
        #: Findings of local module calls by what they depend on (see the engine); the
        #: value keeps those objects alive, so their ids stay theirs.
        self.calls: dict[tuple[object, ...], tuple[object, list[Any]]] = {}

    def module(
        self,
        group: Sequence[Template],
        var_files: Sequence[str] = (),
        exists: Callable[[Resource], bool] = lambda _: True,
    ) -> tuple[Resource, ...]:
        """The resources of ``group`` (one Terraform directory or one template), resolved,
        that ``exists``."""
        key = tuple(t.path for t in group)
        state = self._modules.get(key)
        if state is not None and same_objects(state.templates, group):
            return state.resources
        extra = [t for p in var_files if (t := self._load(p)) is not None]
        inputs = tuple(extra) + tuple(x for t in group for x in self._inputs_of(t))
        changed: set[str] | None = set()
        if state is None:
            state = _ModuleState(inputs, _scope_of(group, extra))
            changed = None  # nothing to keep
        elif not same_objects(state.inputs, inputs):
            scope = _scope_of(group, extra)
            changed = _changes(state.scope, scope)
            state = _ModuleState(inputs, scope, rows=state.rows)
        scope = state.scope

        def resolve_one(resource: Resource) -> _Done:
            used: set[str] = set()
            result = _resolve(resource, scope, used)
            alive = exists(result) and not _condition_false(result, scope, used)
            return (resource, result, frozenset(used), alive)

        rows: dict[str, tuple[tuple[Resource, ...], list[_Done]]] = {}
        for template in group:
            resources = template.resources
            last_resources, last = state.rows.get(template.path, ((), []))
            if changed is not None and len(last_resources) == len(resources):
                # A keystroke: the same objects but one or two (found in C), and most of
                # them looked up no name whose value changed.
                entries = list(last)
                todo = changed_places(last_resources, resources) or []
                if changed:
                    todo.extend(i for i, known in enumerate(last) if changed & known[2])
                for i in todo:
                    entries[i] = resolve_one(resources[i])
            else:
                by_id = {id(known[0]): known for known in last}
                entries = []
                for resource in resources:
                    known = by_id.get(id(resource))
                    if (
                        changed is None
                        or known is None
                        or known[0] is not resource
                        or changed & known[2]
                    ):
                        known = resolve_one(resource)
                    entries.append(known)
            rows[template.path] = (resources, entries)
        state.rows = rows
        resolved = [k[1] for t in group for k in rows[t.path][1] if k[3]]
        state.templates = tuple(group)
        state.resources = tuple(resolved)
        self._modules[key] = state
        return state.resources

    def scope(self, group: Sequence[Template]) -> TerraformScope | _CloudFormationScope | None:
        """The scope ``module`` last resolved ``group`` with."""
        state = self._modules.get(tuple(t.path for t in group))
        return state.scope if state is not None else None

    def _inputs_of(self, template: Template) -> tuple[object, ...]:
        known = self._inputs.get(template.path)
        if known is None or known[0] is not template:
            if (
                known is None
                or template.root is not None
                or _auto_tfvars(template.path)
                or not same_objects(known[0].variables, template.variables)
                or not keyed_blocks_kept(known[0], template, _SCOPE_BLOCKS)
            ):
                known = (template, _scope_inputs(template))
            else:
                known = (template, known[1])  # an edit outside variables and locals
            self._inputs[template.path] = known
        return known[1]


def _changes(
    old: TerraformScope | _CloudFormationScope, new: TerraformScope | _CloudFormationScope
) -> set[str]:
    """The names whose value differs between two scopes of one module."""
    changed: set[str] = set()
    if isinstance(old, TerraformScope) and isinstance(new, TerraformScope):
        for name in old.variables.keys() | new.variables.keys():
            if not _same_value(old.variables.get(name), new.variables.get(name)):
                changed.add(f"var:{name}")
        for name in old.locals.keys() | new.locals.keys():
            a, b = old.locals.get(name), new.locals.get(name)
            if a is None or b is None or a[0] is not b[0] or a[1:] != b[1:]:
                changed.add(f"local:{name}")
        return changed
    if isinstance(old, _CloudFormationScope) and isinstance(new, _CloudFormationScope):
        for name in old.parameters.keys() | new.parameters.keys():
            if not _same_value(old.parameters.get(name), new.parameters.get(name)):
                changed.add(f"param:{name}")
        for name in old.allowed.keys() | new.allowed.keys():
            before, after = old.allowed.get(name, ()), new.allowed.get(name, ())
            if len(before) != len(after) or not all(map(_same_value, before, after)):
                changed.add(f"param:{name}")
        if old.mappings is not new.mappings:
            changed.add("mappings")
        if old.conditions is not new.conditions or changed:
            changed.add("conditions")  # conditions read parameters too
        return changed
    return {"*"}


def _same_value(a: Value | None, b: Value | None) -> bool:
    if a is None or b is None:
        return a is b
    return a.node is b.node and (a.path, a.range, a.description) == (b.path, b.range, b.description)


def _scope_of(
    group: Sequence[Template], var_files: Sequence[Template]
) -> TerraformScope | _CloudFormationScope:
    if group and group[0].format is Format.CLOUDFORMATION:
        return _cloudformation_scope(group[0])
    return terraform_scope(group, var_files)


def switched_off(count: Node | None, for_each: Node | None) -> bool:
    """A literal (or resolved) ``count = 0`` or empty ``for_each`` creates nothing."""
    if isinstance(count, ScalarNode) and count.value in (0, False):
        return True
    if isinstance(for_each, MappingNode):
        return not for_each.entries
    return isinstance(for_each, SequenceNode) and not for_each.items


def _resolve(
    resource: Resource, scope: TerraformScope | _CloudFormationScope, used: set[str]
) -> Resource:
    if isinstance(scope, TerraformScope):
        return resolve_terraform(resource, scope, used)
    return _resolve_cloudformation(resource, scope, used)


def _scope_inputs(template: Template) -> tuple[object, ...]:
    """What a scope is built from: variables, locals and tfvars entries; the CloudFormation
    sections outside Resources. The same objects give the same scope."""
    if template.root is not None:
        return tuple(e for e in template.root.entries if e.key != "Resources")
    inputs: list[object] = list(template.variables)
    if _auto_tfvars(template.path):
        inputs.extend(b.entry for b in template.blocks)
    else:
        inputs.extend(b.entry for b in template.blocks if b.entry.key == "locals")
    return tuple(inputs)


def same_objects(old: Sequence[object], new: Sequence[object]) -> bool:
    return len(old) == len(new) and all(a is b for a, b in zip(old, new, strict=True))


def keyed_blocks_kept(old: Template, new: Template, keys: frozenset[str]) -> bool:
    """Whether the top-level blocks of ``new`` whose key is one of ``keys`` are those of
    ``old`` (the same objects at the same places): what is derived from them alone holds
    for ``new`` too. A keystroke replaces one block of thousands (found in C), and
    filtering them all again cost more than the edit's parse."""
    if len(old.blocks) != len(new.blocks):
        return False
    places = changed_places(old.blocks, new.blocks, _FEW_BLOCKS)
    return places is not None and not any(
        old.blocks[at].entry.key in keys or new.blocks[at].entry.key in keys for at in places
    )


_FEW_BLOCKS = 8
_SCOPE_BLOCKS = frozenset({"locals"})


def changed_places(
    old: Sequence[object], new: Sequence[object], limit: int | None = None
) -> list[int] | None:
    """The indexes where two sequences of the same length hold other objects, compared in
    C (a keystroke keeps thousands of objects and replaces one); None when there are more
    than ``limit``."""
    same = bytes(map(is_, old, new))
    if limit is not None and same.count(0) > limit:
        return None
    places = []
    at = same.find(0)
    while at != -1:
        places.append(at)
        at = same.find(0, at + 1)
    return places


def load_template(path: str) -> Template | None:
    """A configured var file, read and parsed (cached by size and modification time)."""
    try:
        stat = os.stat(path)
    except OSError:
        return None
    key = (path, stat.st_mtime_ns, stat.st_size)
    cached = _VAR_FILES.get(path)
    if cached is not None and cached[0] == key:
        return cached[1]
    from iacperf.server.parsing import parse_text

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError):
        return None
    template = parse_text(path, text)[0]
    _VAR_FILES[path] = (key, template)
    return template


_VAR_FILES: dict[str, tuple[tuple[str, int, int], Template | None]] = {}


def origins(resource: Resource, use: SourceRange) -> Iterator[Resolved]:
    """The resolved values of ``resource`` that ``use`` (a relative range) falls on."""
    for item in resource.resolved:
        if item.use.start <= use.start and use.end <= item.use.end:
            yield item
