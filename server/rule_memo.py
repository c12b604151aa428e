"""Remembers what resource and module rules found, so a keystroke re-runs only what it touched.

The language server re-lints a whole module on every edit, but the incremental parse
hands back the very same ``Resource`` objects for every block the edit did not touch. A
rule's findings for a resource can be reused when the resource is the same object and
every part of the context the rule read last time is unchanged. What a rule reads is
recorded while it runs: ``module_of_kind(kind)``, ``blocks_of(type)`` and
``top_blocks(type)`` make it depend on the resources of that kind or the blocks of that
type only; reading ``module``, ``blocks``, ``project`` or ``globals`` directly makes it
depend on all of them. A part of the context counts as unchanged when it holds the very
same objects as before. ``summary(compute)`` makes it depend on the summary's value only:
the summary is computed again when what it read changed, and counts as unchanged while
its value compares equal.

Owned by one thread (the language server's analysis worker).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import chain, compress, count
from operator import attrgetter
from typing import Any, TypeVar

from iacperf.rules.api import Context, Facts, Rule
from iacperf.rules.model import MappingNode, Resource, Template, TopBlock
from iacperf.rules.records import field, fields, record
from iacperf.server.resolve import Resolver, changed_places, same_objects

Dependency = tuple[str, ...]  # ("kind", "aws_iam_role"), ("blocks", "module"), ("module",)
_T = TypeVar("_T")
_I = TypeVar("_I")
_WHOLE = frozenset({"module", "blocks", "project", "globals"})


@record(slots=False)
class _Seen:
    """What the last lint of a module looked at, to tell what an edit changed since."""

    lint: int
    index: _Index


class _Index:
    """One lint's view of a module context: resources by kind, blocks by type, and which
    kinds and types hold other objects than in the module's last lint."""

    def __init__(self, context: Context, lint: int = 0, before: _Seen | None = None) -> None:
        self.context = context
        self.lint = lint
        self.before = before
        self._changed: dict[str, frozenset[str] | None] = {}
        self._replaced: dict[str, dict[int, Any]] = {}  # part -> id(old object) -> new one
        self._regrouped: dict[str, set[str]] = {}  # part -> kinds an object joined or left
        #: part -> whether ``_groups[part]`` holds every kind of it (a missing one is empty)
        self._complete: dict[str, bool] = {}
        #: part ("module", "blocks", "project") -> kind or block type -> its objects
        self._groups: dict[str, dict[str, tuple[Any, ...]]] = {}
        self._order: dict[int, int] | None = None  # id(resource) -> its place in the module

    def of_kind(self, kind: str) -> tuple[Resource, ...]:
        return self._group("module", kind)

    def of_kinds(self, kinds: Sequence[str]) -> list[Resource]:
        """The resources of any of ``kinds``, in module order."""
        if self._order is None:
            self._order = {id(r): place for place, r in enumerate(self.context.module)}
        order = self._order
        found = [r for kind in dict.fromkeys(kinds) for r in self.of_kind(kind)]
        found.sort(key=lambda r: order[id(r)])
        return found

    def of_type(self, block_type: str) -> tuple[TopBlock, ...]:
        return self._group("blocks", block_type)

    def of_project_kind(self, kind: str) -> tuple[Resource, ...]:
        return self._group("project", kind)

    def _group(self, part: str, key: str) -> tuple[Any, ...]:
        """The objects of ``part`` of one kind (block type), in order."""
        groups = self._groups.get(part)
        if groups is None or not self._complete.get(part, False) and key not in groups:
            # One pass builds every group of the part; later lints carry them forward.
            key_of = _KEY_OF[part]
            built: dict[str, list[Any]] = {}
            for item in getattr(self.context, part):
                built.setdefault(key_of(item), []).append(item)
            groups = {k: tuple(v) for k, v in built.items()}
            self._groups[part] = groups
            self._complete[part] = True
        return groups.get(key, ())

    def carry_forward(self) -> None:
        """Take the last lint's groups, with the objects an edit replaced swapped in: a
        keystroke touches one resource, and walking thousands to find the three module
        blocks would cost every keystroke. A group an object joined or left is dropped
        (built again when asked for)."""
        if self.before is None:
            return
        for part, groups in self.before.index._groups.items():
            changed = self._changes(part)
            if changed is None:
                continue
            replaced, regrouped = self._replaced[part], self._regrouped[part]
            mine: dict[str, tuple[Any, ...]] = {}
            for key, last in groups.items():
                if key not in changed:
                    mine[key] = last
                elif key not in regrouped:
                    mine[key] = tuple(replaced.get(id(x), x) for x in last)
            self._groups[part] = mine
            # Complete when the last one was and no kind is missing now.
            self._complete[part] = self.before.index._complete.get(part, False) and not regrouped

    def unchanged(self, dependency: Dependency) -> bool:
        """True when ``dependency`` holds the same objects as in the module's last lint.

        A keystroke replaces one resource of thousands: comparing the module with the
        last one once tells which kinds and block types it touched, so the other kinds'
        versions need no look at their objects."""
        what = dependency[0]
        if what in ("kind", "project_kind", "blocks"):
            part = {"kind": "module", "project_kind": "project"}.get(what, what)
            changed = self._changes(part)
            if changed is None:
                return False
            return not changed if len(dependency) == 1 else dependency[1] not in changed
        if what in ("module", "project"):
            return self._changes(what) == frozenset()
        return False

    def _changes(self, part: str) -> frozenset[str] | None:
        """The kinds (block types) whose objects in ``part`` differ from the last lint;
        None when that cannot be told cheaply (the count changed). Also notes which objects
        replaced which, and the kinds an object joined or left (``_group``)."""
        if part in self._changed:
            return self._changed[part]
        changed: frozenset[str] | None = None
        replaced: dict[int, Any] = {}
        regrouped: set[str] = set()
        if self.before is not None:
            old, new = getattr(self.before.index.context, part), getattr(self.context, part)
            if old is new:
                changed = frozenset()
            elif len(old) == len(new):
                key_of = _KEY_OF[part]
                kinds: set[str] = set()
                for a, b in zip(old, new, strict=True):
                    if a is not b:
                        ka, kb = key_of(a), key_of(b)
                        kinds.update((ka, kb))
                        if ka == kb:
                            replaced[id(a)] = b
                        else:
                            regrouped.update((ka, kb))
                changed = frozenset(kinds)
        self._changed[part] = changed
        self._replaced[part] = replaced
        self._regrouped[part] = regrouped
        return changed

    def objects(self, dependency: Dependency) -> tuple[object, ...]:
        what = dependency[0]
        if what == "kind":
            return self.of_kind(dependency[1])
        if what == "project_kind":
            return self.of_project_kind(dependency[1])
        if what == "blocks" and len(dependency) == 2:
            return self.of_type(dependency[1])
        if what == "globals":
            return (self.context.globals,)
        value: tuple[object, ...] = getattr(self.context, what)
        return value


