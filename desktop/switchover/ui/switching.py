"""The app's access to the tools: read what each uses, preview and apply switches, undo, history.

All of it is the core's (`SwitchEngine`, the targets registry); this object runs it on the serial worker
(switches must never interleave) and publishes the results as signals for the Tools and History pages and
the tray.

Every switch is then verified like `switchover use` does: the engine reads each tool's config back and an
auth-tier health check probes exactly the base URL and model the tool now reads
(`core.switching.health_verify.make_health_hook`). That runs on the parallel pool, so a slow provider never
holds up the next switch or a store edit; the per-tool verdict arrives as `verified`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from switchover.core.errors import SwitchoverError
from switchover.core.providers import Protocol, Provider, provider_at
from switchover.core.secrets import resolve_key
from switchover.ui.autostart import launch_command
from switchover.ui.state import AppState
from switchover.ui.switch_verdict import Verification
from switchover.ui.taskman import Progress, Task

if TYPE_CHECKING:  # the engine and targets pull in every config format: loaded on a worker, off start-up
    from switchover.core.switching import (
        JournalEntry,
        SwitchEngine,
        SwitchResult,
        ToolStatus,
        UndoResult,
        VerifyReport,
    )
    from switchover.core.switching.contract import SwitchRequest, Target, ToolEnv

log = logging.getLogger(__name__)


def key_command(provider: str) -> tuple[str, ...]:
    """How a tool asks for its key at run time: this installation's `switchover key NAME` (never the key)."""
    return (*launch_command(), "key", provider)


@dataclass(frozen=True)
class ToolRow:
    """One tool as the UI shows it: the engine's status plus which of our providers it points at."""

    status: ToolStatus
    provider: Provider | None  # matched from the tool's base URL
    endpoint_key: str | None  # "provider/protocol" for health lookups
    protocols: tuple[Protocol, ...] = ()  # what the tool can speak, preferred first

    @property
    def tool(self) -> str:
        return self.status.tool

    @property
    def label(self) -> str:
        return self.status.label

    @property
    def installed(self) -> bool:
        return bool(self.status.detection.installed)

    @property
    def model(self) -> str | None:
        return self.status.current.model if self.status.current else None

    @property
    def base_url(self) -> str | None:
        return self.status.current.base_url if self.status.current else None

    def describe(self) -> str:
        """"DeepSeek · deepseek-chat", or the raw URL when no configured provider matches."""
        if self.status.current is None:
            return "not configured"
        where = self.provider.display_name if self.provider else (self.base_url or "default")
        return f"{where} · {self.model}" if self.model else where


