"""``iacperf lsp``: the language server over stdio (pygls). Registration and scheduling only.

Every change schedules an analysis of the document's module (its Terraform directory, or
the CloudFormation template alone) at once, with no debounce: analyses run one at a time
on a worker thread, so the event loop keeps reading messages, a newer request replaces a
waiting one, a result for a version that is no longer current is never published, and
work for an outdated version stops early.
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar, cast
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import TextDocument

from iacperf.rules.api import Rule
from iacperf.rules.edits import Edit
from iacperf.rules.model import Format, Position, Resource, SourceRange
from iacperf.rules.records import record
from iacperf.rules.registry import all_rules
from iacperf.server import __version__
from iacperf.server.analysis import iter_files
from iacperf.server.config import ConfigError
from iacperf.server.engine import Finding
from iacperf.server.lsp import code_actions, hover
from iacperf.server.lsp.config_diagnostics import config_diagnostic
from iacperf.server.lsp.diagnostics import DiagnosticRenderer, to_diagnostics
from iacperf.server.lsp.documents import LineWorkspace, split_lines
from iacperf.server.lsp.positions import from_client_position
from iacperf.server.lsp.project import Project, scan_order
from iacperf.server.lsp.settings import SECTION, SettingsStore, is_config_file
from iacperf.server.lsp.versioned_edits import supports_versions, with_version
from iacperf.server.lsp.wire import publish_diagnostics, whole_writes, widen_pipe
from iacperf.server.parsing import detect, is_candidate
from iacperf.server.suppressions import ignore_finding_edit

log = logging.getLogger("iacperf.lsp")

# Any debounce adds to every keystroke's latency; the worker queue coalesces bursts anyway
# (bench/lsp_latency.py, 5,000 lines: 30 ms -> 0 took edits from 52 to 18 ms p50).
DEBOUNCE_SECONDS = 0.0
SCAN_BATCH = 25
CONFIGURATION_TIMEOUT = 5.0
#: A request for tests and bug reports: the sizes of the per-document state.
DEBUG_STATE = "iacperf/debug/state"
WATCHED_GLOB = "**/*.{tf,tfvars,tf.json,tfvars.json,yaml,yml,json,template}"

F = TypeVar("F", bound=Callable[..., Any])


@record(slots=False)
class _Snapshot:
    uri: str
    path: str
    version: int | None
    text: str


class IacperfServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "iacperf", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental
        )
        self.project = Project(log=self._log_from_worker)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="iacperf-analysis")
        self.settings = SettingsStore(log=self._log_from_worker, checked=self._config_checked)
        #: config files whose error is shown as a diagnostic
        self.config_errors: set[str] = set()
        self.scope = "openFiles"
        #: uri -> the findings last published (hover and fix-all read them)
        self.findings: dict[str, list[Finding]] = {}
        #: Diagnostics of each open document as last published, reused per finding.
        self.renderers: dict[str, DiagnosticRenderer] = {}
        #: uri -> version of the text those findings belong to
        self.analysed_version: dict[str, int | None] = {}
        #: module key -> scheduled analysis
        self.pending: dict[str, asyncio.Task[None]] = {}
        #: uris the client pulls diagnostics for (no pushing for those)
        self.pulled: set[str] = set()
        #: paths the workspace scan published for (scope "workspace")
        self.published_paths: set[str] = set()
        self.workspace_roots: list[str] = []
        self._parsed_text: dict[str, str] = {}  # worker-owned: last text parsed per path
        self._scan_task: asyncio.Task[None] | None = None
        self.event_loop: asyncio.AbstractEventLoop | None = None
        self.exit_received = False

    def report_server_error(self, error: Exception, source: Any) -> None:
        """Log instead of pygls' default error popup: nobody typing wants one."""
        if isinstance(error, (asyncio.InvalidStateError, futures.InvalidStateError)):
            # The client answered a request we stopped waiting for (workspace/configuration
            # after CONFIGURATION_TIMEOUT): pygls sets the result on the cancelled future.
            log.info("late answer to a request that timed out: %r", error)
            return
        log.error("server error (%s): %r", getattr(source, "__name__", source), error)
        self.log_message(f"iacperf: internal error: {error!r}", types.MessageType.Error)

    def ignore_edit(self, finding: Finding) -> Edit | None:
        """The edit that suppresses ``finding`` for its resource (the "Ignore" action)."""
        template = self.project.template_of(finding.path)
        if template is None:
            return None
        return ignore_finding_edit(template, finding)

    # -- logging -------------------------------------------------------------

    def log_message(self, message: str, kind: types.MessageType = types.MessageType.Log) -> None:
        try:
            self.window_log_message(types.LogMessageParams(type=kind, message=message))
        except Exception:  # noqa: BLE001 - logging must never take the server down
            log.exception("could not send a log message")

    def _log_from_worker(self, message: str) -> None:
        loop = self.event_loop
        if loop is None:
            log.warning(message)
            return
        loop.call_soon_threadsafe(self.log_message, message, types.MessageType.Warning)

    def _config_checked(self, path: str, error: ConfigError | None) -> None:
        """A config file was read (on any thread): show its error on it, or clear it."""
        loop = self.event_loop
        if loop is not None:
            loop.call_soon_threadsafe(self._show_config_error, path, error)

    def _show_config_error(self, path: str, error: ConfigError | None) -> None:
        uri = uri_of(path)
        if error is None and uri not in self.config_errors:
            return
        diagnostics = []
        if error is not None:
            doc = self.open_document(uri)
            lines = doc.lines if doc is not None else split_lines(_read(path) or "")
            codec = doc.position_codec if doc is not None else self.workspace.position_codec
            diagnostics = [config_diagnostic(error, lines, codec)]
            self.config_errors.add(uri)
        else:
            self.config_errors.discard(uri)
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics)
        )

    def _on_rule_error(self, rule: Rule, where: str, error: BaseException) -> None:
        self._log_from_worker(f"iacperf: rule {rule.code} failed on {where}: {error!r}")

    # -- documents -----------------------------------------------------------

    def document(self, uri: str) -> TextDocument | None:
        try:
            return self.workspace.get_text_document(uri)
        except Exception:  # noqa: BLE001
            return None

    def open_document(self, uri: str) -> TextDocument | None:
        """The open document at ``uri``, however the URI is percent-encoded."""
        doc: TextDocument | None = self.workspace.text_documents.get(unquote(uri))
        return doc  # pygls keys its documents by the unquoted URI

    def open_documents(self) -> list[TextDocument]:
        """Open documents; ``doc.uri`` is spelt as the client spelt it."""
        return list(self.workspace.text_documents.values())

    def is_open(self, uri: str) -> bool:
        return self.open_document(uri) is not None

    def module_key(self, path: str) -> str:
        kind = detect(path)
        if kind is not None and kind[0] is Format.TERRAFORM:
            return "tf:" + os.path.dirname(path)
        return "file:" + path

    def open_snapshots(self, key: str) -> list[_Snapshot]:
        snapshots = []
        for doc in self.open_documents():
            path = path_of(doc.uri)
            if path is not None and is_candidate(path) and self.module_key(path) == key:
                snapshots.append(_Snapshot(doc.uri, path, doc.version, doc.source))
        return snapshots

    def schedule(self, path: str, delay: float = DEBOUNCE_SECONDS) -> None:
        """Analyse ``path``'s module soon; a newer request replaces a waiting one."""
        key = self.module_key(path)
        waiting = self.pending.get(key)
        if waiting is not None and not waiting.done():
            waiting.cancel()
        self.pending[key] = asyncio.ensure_future(self._analyse_later(key, path, delay))

    async def _analyse_later(self, key: str, path: str, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            snapshots = self.open_snapshots(key)
            loop = asyncio.get_running_loop()
            result = await loop.run_in_executor(self.executor, self._analyse, path, snapshots)
            if result is not None:
                self._publish_module(result, snapshots)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - never let an analysis kill the server
            log.exception("analysis failed")
            self.log_message(f"iacperf: analysis of {path} failed: {error!r}")
        finally:
            if self.pending.get(key) is asyncio.current_task():
                del self.pending[key]  # one entry per module ever analysed, otherwise

    def state_sizes(self) -> dict[str, int]:
        return {
            "documents": len(self.workspace.text_documents),
            "findings": len(self.findings),
            "renderers": len(self.renderers),
            "analysed_version": len(self.analysed_version),
            "pending": len(self.pending),
            "pulled": len(self.pulled),
            "parsed_text": len(self._parsed_text),
        }

    def _current(self, snapshots: Sequence[_Snapshot]) -> bool:
        for snap in snapshots:
            doc = self.open_document(snap.uri)
            if doc is None or doc.version != snap.version:
                return False
        return True

    def _analyse(
        self, path: str, snapshots: Sequence[_Snapshot]
    ) -> dict[str, list[Finding]] | None:
        """Worker thread: parse what changed, then lint the module. None when outdated."""
        for snap in snapshots:
            if self._parsed_text.get(snap.path) != snap.text:
                if not self._current([snap]):
                    return None  # a newer version is on its way: abandon this one
                self.project.update_open(snap.path, snap.text)
                self._parsed_text[snap.path] = snap.text
        if not self._current(snapshots):
            return None
        target = snapshots[0].path if snapshots else path
        return self.project.lint_module(
            target, self.settings.selection(target), self._on_rule_error
        )

    def _publish_module(
        self, result: dict[str, list[Finding]], snapshots: Sequence[_Snapshot]
    ) -> None:
        # By path: the client's URI for a file may be encoded otherwise than ours.
        opened = {snap.path: snap for snap in snapshots}
        # An open file that no longer parses as IaC (a half-typed "Resources:") has no
        # template, so no result: withdraw what it showed before.
        gone: dict[str, list[Finding]] = {
            s.path: [] for s in snapshots if s.path not in result and self.findings.get(s.uri)
        }
        for path, found in {**result, **gone}.items():
            findings = [] if self.settings.for_path(path).excludes(path) else found
            snap = opened.get(path)
            if snap is not None:
                doc = self.open_document(snap.uri)
                if doc is None or doc.version != snap.version:
                    continue  # outdated: the next analysis publishes
                self._publish(snap.uri, doc, findings, snap.version)
            elif self.scope == "workspace":
                self._publish_disk(path, findings)

    def _publish(
        self, uri: str, doc: TextDocument, findings: list[Finding], version: int | None
    ) -> None:
        self.findings[uri] = findings
        self.analysed_version[uri] = version
        if uri in self.pulled:
            self._refresh_pull()
            return
        renderer = self.renderers.setdefault(uri, DiagnosticRenderer())
        diagnostics = renderer.render(findings, uri, doc.lines, doc.position_codec)
        self._send_diagnostics(uri, version, diagnostics)

    def _publish_disk(self, path: str, findings: list[Finding]) -> None:
        """A file that is not open (scope "workspace"): positions from its text on disk."""
        uri = uri_of(path)
        text = _read(path)
        if text is None:
            return
        self.findings[uri] = findings
        self.published_paths.add(path)
        codec = self.workspace.position_codec
        lines = split_lines(text)
        self._send_diagnostics(uri, None, DiagnosticRenderer().render(findings, uri, lines, codec))

    def _send_diagnostics(self, uri: str, version: int | None, diagnostics: list[bytes]) -> None:
        publish_diagnostics(self.protocol, uri, version, diagnostics)

    def _refresh_pull(self) -> None:
        caps = self.client_capabilities.workspace
        refresh = caps.diagnostics if caps is not None else None
        if refresh is not None and refresh.refresh_support:
            self.workspace_diagnostic_refresh(None)

    async def wait_for(self, uri: str) -> None:
        """Let a pending analysis of ``uri``'s module finish (pull diagnostics, hover)."""
        path = path_of(uri)
        if path is None:
            return
        key = self.module_key(path)
        # A newer analysis may replace the awaited one (another edit, a finished scan):
        # wait until the module has no analysis left to run.
        while (task := self.pending.get(key)) is not None and not task.done():
            try:
                await asyncio.shield(task)
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                await asyncio.sleep(0)

    # -- workspace -----------------------------------------------------------

    async def scan_workspace(self) -> None:
        """Read every IaC file of the workspace folders, open files first, with progress."""
        token = f"iacperf-scan-{time.monotonic_ns()}"
        loop = asyncio.get_running_loop()
        paths = await loop.run_in_executor(self.executor, self._workspace_files)
        open_paths = {p for doc in self.open_documents() if (p := path_of(doc.uri))}
        paths = scan_order(paths, open_paths)
        progress = await self._begin_progress(token, len(paths))
        done = 0
        try:
            for start in range(0, len(paths), SCAN_BATCH):
                if progress and self._cancelled(token):
                    self.log_message("iacperf: workspace scan cancelled")
                    break
                batch = paths[start : start + SCAN_BATCH]
                await loop.run_in_executor(self.executor, self._load_batch, batch)
                done += len(batch)
                if progress:
                    self.work_done_progress.report(
                        token,
                        types.WorkDoneProgressReport(
                            message=f"{done}/{len(paths)} files",
                            percentage=int(done * 100 / max(len(paths), 1)),
                            cancellable=True,
                        ),
                    )
        finally:
            if progress:
                self.work_done_progress.end(
                    token, types.WorkDoneProgressEnd(message=f"{done} files analysed")
                )
        await self.republish_all()
        await self._settle_heap()

    async def _settle_heap(self) -> None:
        """Once the scan's analyses are done, the parsed workspace is long-lived: collect
        once, then freeze it, so the cyclic collector stops walking it (a full collection
        over a 20,000-line file's model paused a keystroke for 200 ms). Replaced objects
        are still freed by reference counting; the model holds no cycles."""
        await self.pending_done()
        await asyncio.get_running_loop().run_in_executor(self.executor, _freeze_heap)

    async def pending_done(self) -> None:
        """Let every analysis already scheduled finish (without cancelling any)."""
        waiting = [asyncio.shield(t) for t in self.pending.values() if not t.done()]
        await asyncio.gather(*waiting, return_exceptions=True)

    async def republish_all(self) -> None:
        """Everything the user sees gets fresh diagnostics (configuration or scan changed)."""
        for doc in self.open_documents():
            path = path_of(doc.uri)
            if path is not None and is_candidate(path):
                self.schedule(path, delay=0)
        if self.scope == "workspace":
            loop = asyncio.get_running_loop()
            modules = await loop.run_in_executor(self.executor, self._lint_closed_modules)
            for result in modules:
                for path, findings in result.items():
                    if not self.is_open(uri_of(path)):
                        self._publish_disk(path, findings)
        else:
            for path in sorted(self.published_paths):
                if not self.is_open(uri_of(path)):
                    self.text_document_publish_diagnostics(
                        types.PublishDiagnosticsParams(uri=uri_of(path), diagnostics=[])
                    )
            self.published_paths.clear()

    def _workspace_files(self) -> list[str]:
        return list(iter_files(self.workspace_roots, lambda _: None))

    def _load_batch(self, paths: Sequence[str]) -> None:
        for path in paths:
            if not self.project.is_open(path):
                self.project.load_disk(path)

    def _lint_closed_modules(self) -> list[dict[str, list[Finding]]]:
        seen: set[str] = set()
        results = []
        for template in self.project.all_templates():
            key = self.module_key(template.path)
            if key in seen:
                continue
            seen.add(key)
            selection = self.settings.selection(template.path)
            results.append(self.project.lint_module(template.path, selection, self._on_rule_error))
        return results

    async def _begin_progress(self, token: str, total: int) -> bool:
        caps = self.client_capabilities.window
        if caps is None or not caps.work_done_progress:
            return False
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), 5)
        except Exception:  # noqa: BLE001 - no progress bar is no reason to stop
            return False
        self.work_done_progress.begin(
            token,
            types.WorkDoneProgressBegin(
                title="iacperf", message=f"0/{total} files", percentage=0, cancellable=True
            ),
        )
        return True

    def _cancelled(self, token: str) -> bool:
        future = self.work_done_progress.tokens.get(token)
        return future is not None and future.cancelled()

    def files_changed(self, changes: Sequence[types.FileEvent]) -> None:
        loop = asyncio.get_running_loop()
        if any(is_config_file(path_of(c.uri) or "") for c in changes):
            asyncio.ensure_future(self.config_files_changed())
        for change in changes:
            path = path_of(change.uri)
            if (
                path is None
                or not is_candidate(path)
                or is_config_file(path)
                or self.is_open(change.uri)
            ):
                continue
            if change.type == types.FileChangeType.Deleted:
                loop.run_in_executor(self.executor, self.project.forget, path)
                self._withdraw(path)
            else:
                loop.run_in_executor(self.executor, self.project.load_disk, path)
            if self.scope == "workspace":
                self.schedule(path)  # the module's files that are not open, from disk
            for doc in self.open_documents():
                open_path = path_of(doc.uri)
                if open_path and self.module_key(open_path) == self.module_key(path):
                    self.schedule(open_path)

    def _withdraw(self, path: str) -> None:
        """A file that is not open is gone: so are the diagnostics published for it."""
        if path in self.published_paths:
            self.published_paths.discard(path)
            self.findings.pop(uri_of(path), None)
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri_of(path), diagnostics=[])
            )

    # -- features ------------------------------------------------------------

    def resource_at(self, uri: str, position: Position) -> Resource | None:
        path = path_of(uri)
        template = self.project.template_of(path) if path else None
        if template is None:
            return None
        for resource in template.resources:
            header = resource.absolute(resource.header_range)
            if header.start <= position <= header.end:
                return resource
        return None

    def value_text(self, doc: TextDocument, finding: Finding) -> str:
        """The written value a finding judged. A finding on the resource's name judged no
        value of its own: the value came from elsewhere (``related``) or was not written."""
        template = self.project.template_of(finding.path)
        for resource in template.resources if template is not None else ():
            if resource.address != finding.resource:
                continue
            if finding.range == resource.absolute(resource.header_range):
                here = [r for r in finding.related if r.path == finding.path]
                return _text_at(doc, here[0].range) if here else ""
        return _text_at(doc, finding.range)

    def rules_for(self, resource: Resource) -> list[Rule]:
        selection = self.settings.selection(resource.path)
        return [
            r
            for r in all_rules()
            if resource.kind in r.kinds(resource.format) and selection.enabled(r)
        ]

    # -- configuration -------------------------------------------------------

    async def reload_settings(self, pushed: object = None) -> None:
        """Take the editor's settings (asked for, or as the client pushed them) over the
        ``.iacperf.yaml`` files, then re-publish everything the user sees."""
        mapping = pushed.get(SECTION) if isinstance(pushed, dict) else None
        caps = self.client_capabilities.workspace
        if caps is not None and caps.configuration:
            try:
                answer = await asyncio.wait_for(
                    self.workspace_configuration_async(
                        types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                    ),
                    CONFIGURATION_TIMEOUT,
                )
                mapping = answer[0] if answer else None
            except Exception as error:  # noqa: BLE001 - keep the settings we have
                self.log_message(f"iacperf: could not read the settings: {error!r}")
                return
        root = self.workspace_roots[0] if self.workspace_roots else None
        self.settings.set_editor(mapping, root)
        self._apply_root_settings()
        await self.republish_all()

    def _apply_root_settings(self) -> None:
        """Workspace-wide settings come from the first workspace folder's view."""
        root = self.settings.for_path(self.workspace_roots[0]) if self.workspace_roots else None
        settings = root or self.settings.editor
        self.scope = settings.scope
        self.project.max_bytes = settings.max_file_size

    async def config_files_changed(self) -> None:
        self.settings.forget_files()
        self._apply_root_settings()
        await self.republish_all()