@record(slots=False)
class _Recording(Context):
    """The rule's context, noting what the rule reads."""

    index: _Index | None = field(default=None, compare=False, repr=False)
    reads: set[Dependency] = field(default_factory=set, compare=False, repr=False)
    owner: ModuleMemo | None = field(default=None, compare=False, repr=False)

    def __getattribute__(self, name: str) -> Any:
        if name in _WHOLE:
            object.__getattribute__(self, "reads").add((name,))
        return object.__getattribute__(self, name)

    def module_of_kind(self, *kinds: str) -> Iterator[Resource]:
        reads: set[Dependency] = object.__getattribute__(self, "reads")
        index: _Index = object.__getattribute__(self, "index")
        reads.update(("kind", kind) for kind in kinds)
        if len(kinds) == 1:
            return iter(index.of_kind(kinds[0]))
        return iter(index.of_kinds(kinds))

    def project_of_kind(self, *kinds: str) -> Iterator[Resource]:
        reads: set[Dependency] = object.__getattribute__(self, "reads")
        index: _Index = object.__getattribute__(self, "index")
        reads.update(("project_kind", kind) for kind in kinds)
        return iter([r for kind in dict.fromkeys(kinds) for r in index.of_project_kind(kind)])

    def summary(self, compute: Callable[[Context], _T]) -> _T:
        reads: set[Dependency] = object.__getattribute__(self, "reads")
        owner: ModuleMemo = object.__getattribute__(self, "owner")
        name, value, _ = owner.summary(compute)
        # Depends on the summary's value, not on everything the summary read.
        reads.add(("summary", name))
        result: _T = value
        return result

    def top_blocks(self, block_type: str) -> Iterator[TopBlock]:
        reads: set[Dependency] = object.__getattribute__(self, "reads")
        index: _Index = object.__getattribute__(self, "index")
        reads.add(("blocks", block_type))
        return iter(index.of_type(block_type))

    def blocks_of(self, block_type: str) -> Iterator[tuple[tuple[str, ...], MappingNode]]:
        reads: set[Dependency] = object.__getattribute__(self, "reads")
        index: _Index = object.__getattribute__(self, "index")
        reads.add(("blocks", block_type))
        return Context(blocks=index.of_type(block_type)).blocks_of(block_type)


