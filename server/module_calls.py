"""Local Terraform modules evaluated with the arguments their callers pass.

``module "db" { source = "./modules/db"  instance_class = "db.m4.large" }``: the module's
resources are resolved again with ``var.instance_class`` bound to the caller's argument
(a literal, or a value the caller's own variables and locals make known), and the rules
run on them. A finding that comes from such an argument is reported at the argument in
the caller's file, naming the resource inside the module; findings that do not depend
on the caller are the module's own, reported when the module itself is checked. A call
whose own ``count`` is 0 or ``for_each`` empty (as written or through the caller's
variables and locals) creates nothing, so nothing is reported through it.

Only local sources (``./``, ``../``) are followed: registry and Git modules are not on
disk, and nothing is ever downloaded. Resource and module rules run on the bound
resources, with the module's own resources and blocks as their context; a module rule
whose verdict rests on context a caller usually holds opts out (``through_module_calls``:
PERF002 reads the ``aws_ami`` data source, which a caller passes in as ``image_id``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence

from iacperf.rules.api import Fix, Related, Violation
from iacperf.rules.model import (
    ExpressionNode,
    Format,
    MappingNode,
    Node,
    Resolved,
    Resource,
    SourceRange,
    Template,
)
from iacperf.rules.records import record, replace
from iacperf.rules.values import text
from iacperf.server.resolve import (
    TerraformScope,
    Value,
    keyed_blocks_kept,
    literal,
    load_template,
    resolve_terraform,
    switched_off,
    terraform_scope,
)

_META_ARGUMENTS = frozenset({"source", "version", "count", "for_each", "providers", "depends_on"})
_LOCAL = ("./", "../")
_MODULE_BLOCKS = frozenset({"module"})


@record(slots=False)
class ModuleCall:
    """A ``module`` block with a local source, and the module it calls."""

    label: str
    caller: Template
    line_offset: int  # of the module block in the caller's file
    body: MappingNode
    folder: str


def local_calls(group: Sequence[Template]) -> Iterator[ModuleCall]:
    for template in group:
        if template.format is Format.TERRAFORM:
            yield from _calls_of(template)


# path -> (its latest template, its local calls): a keystroke re-lints the module, and
# every template but the edited one is the same object as before.
_CALLS: dict[str, tuple[Template, tuple[ModuleCall, ...]]] = {}


def _calls_of(template: Template) -> tuple[ModuleCall, ...]:
    known = _CALLS.get(template.path)
    if known is not None and known[0] is template:
        return known[1]
    if known is not None and keyed_blocks_kept(known[0], template, _MODULE_BLOCKS):
        # An edit outside module blocks: the same calls, made from the new template.
        kept = tuple(replace(call, caller=template) for call in known[1])
        _CALLS[template.path] = (template, kept)
        return kept
    calls = []
    for block in template.blocks:
        entry = block.entry
        if entry.key != "module" or not entry.is_block or len(entry.labels) != 1:
            continue
        assert isinstance(entry.value, MappingNode)
        value = text(entry.value.get("source"))
        if value is None or not value.startswith(_LOCAL):
            continue
        folder = os.path.normpath(os.path.join(os.path.dirname(template.path), value))
        calls.append(ModuleCall(entry.labels[0], template, block.line_offset, entry.value, folder))
    if len(_CALLS) > 10_000:
        _CALLS.clear()  # a very long CLI run over many projects
    _CALLS[template.path] = (template, tuple(calls))
    return _CALLS[template.path][1]


def call_bindings(call: ModuleCall, caller_scope: TerraformScope) -> dict[str, Value]:
    """The module's variables the call sets to a value the caller makes known."""
    bound: dict[str, Value] = {}
    for argument in call.body.entries:
        if argument.is_block or argument.key in _META_ARGUMENTS:
            continue
        value = _argument_value(call, argument.value, caller_scope)
        if value is not None:
            bound[argument.key] = value
    return bound