def path_of(uri: str) -> str | None:
    if not uri.startswith("file:"):
        return None
    return to_fs_path(uri)


def uri_of(path: str) -> str:
    return from_fs_path(path) or path


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError):
        return None


def guarded(default: object) -> Callable[[F], F]:
    """Handlers never raise: an error is logged and the request gets ``default``."""

    def wrap(handler: F) -> F:
        if asyncio.iscoroutinefunction(handler):

            async def run_async(server: IacperfServer, *args: Any) -> Any:
                try:
                    return await handler(server, *args)
                except Exception as error:  # noqa: BLE001
                    log.exception("handler %s failed", handler.__name__)
                    server.log_message(f"iacperf: {handler.__name__} failed: {error!r}")
                    return default

            return cast(F, functools.wraps(handler)(run_async))

        def run(server: IacperfServer, *args: Any) -> Any:
            try:
                return handler(server, *args)
            except Exception as error:  # noqa: BLE001
                log.exception("handler %s failed", handler.__name__)
                server.log_message(f"iacperf: {handler.__name__} failed: {error!r}")
                return default

        return cast(F, functools.wraps(handler)(run))

    return wrap


def create_server() -> IacperfServer:
    server = IacperfServer()

    @server.feature(types.INITIALIZE)
    @guarded(None)
    def initialize(ls: IacperfServer, params: types.InitializeParams) -> None:
        ls.event_loop = asyncio.get_running_loop()
        # pygls made the workspace just before this handler; no document is open yet.
        ls.workspace.__class__ = LineWorkspace
        if not _can_pull(params.capabilities):
            # Push only. A client that pulls but cannot be asked to pull again (Neovim 0.11
            # has no refreshSupport) would keep stale results on files that an edit of
            # another file of the module changed: do not offer it pull diagnostics.
            ls.protocol.fm.features.pop(types.TEXT_DOCUMENT_DIAGNOSTIC, None)
            ls.protocol.fm.feature_options.pop(types.TEXT_DOCUMENT_DIAGNOSTIC, None)
        roots = [path_of(f.uri) for f in params.workspace_folders or []]
        if not roots and params.root_uri:
            roots = [path_of(params.root_uri)]
        elif not roots and params.root_path:
            roots = [params.root_path]
        ls.workspace_roots = [r for r in roots if r]

    @server.feature(types.INITIALIZED)
    @guarded(None)
    def initialized(ls: IacperfServer, params: types.InitializedParams) -> None:
        from iacperf.server.parsing.hcl_lark import warm_up

        ls.executor.submit(warm_up)  # build the HCL grammar before the first keystroke
        _register_watchers(ls)
        ls._apply_root_settings()
        ls._scan_task = asyncio.ensure_future(_start(ls))

    @server.feature(types.EXIT)
    def on_exit(ls: IacperfServer, params: object) -> None:
        ls.exit_received = True

    @server.feature(DEBUG_STATE)
    @guarded(None)
    async def debug_state(ls: IacperfServer, params: object) -> dict[str, int]:
        """How much per-document state the server keeps, once pending work is done."""
        await ls.pending_done()
        loop = asyncio.get_running_loop()
        # On the worker: it owns the project, and runs the closes queued before this.
        sizes = await loop.run_in_executor(ls.executor, ls.project.state_sizes)
        return {**sizes, **ls.state_sizes()}

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guarded(None)
    def did_open(ls: IacperfServer, params: types.DidOpenTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None and is_candidate(path):
            ls.schedule(path, delay=0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guarded(None)
    def did_change(ls: IacperfServer, params: types.DidChangeTextDocumentParams) -> None:
        path = path_of(params.text_document.uri)
        if path is not None and is_candidate(path):
            ls.schedule(path)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @guarded(None)
    def did_save(ls: IacperfServer, params: types.DidSaveTextDocumentParams) -> None:
        return None

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guarded(None)
    def did_close(ls: IacperfServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        path = path_of(uri)
        ls.findings.pop(uri, None)
        ls.renderers.pop(uri, None)
        ls.analysed_version.pop(uri, None)
        ls.pulled.discard(uri)
        if path is None or not is_candidate(path) or is_config_file(path):
            return  # a config file's error stays shown while it lasts
        loop = asyncio.get_running_loop()
        loop.run_in_executor(ls.executor, ls.project.close, path)
        ls._parsed_text.pop(path, None)
        if ls.scope != "workspace":
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
        ls.schedule(path)  # its module's other open files lose or keep findings

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @guarded(None)
    def did_change_configuration(
        ls: IacperfServer, params: types.DidChangeConfigurationParams
    ) -> None:
        asyncio.ensure_future(ls.reload_settings(params.settings))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    @guarded(None)
    def did_change_watched_files(
        ls: IacperfServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        ls.files_changed(params.changes)

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(inter_file_dependencies=True, workspace_diagnostics=False),
    )
    @guarded(None)
    async def diagnostic(
        ls: IacperfServer, params: types.DocumentDiagnosticParams
    ) -> types.FullDocumentDiagnosticReport:
        uri = params.text_document.uri
        if uri not in ls.pulled:
            ls.pulled.add(uri)
            # Diagnostics pushed before the client pulled would show twice: clear them.
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=[])
            )
        await ls.wait_for(uri)
        doc = ls.document(uri)
        findings = ls.findings.get(uri, [])
        items = (
            to_diagnostics(findings, uri, doc.source, doc.position_codec) if doc is not None else []
        )
        return types.FullDocumentDiagnosticReport(
            items=items, result_id=str(ls.analysed_version.get(uri))
        )

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    @guarded(None)
    async def on_hover(ls: IacperfServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        await ls.wait_for(uri)
        doc = ls.document(uri)
        if doc is None:
            return None
        at = from_client_position(doc.lines, doc.position_codec, params.position)
        findings = ls.findings.get(uri, [])
        here = [f for f in findings if f.range.contains(at)]
        if here:
            parts = [hover.finding_markdown(f, ls.value_text(doc, f)) for f in here]
            return types.Hover(
                contents=types.MarkupContent(
                    kind=types.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)
                )
            )
        resource = ls.resource_at(uri, at)
        if resource is None:
            return None
        return types.Hover(
            contents=types.MarkupContent(
                kind=types.MarkupKind.Markdown,
                value=hover.resource_markdown(
                    resource,
                    ls.rules_for(resource),
                    [f for f in findings if f.resource == resource.address],
                ),
            )
        )

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(
            code_action_kinds=[types.CodeActionKind.QuickFix, code_actions.FIX_ALL_KIND],
            resolve_provider=False,
        ),
    )
    @guarded([])
    async def code_action(
        ls: IacperfServer, params: types.CodeActionParams
    ) -> list[types.CodeAction]:
        uri = params.text_document.uri
        doc = ls.document(uri)
        if doc is None:
            return []
        only = params.context.only
        actions: list[types.CodeAction] = []
        if code_actions.wants(only, types.CodeActionKind.QuickFix):
            actions += code_actions.quick_fixes(uri, params.context.diagnostics)
            actions += code_actions.ignore_actions(
                uri,
                params.context.diagnostics,
                ls.findings.get(uri, []),
                doc.lines,
                doc.position_codec,
                ls.ignore_edit,
            )
        if code_actions.wants(only, code_actions.FIX_ALL_KIND):
            await ls.wait_for(uri)
            fix_all = code_actions.fix_all(
                uri, ls.findings.get(uri, []), doc.lines, doc.position_codec
            )
            if fix_all is not None:
                actions.append(fix_all)
        if supports_versions(ls.client_capabilities):
            # The version the edits were computed for: the client refuses them on a newer text.
            version = ls.analysed_version.get(uri, doc.version)
            return with_version(actions, uri, version)
        return actions

    return server