@record(frozen=False)
class _State:
    objects: tuple[object, ...]  # kept alive, so identity comparisons stay sound
    version: int
    lint: int  # the last lint that found these objects current


_RULES = attrgetter("rules")
_FINDINGS = attrgetter("findings")
_KEY_OF: dict[str, Callable[[Any], str]] = {
    "module": attrgetter("kind"),
    "project": attrgetter("kind"),
    "blocks": attrgetter("entry.key"),
}


@record(frozen=False)
class _Summary:
    reads: tuple[tuple[Dependency, int], ...]
    value: Any
    version: int  # changes only when ``value`` does


@record(frozen=False)
class _Plan:
    """A module's last lint, aligned with its resources: the group each one's rules made
    (None: no rules for its kind, or a rule raised), under which rule index and settings."""

    module: tuple[Resource, ...]
    groups: list[_Group | None]
    rule_index: object
    selection: object
    reading: list[int]  # positions whose group read something beyond its resource
    unkept: list[int]  # positions with rules but no group kept (a rule raised)


@record(frozen=False)
class _Entry:
    resource: Resource | None  # None: a project rule
    selection: object
    options: object
    reads: tuple[tuple[Dependency, int], ...]
    findings: list[Any]


@record(frozen=False)
class _Group:
    """Everything the rules of one resource found, valid while nothing any of them read
    changed: one check per resource instead of one per rule."""

    resource: Resource
    selection: object
    rules: tuple[Rule, ...]
    reads: tuple[tuple[Dependency, int], ...]
    findings: list[Any]
    #: rule code -> its own entry, so each rule can still be reused once the group is not
    entries: dict[str, _Entry]


