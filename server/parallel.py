"""Cold scans on every core, warm scans from the on-disk cache, same findings as serial.

A scan is cut into units: one Terraform directory (every Terraform file of one folder) or
one CloudFormation file, the groups the engine lints together. Each process of the scan
(this one and forked copies of it; ``_forked``) takes the next unit when it is free, reads
and parses it, and the folders of local modules it calls, and runs the resource and module
rules on it, suppressions applied. Project rules (PERF036, PERF049) look at everything at
once: each unit also hands back a slim copy of its templates, cut down to what the
selected project rules read (``Rule.project_reads``, ``Rule.project_blocks``), and the main
process runs the project rules over all of them in scan order. Whole, those copies were
most of what crossed processes (66-252 KB for each of the 10 largest CFN templates, a
quarter of a worker's time to pickle); cut down, they are a few resources each.

The findings are sorted the way ``engine.lint`` sorts them, so the output is the same as a
serial run's. PERF900 (unused suppressions) must see every rule's findings together: when it
is selected the scan runs the serial way, without the cache.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from iacperf.rules.api import Fix, Related, Rule, Scope, Severity
from iacperf.rules.builtin import UNUSED_SUPPRESSION
from iacperf.rules.model import Format, MappingNode, Resource, SourceRange, Template
from iacperf.rules.records import field, record, replace
from iacperf.rules.registry import all_rules, by_code_or_name
from iacperf.server.analysis import ScanResult, Warn, read_text
from iacperf.server.cache import Cache, content_hash, dumps, loads, unit_key
from iacperf.server.engine import Finding, Selection, lint
from iacperf.server.module_calls import local_calls
from iacperf.server.parsing import detect, parse_text
from iacperf.server.suppressions import surviving
from iacperf.server.writing import digest

if TYPE_CHECKING:
    from iacperf.server.parsing.terraform import ParsedChunk

#: Below this many bytes to analyse, a second process saves nothing measurable (a fork
#: costs a few milliseconds; four CFN templates of 32 kB: 131 ms either way; four of 235 kB:
#: 185 -> 169 ms; two of 115 kB: 160 -> 150 ms).
MIN_PARALLEL_BYTES = 64 * 1024

#: Files over this size are keyed by size and mtime (over any sane --max-file-size).
_HASH_LIMIT = 64 * 2**20

_Record = tuple[str, str, str, str, SourceRange, str, "Fix | None", tuple[Related, ...]]


@record(frozen=False)
class UnitResult:
    """What one unit gives the scan: everything but parse trees."""

    findings: list[_Record]
    slims: list[Template]  # what project rules read, in file order
    files: int = 0
    skipped: list[str] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    parse_errors: int = 0
    #: Files of called modules' folders this result read: folder -> ((path, hash), ...).
    depends: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)
    #: Content hash of each of the unit's files as read (the cache key hashed them before).
    read: dict[str, str] = field(default_factory=dict)


@record(slots=False)
class _Job:
    """Settings every worker shares (sent once per worker)."""

    selection: Selection
    max_bytes: int
    #: Terraform files of the scan by folder: the modules a unit may call.
    folders: dict[str, tuple[str, ...]]
    #: Hash what is read: the cache stores the hashes, fixes check the digests.
    identify: bool = True


_JOB: _Job | None = None


def units_of(files: Sequence[str]) -> tuple[list[list[str]], dict[str, tuple[str, ...]]]:
    """Terraform files grouped by folder (at the place of the folder's first file), every
    other candidate alone: the groups ``engine.lint`` checks together. Also the Terraform
    files by folder: the modules a unit may call."""
    units: list[list[str]] = []
    by_folder: dict[str, list[str]] = {}
    for path in files:
        kind = detect(path)
        if kind is not None and kind[0] is Format.TERRAFORM:
            folder = os.path.dirname(path)
            if folder not in by_folder:
                by_folder[folder] = []
                units.append(by_folder[folder])
            by_folder[folder].append(path)
        else:
            units.append([path])
    return units, {folder: tuple(paths) for folder, paths in by_folder.items()}


def scan_units(
    files: Sequence[str],
    selection: Selection,
    warn: Warn,
    max_bytes: int,
    jobs: int,
    cache: Cache | None,
    min_parallel_bytes: int = MIN_PARALLEL_BYTES,
    fixing: bool = True,
) -> ScanResult:
    """The findings of ``files`` as ``analysis.scan`` gives them, from the cache, worker
    processes (``jobs`` of them; 1: this process) or both. Without a cache, and when no
    fix follows (``fixing``), the files' texts are not hashed."""
    units, folders = units_of(files)
    job = _Job(selection, max_bytes, folders, identify=cache is not None or fixing)
    results: list[UnitResult | None] = [None] * len(units)
    hashes: dict[str, str] = {}
    config = ""
    keys = [""] * len(units)  # no cache, no keys (the first key hashes iacperf's sources)
    if cache is not None:
        hashes = _hashes(files, cache)
        config = _config_key(selection, max_bytes)
        keys = [unit_key(config, ((p, hashes.get(p, "")) for p in unit)) for unit in units]
    todo: list[int] = []
    for index, key in enumerate(keys):
        found = cache.get(key) if cache is not None else None
        if isinstance(found, UnitResult) and _still_valid(found, folders, hashes):
            results[index] = found
        else:
            todo.append(index)
    size = sum(_size(p) for i in todo for p in units[i])
    fresh: list[tuple[UnitResult, tuple[bytes, bytes] | None]]
    if jobs > 1 and len(todo) > 1 and size >= min_parallel_bytes:
        fresh = _in_pool([units[i] for i in todo], job, jobs)
    else:
        fresh = [(_analyse(units[i], job), None) for i in todo]
    for index, (result, blobs) in zip(todo, fresh, strict=True):
        results[index] = result
        if cache is not None and not _read_something_unhashed(result, hashes):
            # The slims apart: a scan where nothing changed needs only the findings. A
            # worker's result is stored as the worker pickled it, not pickled again here.
            head, pickled = blobs or (dumps(replace(result, slims=[])), dumps(result.slims))
            cache.put_bytes(keys[index] + "-slims", pickled)
            cache.put_bytes(keys[index], head)
    done = [r for r in results if r is not None]
    fresh_set = set(todo)
    # Project findings depend on every unit: one entry for the whole scan.
    project_key = unit_key(config, (("project", k) for k in keys)) if cache is not None else ""
    project = cache.get(project_key) if cache is not None and not todo else None
    if not isinstance(project, list):
        slims: list[Template] = []
        for index, result in enumerate(done):
            kept = result.slims if index in fresh_set else cache.get(keys[index] + "-slims")  # type: ignore[union-attr]
            if not isinstance(kept, list):  # lost: analyse the unit again for them
                kept = _analyse(units[index], job).slims
            slims.extend(kept)
        project = [_record(f) for f in _project_findings(slims, selection, warn)]
        if cache is not None:
            cache.put(project_key, project)
    return _assemble(done, project, warn)


def _in_pool(
    units: list[list[str]], job: _Job, jobs: int
) -> list[tuple[UnitResult, tuple[bytes, bytes] | None]]:
    """Results by unit, each with the two pickles it came in (the cache stores them)."""
    # Loaded before the fork: the copies inherit the rules rather than each loading them
    # (25-35 ms).
    all_rules()
    # Biggest units first, so no worker is left with a big one at the end.
    order = sorted(range(len(units)), key=lambda i: -sum(_size(p) for p in units[i]))
    workers = min(jobs, len(units))
    if hasattr(os, "fork"):
        done = _forked(units, order, job, workers)
    else:
        done = _in_executor(units, order, job, workers)
    out: list[tuple[UnitResult, tuple[bytes, bytes] | None]] = []
    for index, unit in enumerate(units):
        found = done.get(index)
        if found is None:  # its worker died: analyse it here, as a serial scan would
            out.append((_analyse(unit, job), None))
        elif isinstance(found, UnitResult):  # analysed in this process
            out.append((found, None))
        else:
            head, slims = found
            result = loads(head)
            result.slims = loads(slims)
            out.append((result, found))
    return out


def _forked(
    units: list[list[str]], order: list[int], job: _Job, workers: int
) -> dict[int, UnitResult | tuple[bytes, bytes]]:
    """The units analysed by this process and ``workers - 1`` forked copies of it, each
    taking the next unit of ``order`` when it is free; results by unit (pickled by the
    copies).

    Forked copies start in a millisecond with everything imported and loaded; this process
    works too rather than wait. The next unit's place in ``order`` is a counter in shared
    memory, behind a lock that is one byte in a pipe. A copy sends all its results when
    there is nothing left to take (sending each as it goes could fill the pipe and stop it
    while this process is busy); a copy that dies loses only its results, which the caller
    finds missing and makes again.
    """
    import mmap

    global _JOB
    _JOB = job  # what _work reads in the copies
    counter = mmap.mmap(-1, 8)  # anonymous and shared with the copies
    lock_read, lock_write = os.pipe()
    os.write(lock_write, b"\0")
    children: list[tuple[int, int]] = []
    done: dict[int, UnitResult | tuple[bytes, bytes]] = {}

    def take() -> int | None:
        os.read(lock_read, 1)
        try:
            taken = int.from_bytes(counter[:8], "little")
            counter[:8] = (taken + 1).to_bytes(8, "little")
        finally:
            os.write(lock_write, b"\0")
        return order[taken] if taken < len(order) else None

    try:
        for _ in range(workers - 1):
            results_read, results_write = os.pipe()
            try:
                pid = os.fork()
            except OSError:  # no more processes to be had: the ones there are do it all
                os.close(results_read)
                os.close(results_write)
                break
            if pid == 0:  # the copy: work, send, and leave without running exit handlers
                status = 1
                try:
                    os.close(results_read)
                    with os.fdopen(results_write, "wb") as out:
                        out.write(dumps({i: _work(units[i]) for i in iter(take, None)}))
                    status = 0
                finally:
                    os._exit(status)
            os.close(results_write)
            children.append((pid, results_read))
        done.update({i: _analyse(units[i], job) for i in iter(take, None)})
    finally:
        for pid, results_read in children:
            with os.fdopen(results_read, "rb") as received:
                try:
                    sent = loads(received.read())
                except Exception:  # noqa: BLE001 - a copy that died sent nothing whole
                    sent = {}
            os.waitpid(pid, 0)
            if isinstance(sent, dict):
                done.update(sent)
        os.close(lock_read)
        os.close(lock_write)
        counter.close()
    return done


def _in_executor(
    units: list[list[str]], order: list[int], job: _Job, workers: int
) -> dict[int, UnitResult | tuple[bytes, bytes]]:
    """Where there is no fork (Windows): a pool of started interpreters."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_start_worker,
        initargs=(job,),
    ) as pool:
        futures = {i: pool.submit(_work, units[i]) for i in order}
        return {i: future.result() for i, future in futures.items()}


def _start_worker(job: _Job) -> None:
    global _JOB
    _JOB = job


def _work(unit: list[str]) -> tuple[bytes, bytes]:
    """One unit's result pickled in the worker, in two parts: what a warm scan reads and
    the slims, which it reads only when the project findings must be found again."""
    assert _JOB is not None
    result = _analyse(unit, _JOB)
    return dumps(replace(result, slims=[])), dumps(result.slims)


def _analyse(unit: Sequence[str], job: _Job) -> UnitResult:
    """Read, parse and lint one unit (resource and module rules, suppressions applied)."""
    result = UnitResult(findings=[], slims=[])
    templates: list[Template] = []
    for path in unit:
        text = read_text(path, result.warnings.append, job.max_bytes)
        if text is None:
            result.skipped.append(path)
            continue
        template = _parse(path, text)
        if template is not None:
            templates.append(template)
        if job.identify:
            result.read[path] = content_hash(text.encode("utf-8"))
            if template is not None:
                result.digests[path] = digest(text)
    result.files = len(templates)
    result.parse_errors = sum(len(t.errors) for t in templates)
    # Local modules the unit calls: their findings at the call depend on those files.
    called: list[Template] = []
    for call in local_calls(templates):
        folder = call.folder
        if folder in result.depends or folder == os.path.dirname(unit[0]):
            continue
        paths = job.folders.get(folder, ())
        result.depends[folder] = tuple((p, _hash_file(p) if job.identify else "") for p in paths)
        for path in paths:
            text = read_text(path, lambda _: None, job.max_bytes)
            if text is not None and (template := _parse(path, text)) is not None:
                called.append(template)
    everyone = [r for r in all_rules() if r.scope is not Scope.PROJECT]
    project_rules = [
        r for r in all_rules() if r.scope is Scope.PROJECT and job.selection.enabled(r)
    ]

    def on_rule_error(rule: Rule, where: str, error: BaseException) -> None:
        result.warnings.append(f"internal error in {rule.code} on {where}: {error!r}")

    findings = lint(
        templates,
        job.selection,
        rules=everyone,
        on_rule_error=on_rule_error,
        project=[*templates, *called],
    )
    result.findings = [_record(f) for f in findings]
    result.slims = [slim(t, project_rules) for t in templates]
    return result


#: This process's parses by path: a module folder that many examples call (``../..``) is
#: parsed once per process, not once per caller.
_PARSED: dict[str, tuple[str, Template | None]] = {}
#: This process's parsed Terraform blocks by text, for every file it parses.
_CHUNKS: dict[str, ParsedChunk] = {}


def _parse(path: str, text: str) -> Template | None:
    known = _PARSED.get(path)
    if known is not None and known[0] == text:
        return known[1]
    template, _ = parse_text(path, text, shared=_CHUNKS)
    _PARSED[path] = (text, template)
    return template


def slim(template: Template, project_rules: Sequence[Rule]) -> Template:
    """``template`` with only what ``project_rules`` read: the resources and top-level
    blocks they ask for, and the suppressions that may apply to their findings."""
    reads = [(r.project_reads, r.project_values) for r in project_rules]
    kept: list[Resource] = []
    for resource in template.resources:
        values = [wants for read, wants in reads if read is None or read(resource)]
        if values:  # a rule reads it; without its values unless one reads those
            valued = any(wants is None or wants(resource) for wants in values)
            kept.append(resource if valued else _bare(resource))
    resources = tuple(kept)
    types = [r.project_blocks for r in project_rules]
    blocks = template.blocks
    if None not in types:
        blocks = tuple(b for b in blocks if any(b.entry.key in kinds for kinds in types if kinds))
    suppressions = template.suppressions
    if suppressions and len(resources) < len(template.resources):
        suppressions = surviving(template, {r.address for r in resources})
    return replace(
        template,
        resources=resources,
        blocks=blocks,
        suppressions=suppressions,
        variables=(),
        errors=(),
        root=None,
    )


def _bare(resource: Resource) -> Resource:
    """``resource`` without its values but what says whether it exists: Terraform's
    ``count`` and ``for_each``, CloudFormation's ``Type`` and ``Condition``."""
    return replace(
        resource,
        body=_only(resource.body, ("count", "for_each")),
        node=_only(resource.node, ("Type", "Condition")),
        resolved=(),
        variants=(),
    )


def _only(mapping: MappingNode, keys: tuple[str, ...]) -> MappingNode:
    return replace(mapping, entries=tuple(e for e in mapping.entries if e.key in keys))


def _project_findings(slims: list[Template], selection: Selection, warn: Warn) -> list[Finding]:
    project_rules = [r for r in all_rules() if r.scope is Scope.PROJECT]

    def on_rule_error(rule: Rule, where: str, error: BaseException) -> None:
        warn(f"internal error in {rule.code} on {where}: {error!r}")

    return lint(slims, selection, rules=project_rules, on_rule_error=on_rule_error)


def _assemble(results: list[UnitResult], project: list[_Record], warn: Warn) -> ScanResult:
    index = by_code_or_name()
    findings: list[Finding] = []
    scan = ScanResult(findings=findings, templates=[], parse_error_count=0)
    for result in results:
        for message in result.warnings:
            warn(message)
        findings.extend(_finding(record, index) for record in result.findings)
        scan.files += result.files
        scan.skipped.extend(result.skipped)
        scan.digests.update(result.digests)
        scan.parse_error_count += result.parse_errors  # type: ignore[operator]
    findings.extend(_finding(record, index) for record in project)
    findings.sort(key=Finding.sort_key)
    return scan


def _record(f: Finding) -> _Record:
    return (f.code, f.severity.value, f.message, f.path, f.range, f.resource, f.fix, f.related)


def _finding(record: _Record, index: dict[str, Rule]) -> Finding:
    code, severity, message, path, where, resource, fix, related = record
    return Finding(index[code], Severity(severity), message, path, where, resource, fix, related)


def serial_only(selection: Selection) -> bool:
    """PERF900 judges suppressions against every finding at once."""
    return selection.enabled(UNUSED_SUPPRESSION)


def _config_key(selection: Selection, max_bytes: int) -> str:
    var_files = [(p, _hash_file(p)) for p in selection.var_files]
    return repr(
        (
            sorted(selection.select),
            sorted(selection.ignore),
            sorted((k, v.value) for k, v in selection.severity.items()),
            repr(sorted(selection.options.items())),
            var_files,
            selection.report_unknown,
            max_bytes,
        )
    )


#: A file's hash is remembered only once it has not changed for this long: a write in the
#: same tick of the clock as the hashing would leave its size and times as they were.
SETTLED_NS = 2 * 10**9
_HASH_INDEX = "file-hashes"
_HASH_INDEX_LIMIT = 200_000


def _hashes(files: Sequence[str], cache: Cache) -> dict[str, str]:
    """The content hash of every file, read again only when its size, times, inode or
    device changed since the cache last saw it (as git's index does): a warm scan of the
    corpus read 18 MB for 75 ms to learn that nothing had changed."""
    known = cache.get(_HASH_INDEX)
    if not isinstance(known, dict):
        known = {}
    fresh: dict[str, tuple[tuple[int, ...], str]] = {}
    hashes: dict[str, str] = {}
    now = time.time_ns()
    for path in files:
        try:
            status = os.stat(path)
        except OSError:
            hashes[path] = _hash_file(path)
            continue
        signature = (
            status.st_size,
            status.st_mtime_ns,
            status.st_ctime_ns,
            status.st_ino,
            status.st_dev,
        )
        entry = known.get(path)
        if isinstance(entry, tuple) and entry[0] == signature:
            hashes[path] = entry[1]
            continue
        hashes[path] = _hash_file(path)
        changed_ns = max(status.st_mtime_ns, status.st_ctime_ns)
        if stat.S_ISREG(status.st_mode) and now - changed_ns > SETTLED_NS:
            fresh[path] = (signature, hashes[path])
    if fresh:
        index = {} if len(known) > _HASH_INDEX_LIMIT else dict(known)
        index.update(fresh)
        cache.put(_HASH_INDEX, index)
    return hashes


def _hash_file(path: str) -> str:
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):
            return "not a regular file"  # a named pipe would block the read
        if status.st_size > _HASH_LIMIT:  # skipped when read; never read a huge file twice
            return f"{status.st_size} {status.st_mtime_ns}"
        with open(path, "rb") as handle:
            return content_hash(handle.read())
    except OSError:
        return "unreadable"


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _still_valid(
    result: UnitResult, folders: dict[str, tuple[str, ...]], hashes: dict[str, str]
) -> bool:
    """The called modules' folders hold the same files with the same content."""
    for folder, recorded in result.depends.items():
        now = folders.get(folder, ())
        if tuple(p for p, _ in recorded) != now:
            return False
        if any(hashes.get(p) != h for p, h in recorded):
            return False
    return True


def _read_something_unhashed(result: UnitResult, hashes: dict[str, str]) -> bool:
    """A file changed between hashing and reading: do not store what may not match."""
    if any(hashes.get(p) != h for p, h in result.read.items()):
        return True
    return any(hashes.get(p) != h for files in result.depends.values() for p, h in files)