async def _start(ls: IacperfServer) -> None:
    """After ``initialized``: the editor's settings, then the workspace scan."""
    await ls.reload_settings()
    await ls.scan_workspace()


def _text_at(doc: TextDocument, source_range: SourceRange) -> str:
    lines = doc.lines
    start, end = source_range.start, source_range.end
    if start.line >= len(lines):
        return ""
    if start.line == end.line:
        return lines[start.line][start.character : end.character]
    middle = lines[start.line + 1 : end.line]
    last = lines[end.line][: end.character] if end.line < len(lines) else ""
    return "".join([lines[start.line][start.character :], *middle, last])


def _can_pull(capabilities: types.ClientCapabilities) -> bool:
    """Pull diagnostics need both the request and ``workspace/diagnostic/refresh``."""
    text = capabilities.text_document
    workspace = capabilities.workspace
    refresh = workspace.diagnostics if workspace is not None else None
    return (
        text is not None
        and text.diagnostic is not None
        and refresh is not None
        and bool(refresh.refresh_support)
    )


def _register_watchers(ls: IacperfServer) -> None:
    caps = ls.client_capabilities.workspace
    watched = caps.did_change_watched_files if caps is not None else None
    if watched is None or not watched.dynamic_registration:
        return
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[
            types.FileSystemWatcher(glob_pattern=WATCHED_GLOB),
            types.FileSystemWatcher(glob_pattern="**/.iacperf.{yaml,yml}"),
        ]
    )
    ls.client_register_capability(
        types.RegistrationParams(
            registrations=[
                types.Registration(
                    id="iacperf-watch-files",
                    method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=options,
                )
            ]
        )
    )


def _freeze_heap() -> None:
    gc.collect()
    gc.freeze()


def _not_a_late_cancel(record: logging.LogRecord) -> bool:
    return not record.getMessage().startswith("Cancel notification for unknown message id")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="iacperf-lsp %(levelname)s %(message)s")
    # Clients cancel requests that were already answered (VS Code does so for hovers and
    # code actions all the time); pygls warns about each one on stderr, the output channel.
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_not_a_late_cancel)
    # While the worker analyses, the threads that read stdin and run the event loop wait for
    # the GIL; at the default 5 ms a newer version reaches the worker late and stale work
    # runs to the end (bench/lsp_latency.py: bursts on 5,000 lines 105 ms -> 33 ms).
    sys.setswitchinterval(0.001)
    server = create_server()
    widen_pipe(sys.stdout.fileno())
    server.start_io(stdout=whole_writes(sys.stdout.buffer))
    # pygls ends its loop with SystemExit(1) for "exit" before "shutdown", then swallows
    # it: the process said 0. The protocol says 1.
    if server.exit_received and not server.protocol._shutdown:
        sys.exit(1)