@record(frozen=False)
class RuleMemo:
    """Findings of resource and module rules per (module, rule, resource)."""

    _states: dict[tuple[tuple[str, ...], Dependency], _State] = field(default_factory=dict)
    _versions: Iterator[int] = field(default_factory=count)
    hits: int = 0
    misses: int = 0
    project_hits: int = 0
    project_misses: int = 0
    #: path -> (its latest template, the resources that exist, whether each exists), see
    #: ``existing``
    _existing: dict[str, tuple[Template, tuple[Resource, ...], list[bool]]] = field(
        default_factory=dict
    )
    #: ``Context.fact`` values, kept across lints
    facts: Facts = field(default_factory=Facts)
    #: Variables, locals and parameters put in place, per module and resource
    resolver: Resolver = field(default_factory=Resolver)

    _facts_kept: int = 0  # how many facts there were after the last clean-up
    _rule_index: tuple[tuple[Rule, ...], Any] | None = None
    _lints: Iterator[int] = field(default_factory=lambda: count(1))
    #: What each module's last lint looked at (``_Index.unchanged``)
    _seen: dict[tuple[str, ...], _Seen] = field(default_factory=dict)
    #: ``Context.summary`` values per (module, function name), and the functions
    _summaries: dict[tuple[tuple[str, ...], str], _Summary] = field(default_factory=dict)
    _summary_functions: dict[str, Callable[[Context], Any]] = field(default_factory=dict)
    #: One shared tuple per distinct set of reads of a group (``keep_group``)
    _reads: dict[tuple[tuple[Dependency, int], ...], tuple[tuple[Dependency, int], ...]] = field(
        default_factory=dict
    )
    #: The last lint of each module, position by position (``ModuleMemo.plan``)
    _plans: dict[tuple[str, ...], _Plan] = field(default_factory=dict)
    #: What project rules found, per (format's project key, rule code)
    _project: dict[tuple[tuple[str, ...], str], _Entry] = field(default_factory=dict)

    def rule_index(self, active: tuple[Rule, ...], build: Callable[[tuple[Rule, ...]], _I]) -> _I:
        """``build(active)``, the same object while the same rules are active: the memo
        compares a resource's rules by identity first, once per resource and keystroke."""
        known = self._rule_index
        if known is None or not same_objects(known[0], active):
            known = (active, build(active))
            self._rule_index = known
        result: _I = known[1]
        return result

    def forget_replaced(self, templates: Sequence[Template]) -> None:
        """Drop facts about resource objects edits have replaced, once they pile up."""
        if len(self.facts) > max(10_000, 2 * self._facts_kept):
            self.facts.keep(r for t in templates for r in t.resources)
            self._facts_kept = len(self.facts)

    def existing(
        self, template: Template, exists: Callable[[Resource], bool]
    ) -> tuple[Resource, ...]:
        """The resources of ``template`` that ``exists`` (not switched off by ``count = 0``),
        judged once per template and resource object: every lint walks the whole project,
        and a keystroke re-parses one resource. Kept per file, for its latest template
        only: a long editing session must not pile up the templates it replaced."""
        hit = self._existing.get(template.path)
        if hit is not None and hit[0] is template:
            return hit[1]
        resources = template.resources
        if hit is not None and len(hit[0].resources) == len(resources):
            # A keystroke: judge again only what changed (found in C).
            alive = list(hit[2])
            for at in changed_places(hit[0].resources, resources) or ():
                alive[at] = exists(resources[at])
        else:
            alive = [exists(resource) for resource in resources]
        result = tuple(compress(resources, alive))
        self._existing[template.path] = (template, result, alive)
        return result

    def module(self, group: Sequence[str], context: Context) -> ModuleMemo:
        """The memo for one lint of one module (``group``: its files' paths)."""
        key = tuple(group)
        lint = next(self._lints)
        before = self._seen.get(key)
        if before is not None:
            before.index.before = None  # its lint is over: keep one lint back, not a chain
        index = _Index(context, lint, before)
        index.carry_forward()
        self._seen[key] = _Seen(lint, index)
        return ModuleMemo(self, key, index, self._plans.get(key))

    def _version(self, key: tuple[str, ...], dependency: Dependency, index: _Index) -> int:
        state = self._states.get((key, dependency))
        if state is not None:
            before = index.before
            if before is not None and state.lint == before.lint and index.unchanged(dependency):
                state.lint = index.lint
                return state.version
            objects = index.objects(dependency)
            if same_objects(state.objects, objects):
                state.lint = index.lint
                return state.version
        else:
            objects = index.objects(dependency)
        version = next(self._versions)
        self._states[(key, dependency)] = _State(objects, version, index.lint)
        return version


