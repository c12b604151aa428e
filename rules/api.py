"""The rule API: how a rule declares itself, what it sees, and what it reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from enum import Enum
from typing import Any, TypeVar

from iacperf.rules.edits import Edit
from iacperf.rules.model import Format, MappingNode, Resource, SourceRange, TopBlock
from iacperf.rules.records import field, record

_T = TypeVar("_T")


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFORMATION = "information"
    HINT = "hint"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "information": 1, "hint": 0}[self.value]


class Applicability(str, Enum):
    """How sure a fix is (ruff's levels, read as IaC update behaviour)."""

    SAFE = "safe"  # in-place update, no restart or replacement: applied by fix-all
    UNSAFE = "unsafe"  # may restart or replace the resource: quick fix only
    DISPLAY_ONLY = "display-only"  # advice shown in hover, never applied

    @property
    def rank(self) -> int:
        return {"safe": 2, "unsafe": 1, "display-only": 0}[self.value]


class FixAvailability(str, Enum):
    NONE = "none"
    SOMETIMES = "sometimes"
    ALWAYS = "always"


class Scope(str, Enum):
    """What a rule looks at."""

    RESOURCE = "resource"  # one resource
    MODULE = "module"  # one resource against the others of its Terraform directory / template
    PROJECT = "project"  # everything scanned together


@record
class Link:
    title: str
    url: str


@record
class BestPractice:
    """A Well-Architected best practice (``PERF02-BP01``)."""

    id: str
    title: str
    url: str


@record
class Fix:
    title: str
    applicability: Applicability
    edits: tuple[Edit, ...] = ()

    @staticmethod
    def safe(title: str, *edits: Edit) -> Fix:
        return Fix(title, Applicability.SAFE, edits)

    @staticmethod
    def unsafe(title: str, *edits: Edit) -> Fix:
        return Fix(title, Applicability.UNSAFE, edits)

    @staticmethod
    def display_only(title: str) -> Fix:
        return Fix(title, Applicability.DISPLAY_ONLY, ())


@record
class Related:
    """Where a value came from (shown as LSP relatedInformation)."""

    message: str
    path: str
    range: SourceRange  # absolute


@record
class Violation:
    """What a check reports. ``range`` and the fix's edits are relative to ``resource``."""

    message: str
    range: SourceRange
    fix: Fix | None = None
    #: Project rules name the resource they anchor to; resource rules may leave it empty.
    resource: Resource | None = None
    related: tuple[Related, ...] = ()


@record(slots=False)
class Context:
    """What a rule can see beyond one resource."""

    #: Resources of the same Terraform directory or the same CloudFormation template.
    module: tuple[Resource, ...] = ()
    #: Every resource scanned together (project rules).
    project: tuple[Resource, ...] = ()
    #: Terraform: the top-level blocks (``module`` calls, ``data`` sources ...) beside
    #: ``module`` (module rules) or ``project`` (project rules): what resources cannot show.
    blocks: tuple[TopBlock, ...] = ()
    #: CloudFormation/SAM: the template's ``Globals`` section (what ``AWS::Serverless::*``
    #: resources inherit); None for Terraform or when the template has none.
    globals: MappingNode | None = None
    options: dict[str, object] = field(default_factory=dict)
    #: Where ``fact`` remembers what it computed; None computes every time.
    facts: Facts | None = field(default=None, compare=False, repr=False)
    _block_index: dict[str, tuple[TopBlock, ...]] | None = field(
        default=None, compare=False, repr=False
    )
    _project_index: dict[str, tuple[Resource, ...]] | None = field(
        default=None, compare=False, repr=False
    )

    def fact(self, compute: Callable[[Resource], _T], resource: Resource) -> _T:
        """``compute(resource)``, computed once per resource object.

        For what a rule derives from *other* resources of the module or project (does
        this policy read DynamoDB items? which database does this function name?): the
        language server keeps the objects of resources an edit did not touch, so such a
        fact is computed again only for the resource that changed. ``compute`` must
        depend on ``resource`` alone and be a module-level function (it is the cache key).
        """
        if self.facts is None:
            return compute(resource)
        return self.facts.get(compute, resource)

    def summary(self, compute: Callable[[Context], _T]) -> _T:
        """``compute(context)``: what a rule derives from the module as a whole (the
        monitoring roles other databases use), computed once per lint, not once per
        resource the rule checks.

        ``compute`` must be a module-level function (it is the cache key) of the context
        alone, reading it through ``module_of_kind``/``blocks_of`` where it can, and
        return a value that compares by value (tuples of strings and nodes, not
        resources). The language server then re-checks the rule's other resources only
        when the summary itself changed, not whenever any resource it read did.
        """
        if self.facts is None:
            return compute(self)
        return self.facts.summary(compute, self)

    def module_of_kind(self, *kinds: str) -> Iterator[Resource]:
        return (r for r in self.module if r.kind in kinds)

    def project_of_kind(self, *kinds: str) -> Iterator[Resource]:
        """Project rules: the project's resources of ``kinds``, kind by kind (in project order
        within a kind). Indexed once per context: a project is re-checked on every keystroke,
        and most of it is of kinds a rule does not look at."""
        index = self._project_index
        if index is None:
            found: dict[str, list[Resource]] = {}
            for resource in self.project:
                found.setdefault(resource.kind, []).append(resource)
            index = {kind: tuple(value) for kind, value in found.items()}
            object.__setattr__(self, "_project_index", index)
        return (r for kind in dict.fromkeys(kinds) for r in index.get(kind, ()))

    def top_blocks(self, block_type: str) -> Iterator[TopBlock]:
        """Terraform top-level blocks of one type as written: a native block, or a whole
        JSON section (``{"data": {...}}``). ``blocks_of`` splits JSON sections into blocks."""
        return iter(self._of_type(block_type))

    def _of_type(self, block_type: str) -> tuple[TopBlock, ...]:
        # Indexed once per context: project rules ask for several types of every block of
        # the project.
        index = self._block_index
        if index is None:
            found: dict[str, list[TopBlock]] = {}
            for top in self.blocks:
                found.setdefault(top.entry.key, []).append(top)
            index = {key: tuple(value) for key, value in found.items()}
            object.__setattr__(self, "_block_index", index)
        return index.get(block_type, ())

    def blocks_of(self, block_type: str) -> Iterator[tuple[tuple[str, ...], MappingNode]]:
        """Terraform top-level blocks of one type (``module``, ``data``) as (labels, body),
        in native syntax and in JSON (``{"data": {"aws_region": {"current": {}}}}``)."""
        depth = 1 if block_type == "module" else 2
        for top in self._of_type(block_type):
            entry = top.entry
            if not isinstance(entry.value, MappingNode):
                continue
            if entry.is_block:
                yield entry.labels, entry.value
            else:
                yield from _json_blocks(entry.value, depth)


def _json_blocks(
    section: MappingNode, depth: int, labels: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], MappingNode]]:
    for entry in section.entries:
        if not isinstance(entry.value, MappingNode):
            continue
        if depth == 1:
            yield (*labels, entry.key), entry.value
        else:
            yield from _json_blocks(entry.value, depth - 1, (*labels, entry.key))