def call_switched_off(call: ModuleCall, caller_scope: TerraformScope) -> bool:
    """The call's own ``count = 0`` or empty ``for_each``, written or known through the
    caller's variables and locals: it creates nothing, so nothing is reported through it."""
    values: list[Node | None] = []
    for key in ("count", "for_each"):
        entry = call.body.get(key)
        node = entry.value if entry is not None else None
        if isinstance(node, ExpressionNode):
            known = caller_scope.expression(node, set())
            node = known.node if known is not None else node
        values.append(node)
    return switched_off(*values)


def bound_resources(
    call: ModuleCall, bindings: dict[str, Value], module: Sequence[Template]
) -> tuple[list[Resource], list[Resource]]:
    """The module's resources resolved with ``bindings``, and among them those that use
    one of them (the rest are the module's own business)."""
    if not bindings:
        return [], []
    scope = terraform_scope(module, ())
    scope.variables.update(bindings)
    bound = {f"var:{name}" for name in bindings}
    everything, affected = [], []
    for template in module:
        for resource in template.resources:
            used: set[str] = set()
            result = resolve_terraform(resource, scope, used)
            everything.append(result)
            if used & bound and any(item.path == call.caller.path for item in result.resolved):
                affected.append(result)
    return everything, affected


def call_key(
    call: ModuleCall, bindings: dict[str, Value], module: Sequence[Template]
) -> tuple[object, ...]:
    """What a call's findings depend on (beside the rule selection): the same objects
    give the same findings."""
    values = tuple(
        sorted((name, id(v.node), v.path, v.range, v.exact) for name, v in bindings.items())
    )
    return (call.caller.path, call.label, id(call.body), tuple(id(t) for t in module), values)


def _argument_value(call: ModuleCall, node: Node, caller_scope: TerraformScope) -> Value | None:
    description = f'argument of module "{call.label}"'
    if isinstance(node, ExpressionNode):
        known = caller_scope.expression(node, set())
        if known is None:
            return None
        where = node.range.shifted(call.line_offset)
        # Made from the caller's variables: a fix must not write a literal over the
        # reference, so it stays advice.
        return Value(known.node, description, call.caller.path, where, exact=False)
    if literal(node):
        return Value(node, description, call.caller.path, node.range.shifted(call.line_offset))
    return None


def at_the_caller(
    call: ModuleCall, resource: Resource, violation: Violation
) -> tuple[SourceRange, str, str, Fix | None, tuple[Related, ...]] | None:
    """A violation on ``resource`` (inside the module) moved to the caller's argument it
    comes from: (range, message, resource address, fix, related), absolute in the
    caller's file. None when it does not come from an argument of this call."""
    origin = next(
        (
            item
            for item in resource.resolved
            if item.path == call.caller.path
            and item.use.start <= violation.range.start
            and violation.range.end <= item.use.end
        ),
        None,
    )
    if origin is None:
        return None
    inside = Related(
        f"used by {resource.address} in the module",
        resource.path,
        resource.absolute(violation.range),
    )
    address = f"module.{call.label}.{resource.address}"
    fix = _moved_fix(violation.fix, origin, call.label)
    message = f"{violation.message} (in module.{call.label})"
    return origin.range, message, address, fix, (inside, *violation.related)


def _moved_fix(fix: Fix | None, origin: Resolved, label: str) -> Fix | None:
    """The fix's edit of the resolved value, made to the caller's argument instead."""
    if fix is None or not fix.edits:
        return fix
    edits = []
    for edit in fix.edits:
        if edit.range == origin.use and origin.exact:
            edits.append(replace(edit, range=origin.range))
        else:
            return Fix.display_only(f"{fix.title} (in module.{label})")
    return replace(fix, edits=tuple(edits))


def module_templates(folder: str, known: dict[str, list[Template]]) -> list[Template]:
    """The Terraform files of ``folder``: those already scanned (``known``, by folder),
    else read from disk."""
    found = known.get(folder)
    if found:
        return found
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    loaded = (load_template(os.path.join(folder, n)) for n in names if n.endswith(".tf"))
    return [t for t in loaded if t is not None]