class ToolsService(QObject):
    """Signals:
    tools_loaded(list): `ToolRow`s for every known tool (installed or not).
    switched(object): a `SwitchResult` that was applied.
    undone(object): an `UndoResult`.
    history_loaded(list): `JournalEntry`s, newest first.
    verified(object): a `Verification` after a switch (the tool reads what was asked, and it answers).
    failed(str): a switch, undo or read failed; the message says why and what to do.
    """

    tools_loaded = Signal(list)
    switched = Signal(object)
    undone = Signal(object)
    history_loaded = Signal(list)
    verified = Signal(object)
    failed = Signal(str)

    def __init__(
        self,
        state: AppState,
        targets_factory: Callable[[], Sequence[Target]] | None = None,
        env_factory: Callable[[], ToolEnv] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = state
        self._targets_factory = targets_factory or _all_targets
        self._env_factory = env_factory or _current_env
        self.rows: list[ToolRow] = []
        self.history: list[JournalEntry] = []
        self.verdicts: dict[str, VerifyReport] = {}  # tool -> the last post-switch verdict

    def engine(self) -> SwitchEngine:
        """Built on a worker (detecting tools reads files)."""
        from switchover.core.switching import SwitchEngine

        return SwitchEngine(self._targets_factory(), self._env_factory())

    def request(self, provider: Provider, model: str | None = None) -> SwitchRequest:
        from switchover.core.switching.contract import SwitchRequest

        keychain = self.state.keychain if provider.credential.kind == "keychain" else (lambda: None)
        chosen = model or provider.default_model
        if not chosen:
            raise SwitchoverError(f"{provider.display_name} has no model configured; add one on the Providers page.")
        return SwitchRequest(
            provider, chosen, provider.small_model, key_command(provider.name),
            lambda: resolve_key(provider, keychain()),
        )

    # ------------------------------------------------------------ reading

    def refresh(self) -> Task:
        providers = list(self.state.store.providers.values())

        def work(_p: Progress) -> list[ToolRow]:
            engine = self.engine()
            rows = []
            for status in engine.tools():
                current = status.current
                match = provider_at(providers, current.base_url, current.protocol) if current and current.base_url \
                    else None
                key = f"{match[0].name}/{match[1].protocol.value}" if match else None
                protocols = tuple(getattr(engine.targets[status.tool], "protocols", ()))
                rows.append(ToolRow(status, match[0] if match else None, key, protocols))
            return rows

        return self.state.tasks.run(work, on_success=self._loaded, on_failure=self._failed, serial=True,
                                    label="read tools")

    def _loaded(self, rows: list[ToolRow]) -> None:
        self.rows = rows
        self.tools_loaded.emit(rows)

    def load_history(self) -> Task:
        return self.state.tasks.run(
            lambda _p: self.engine().history(limit=200), on_success=self._history, on_failure=self._failed,
            serial=True, label="read switch history",
        )

    def _history(self, entries: list[JournalEntry]) -> None:
        self.history = entries
        self.history_loaded.emit(entries)

    @property
    def can_undo(self) -> bool:
        undone = {e.undoes for e in self.history if e.kind == "undo" and e.state == "done"}
        return any(e.kind == "switch" and e.state == "done" and e.id not in undone for e in self.history)

    # ------------------------------------------------------------ changing

    def preview(
        self, provider: Provider, model: str | None, tools: list[str] | None,
        on_done: Callable[[SwitchResult], None], on_failure: Callable[[BaseException], None] | None = None,
    ) -> Task:
        """A dry run with the diff; nothing is written."""
        def work(_p: Progress) -> SwitchResult:
            return self.engine().use(self.request(provider, model), tools, dry_run=True, want_diff=True)

        return self.state.tasks.run(work, on_success=on_done, on_failure=on_failure or self._failed, serial=True,
                                    label="preview switch")

    def switch(
        self, provider: Provider, model: str | None, tools: list[str] | None,
        on_done: Callable[[SwitchResult], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_verified: Callable[[Verification], None] | None = None,
    ) -> Task:
        """Switch (serial worker), then verify what each tool now reads (parallel worker)."""
        def work(_p: Progress) -> SwitchResult:
            return self.engine().use(self.request(provider, model), tools)

        def done(result: SwitchResult) -> None:
            self.switched.emit(result)
            if on_done is not None:
                on_done(result)
            self.refresh()
            self.load_history()
            if result.plans:
                self.verify(provider, result, on_verified)

        return self.state.tasks.run(work, on_success=done, on_failure=on_failure or self._failed, serial=True,
                                    label="switch")

    def verify(self, provider: Provider, result: SwitchResult,
               on_done: Callable[[Verification], None] | None = None, source: str = "switch") -> Task:
        """`SwitchEngine.verify` with the CLI's health hook: auth tier, against what each tool reads now."""
        keychain = self.state.keychain if provider.credential.kind == "keychain" else (lambda: None)
        slow_ms = float(self.state.settings.slow_threshold_ms)
        labels = {o.tool: o.label for o in result.outcomes}

        def work(_p: Progress) -> Verification:
            from switchover.core.health.runner import CheckOptions
            from switchover.core.switching.health_verify import make_health_hook

            hook = make_health_hook(provider, lambda: resolve_key(provider, keychain()), CheckOptions(slow_ms=slow_ms))
            try:
                reports = tuple(self.engine().verify(result, hook))
            except SwitchoverError as exc:
                return Verification(result.provider, result.model, (), labels, str(exc), source)
            return Verification(result.provider, result.model, reports, labels, source=source)

        def done(verification: Verification) -> None:
            for report in verification.reports:
                self.verdicts[report.tool] = report
            self.verified.emit(verification)
            if self.rows:
                self.tools_loaded.emit(self.rows)  # the Tools page shows the verdicts
            if on_done is not None:
                on_done(verification)

        return self.state.tasks.run(work, on_success=done, on_failure=self._failed, label="verify switch")

    def verify_current(self, provider: Provider, model: str, tools: list[str],
                       on_done: Callable[[Verification], None] | None = None) -> Task:
        """Verify tools the failover monitor switched: plan the same choice (writes nothing), then verify."""
        labels = dict.fromkeys(tools, "")

        def work(_p: Progress) -> SwitchResult:
            return self.engine().use(self.request(provider, model), tools, dry_run=True)

        def planned(result: SwitchResult) -> None:
            self.verify(provider, result, on_done, source="failover")

        def failed(exc: BaseException) -> None:
            verification = Verification(provider.name, model, (), labels, str(exc), "failover")
            self.verified.emit(verification)
            if on_done is not None:
                on_done(verification)

        return self.state.tasks.run(work, on_success=planned, on_failure=failed, serial=True,
                                    label="plan verification")

    def undo(self, on_done: Callable[[UndoResult], None] | None = None,
             on_failure: Callable[[BaseException], None] | None = None) -> Task:
        def done(result: UndoResult) -> None:
            self.undone.emit(result)
            if on_done is not None:
                on_done(result)
            self.refresh()
            self.load_history()

        return self.state.tasks.run(lambda _p: self.engine().undo(), on_success=done,
                                    on_failure=on_failure or self._failed, serial=True, label="undo")

    def choices_for(self, row: ToolRow) -> list[tuple[Provider, str, str]]:
        """(provider, model, endpoint key) the tool could use: providers offering a protocol it speaks."""
        found = []
        for provider in self.state.store.providers.values():
            endpoint = next((provider.endpoint(p) for p in row.protocols if provider.endpoint(p)), None)
            if endpoint is None:
                continue
            for model in provider.models:
                found.append((provider, model, f"{provider.name}/{endpoint.protocol.value}"))
        return found

    def _failed(self, exc: BaseException) -> None:
        log.warning("tools: %s", exc)
        self.failed.emit(str(exc))


def _current_env() -> ToolEnv:
    from switchover.core.switching.contract import ToolEnv

    return ToolEnv.current()


def _all_targets() -> list[Target]:
    from switchover.targets.registry import all_targets

    return list(all_targets())


def describe_result(result: SwitchResult) -> str:
    switched = [o.label for o in result.outcomes if o.status == "switched"]
    other = [f"{o.label}: {o.message or o.status}" for o in result.outcomes if o.status not in ("switched",)]
    text = (f"{', '.join(switched)} now use{'s' if len(switched) == 1 else ''} {result.provider} · {result.model}."
            if switched else "Nothing needed changing.")
    return text + (" " + "; ".join(other) if other else "")


__all__ = ["ToolRow", "ToolsService", "describe_result", "key_command"]