class Facts:
    """What ``Context.fact`` computed, by function and resource object."""

    def __init__(self) -> None:
        self._known: dict[tuple[Callable[[Resource], Any], int], tuple[Resource, Any]] = {}
        self._summaries: dict[tuple[Callable[[Context], Any], int, int], tuple[Any, Any, Any]] = {}

    def get(self, compute: Callable[[Resource], _T], resource: Resource) -> _T:
        key = (compute, id(resource))
        known = self._known.get(key)
        if known is not None and known[0] is resource:
            value: _T = known[1]
            return value
        value = compute(resource)
        self._known[key] = (resource, value)
        return value

    def summary(self, compute: Callable[[Context], _T], context: Context) -> _T:
        """``compute(context)``, once per module tuple (one lint sees one tuple per module)."""
        key = (compute, id(context.module), id(context.blocks))
        known = self._summaries.get(key)
        if known is not None and known[0] is context.module and known[1] is context.blocks:
            value: _T = known[2]
            return value
        if len(self._summaries) > 1_000:
            self._summaries.clear()
        value = compute(context)
        self._summaries[key] = (context.module, context.blocks, value)
        return value

    def __len__(self) -> int:
        return len(self._known)

    def keep(self, alive: Iterable[Resource]) -> None:
        """Forget facts about resource objects that are not ``alive`` (replaced by edits)."""
        ids = {id(resource): resource for resource in alive}
        self._known = {
            key: known for key, known in self._known.items() if ids.get(key[1]) is known[0]
        }


ResourceCheck = Callable[[Resource, Context], Iterable[Violation]]
ProjectCheck = Callable[[Context], Iterable[Violation]]
Check = ResourceCheck | ProjectCheck