@record(frozen=False)
class ModuleMemo:
    memo: RuleMemo
    key: tuple[str, ...]
    index: _Index
    last: _Plan | None  # the module's last lint
    #: id(resource) -> its group, for the resources whose rules were looked at in this lint
    current: dict[int, _Group] = field(default_factory=dict)
    _previous: dict[int, _Group] | None = None
    _planned: set[int] | None = None  # the positions ``plan`` left to look at
    #: id(resource) -> rule code -> entry, for the resources whose rules run in this lint
    _fresh: dict[int, dict[str, _Entry]] = field(default_factory=dict)
    _versions: dict[Dependency, int] = field(default_factory=dict)
    _summary_now: dict[str, tuple[Any, int]] = field(default_factory=dict)

    @property
    def previous(self) -> dict[int, _Group]:
        """id(resource) -> its group in the last lint. After a ``plan``, only the
        positions it left to look at are asked for; otherwise built once from the last
        plan (whose module keeps those resources, and so their ids, alive)."""
        if self._previous is None:
            last = self.last
            self._previous = (
                {}
                if last is None
                else {id(r): g for r, g in zip(last.module, last.groups, strict=True) if g}
            )
        return self._previous

    def summary(self, compute: Callable[[Context], Any]) -> tuple[str, Any, int]:
        """(name, value, version) of ``compute`` over this module, computed at most once per
        lint and only when something it read changed; the version stays while the value
        compares equal to the last one."""
        name = f"{compute.__module__}.{compute.__qualname__}"
        now = self._summary_now.get(name)
        if now is not None:
            return name, now[0], now[1]
        self.memo._summary_functions[name] = compute
        old = self.memo._summaries.get((self.key, name))
        if old is not None and self._holds(old.reads):
            now = (old.value, old.version)
        else:
            recording = self._recording(self.index.context)
            value = compute(recording)
            reads = tuple((dep, self._version(dep)) for dep in sorted(recording.reads))
            same = old is not None and old.value == value
            version = old.version if old is not None and same else next(self.memo._versions)
            self.memo._summaries[(self.key, name)] = _Summary(reads, value, version)
            now = (value, version)
        self._summary_now[name] = now
        return name, now[0], now[1]

    def _recording(self, context: Context) -> _Recording:
        values = {f.name: getattr(context, f.name) for f in fields(Context)}
        return _Recording(**values, index=self.index, owner=self)

    def group(
        self, resource: Resource, rules: tuple[Rule, ...], selection: Any
    ) -> list[Any] | None:
        """What ``rules`` found for ``resource`` last time, when nothing any of them read
        has changed; None when they must run (one by one, through ``findings``)."""
        group = self.previous.get(id(resource))
        if (
            group is None
            or group.resource is not resource
            or group.rules != rules
            or not (group.selection is selection or group.selection == selection)
        ):
            return None
        if not self._holds(group.reads):
            return None
        self.memo.hits += len(rules)
        self.current[id(resource)] = group
        return group.findings

    def keep_group(
        self, resource: Resource, rules: tuple[Rule, ...], selection: Any, found: list[Any]
    ) -> None:
        """Remember ``found``, what every rule of ``rules`` found for ``resource`` (each ran
        through ``findings`` in this lint, none raised)."""
        entries = self._fresh.pop(id(resource), {})
        reads: dict[Dependency, int] = {}
        for entry in entries.values():
            reads.update(entry.reads)
        # Groups of resources alike read the same things: one shared tuple each, so a plan
        # checks every distinct set of reads once.
        if len(self.memo._reads) > 10_000:
            self.memo._reads.clear()  # versions move on: old sets are never asked for again
        read = tuple(reads.items())
        shared = self.memo._reads.setdefault(read, read)
        self.current[id(resource)] = _Group(resource, selection, rules, shared, found, entries)

    def findings(
        self,
        rule: Rule,
        resource: Resource,
        context: Context,
        selection: Any,
        run: Callable[[Rule, Resource, Context, Any], list[Any]],
    ) -> list[Any]:
        """``run(rule, resource, context, selection)``, or what it returned last time when
        nothing it read has changed. Exceptions propagate and nothing is kept."""
        group = self.previous.get(id(resource))
        entry = group.entries.get(rule.code) if group is not None else None
        if (
            entry is not None
            and entry.resource is resource
            and (entry.selection is selection or entry.selection == selection)
            and (entry.options is context.options or entry.options == context.options)
            and self._holds(entry.reads)
        ):
            self.memo.hits += 1
            self._fresh.setdefault(id(resource), {})[rule.code] = entry
            return entry.findings
        self.memo.misses += 1
        recording = self._recording(context)
        found = run(rule, resource, recording, selection)
        reads = tuple((dep, self._version(dep)) for dep in sorted(recording.reads))
        entry = _Entry(resource, selection, context.options, reads, found)
        self._fresh.setdefault(id(resource), {})[rule.code] = entry
        return found

    def project_findings(
        self,
        rule: Rule,
        context: Context,
        selection: Any,
        run: Callable[[Rule, Context], list[Any]],
    ) -> list[Any]:
        """A project rule's ``run(rule, context)`` (this memo's context is the project),
        or what it returned last time when nothing it read has changed: a project rule that
        reads the resources of a few kinds through ``project_of_kind`` is not run again for
        a keystroke in a resource of another kind."""
        entry = self.memo._project.get((self.key, rule.code))
        if (
            entry is not None
            and (entry.selection is selection or entry.selection == selection)
            and (entry.options is context.options or entry.options == context.options)
            and self._holds(entry.reads)
        ):
            self.memo.project_hits += 1
            return entry.findings
        self.memo.project_misses += 1
        recording = self._recording(context)
        found = run(rule, recording)
        reads = tuple((dep, self._version(dep)) for dep in sorted(recording.reads))
        self.memo._project[(self.key, rule.code)] = _Entry(
            None, selection, context.options, reads, found
        )
        return found

    def plan(
        self, module: tuple[Resource, ...], rule_index: object, selection: object
    ) -> tuple[Sequence[int], list[Any]]:
        """(the positions of ``module`` whose rules must be looked at one by one, the
        findings of all the others). A keystroke replaces one resource of thousands: the
        others are the same objects at the same places (compared in C), and their groups
        stay valid unless they read something that changed, which few groups do."""
        last = self.last
        if (
            last is None
            or last.rule_index is not rule_index
            or last.selection is not selection
            or len(last.module) != len(module)
        ):
            return range(len(module)), []
        todo = set(last.unkept)
        todo.update(changed_places(last.module, module) or ())
        valid: dict[int, bool] = {}  # id(reads) -> whether they still hold
        for position in last.reading:
            group = last.groups[position]
            if group is None or position in todo:
                continue
            holds = valid.get(id(group.reads))
            if holds is None:
                holds = valid[id(group.reads)] = self._holds(group.reads)
            if not holds:
                todo.add(position)
        kept = list(last.groups)
        for position in todo:
            kept[position] = None
        reused: list[_Group] = list(filter(None, kept))
        # The groups kept stay where they are (``finish``); the rest is looked at by id.
        self._planned = todo
        self._previous = {
            id(last.module[p]): group for p in todo if (group := last.groups[p]) is not None
        }
        # Thousands of groups per keystroke: map and chain run in C.
        self.memo.hits += sum(map(len, map(_RULES, reused)))
        return sorted(todo), list(chain.from_iterable(map(_FINDINGS, reused)))

    def _holds(self, reads: tuple[tuple[Dependency, int], ...]) -> bool:
        """Whether everything recorded as read still has the version it was read at."""
        return all(self._version(dependency) == version for dependency, version in reads)

    def finish(
        self,
        module: tuple[Resource, ...],
        rule_index: object,
        selection: object,
        unkept: Sequence[int],
    ) -> None:
        """End the lint and remember it position by position (``plan``)."""
        current, last, todo = self.current, self.last, self._planned
        if last is not None and todo is not None:
            # A planned lint: the groups it kept are where they were.
            groups = list(last.groups)
            for position in todo:
                groups[position] = current.get(id(module[position]))
            reading = sorted(
                {*last.reading}.difference(todo).union(
                    p for p in todo if (g := groups[p]) is not None and g.reads
                )
            )
        else:
            groups = [current.get(id(resource)) for resource in module]
            reading = [i for i, g in enumerate(groups) if g is not None and g.reads]
        self.memo._plans[self.key] = _Plan(
            module, groups, rule_index, selection, reading, list(unkept)
        )

    def _version(self, dependency: Dependency) -> int:
        version = self._versions.get(dependency)
        if version is None:
            if dependency[0] == "summary":
                compute = self.memo._summary_functions[dependency[1]]
                version = self.summary(compute)[2]
            else:
                version = self.memo._version(self.key, dependency, self.index)
            self._versions[dependency] = version
        return version