@record(slots=False)
class Rule:
    code: str  # PERF019
    name: str  # ebs-gp2-volume
    title: str
    severity: Severity
    scope: Scope
    fix: FixAvailability
    terraform: tuple[str, ...]
    cloudformation: tuple[str, ...]
    evidence: tuple[Link, ...]
    well_architected: tuple[BestPractice, ...]
    compliance: tuple[tuple[str, str], ...]
    tags: tuple[str, ...]
    check: Check = field(repr=False, compare=False)
    doc: str = field(repr=False)
    module: str = ""
    #: Module rules: whether the rule also runs on a local module's resources as a caller
    #: binds them. False when its verdict rests on context a caller usually holds (the AMI
    #: data source PERF002 reads is passed in as ``image_id``): there it would guess.
    through_module_calls: bool = True
    #: Project rules: the resources the check needs to see, and the Terraform top-level
    #: block types (``data``, ``module``) it reads; None: all of them. See ``rule``.
    project_reads: Callable[[Resource], bool] | None = field(
        default=None, repr=False, compare=False
    )
    project_blocks: tuple[str, ...] | None = None
    #: Project rules: of the resources the check reads, those it reads the values of;
    #: None: all of them. See ``rule``.
    project_values: Callable[[Resource], bool] | None = field(
        default=None, repr=False, compare=False
    )

    def kinds(self, fmt: Format) -> tuple[str, ...]:
        return self.terraform if fmt is Format.TERRAFORM else self.cloudformation

    @property
    def formats(self) -> tuple[Format, ...]:
        return tuple(
            f for f in Format if (self.terraform if f is Format.TERRAFORM else self.cloudformation)
        )

    def check_resource(self, resource: Resource, context: Context) -> Iterable[Violation]:
        check: ResourceCheck = self.check  # type: ignore[assignment]
        return check(resource, context)

    def check_project(self, context: Context) -> Iterable[Violation]:
        check: ProjectCheck = self.check  # type: ignore[assignment]
        return check(context)


def cleandoc(doc: str) -> str:
    """``inspect.cleandoc``: the first line's leading blanks and the others' common indent
    gone, blank lines around removed. Here because ``inspect`` costs a check 3-4 ms of
    imports (``ast``, ``dis``, ``tokenize``), for rule docstrings only."""
    lines = doc.expandtabs().split("\n")
    margins = [len(line) - len(line.lstrip()) for line in lines[1:] if line.lstrip()]
    margin = min(margins, default=0)
    lines = [lines[0].lstrip(), *(line[margin:] for line in lines[1:])]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def rule(
    *,
    code: str,
    name: str,
    title: str,
    severity: Severity,
    terraform: Iterable[str] = (),
    cloudformation: Iterable[str] = (),
    scope: Scope = Scope.RESOURCE,
    fix: FixAvailability = FixAvailability.NONE,
    evidence: Iterable[Link] = (),
    well_architected: Iterable[BestPractice] = (),
    compliance: dict[str, str] | None = None,
    tags: Iterable[str] = (),
    through_module_calls: bool = True,
    project_reads: Callable[[Resource], bool] | None = None,
    project_blocks: Iterable[str] | None = None,
    project_values: Callable[[Resource], bool] | None = None,
) -> Callable[[Check], Rule]:
    """Declare a rule; the decorated function becomes an immutable ``Rule``.

    The function's docstring is the rule's documentation page.

    A project rule may say what of the project its check reads: the resources for which
    ``project_reads`` is true and the Terraform top-level blocks of ``project_blocks``'
    types. Of those resources, it may read only the kind, name and place of the ones for
    which ``project_values`` is false: they reach it without their values. The check must
    then find the same on the project cut down to those as on the whole of it
    (``tests/rules/test_project_reads.py`` holds every project rule to this): the CLI's
    worker processes send the main process only what its project rules read.
    """

    def declare(check: Check) -> Rule:
        return Rule(
            code=code,
            name=name,
            title=title,
            severity=severity,
            scope=scope,
            fix=fix,
            terraform=tuple(terraform),
            cloudformation=tuple(cloudformation),
            evidence=tuple(evidence),
            well_architected=tuple(well_architected),
            compliance=tuple(sorted((compliance or {}).items())),
            tags=tuple(tags),
            check=check,
            doc=cleandoc(check.__doc__ or ""),
            module=check.__module__,
            through_module_calls=through_module_calls,
            project_reads=project_reads,
            project_blocks=None if project_blocks is None else tuple(project_blocks),
            project_values=project_values,
        )

    return declare
