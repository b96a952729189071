"""The app's access to the tools: read what each uses, preview and apply switches, undo, history.

All of it is the core's (`SwitchEngine`, the targets registry); this object runs it on the serial worker
(switches must never interleave) and publishes the results as signals for the Tools and History pages and
the tray.

Every switch is then verified like `switchover use` does: the engine reads each tool's config back and an
auth-tier health check probes exactly the base URL and model the tool now reads
(`services.switching.verify_switch`). That runs on the parallel pool, so a slow provider never
holds up the next switch or a store edit; the per-tool verdict arrives as `verified`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from switchover.core.errors import SwitchoverError
from switchover.core.providers import Provider
from switchover.services import switching as services
from switchover.services.keys import KeySource
from switchover.services.switching import ToolRow
from switchover.ui.state import AppState
from switchover.ui.switch_verdict import Verification
from switchover.ui.taskman import Progress, Task

if TYPE_CHECKING:  # the engine and targets pull in every config format: loaded on a worker, off start-up
    from switchover.core.switching import (
        JournalEntry,
        SwitchEngine,
        SwitchResult,
        UndoResult,
        VerifyReport,
    )
    from switchover.core.switching.contract import SwitchRequest, Target, ToolEnv

log = logging.getLogger(__name__)


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
        return services.make_engine(self._env_factory(), self._targets_factory())

    def keys(self) -> KeySource:
        """Reads keys on a worker; the app's keychain is opened only for a provider that keeps its key there."""
        return KeySource(self.state.keychain)

    def request(self, provider: Provider, model: str | None = None, include_overrides: bool = False) -> SwitchRequest:
        chosen = model or provider.default_model
        if not chosen:
            raise SwitchoverError(f"{provider.display_name} has no model configured; add one on the Providers page.")
        return services.switch_request(provider, chosen, provider.small_model, self.keys(),
                                       include_overrides=include_overrides)

    # ------------------------------------------------------------ reading

    def refresh(self) -> Task:
        providers = list(self.state.store.providers.values())

        def work(_p: Progress) -> list[ToolRow]:
            return services.tool_rows(self.engine(), providers)

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
        include_overrides: bool = False,
    ) -> Task:
        """A dry run with the diff; nothing is written. `include_overrides`: also what keeps it from taking
        effect, where Switchover can change that (the preview's checkbox)."""
        def work(_p: Progress) -> SwitchResult:
            request = self.request(provider, model, include_overrides)
            return self.engine().use(request, tools, dry_run=True, want_diff=True)

        return self.state.tasks.run(work, on_success=on_done, on_failure=on_failure or self._failed, serial=True,
                                    label="preview switch")

    def switch(
        self, provider: Provider, model: str | None, tools: list[str] | None,
        on_done: Callable[[SwitchResult], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_verified: Callable[[Verification], None] | None = None,
        include_overrides: bool = False,
    ) -> Task:
        """Switch (serial worker), then verify what each tool now reads (parallel worker)."""
        def work(_p: Progress) -> SwitchResult:
            # Tools that go through the gateway are re-routed there (their files stay as they are).
            from switchover.services.gateway_tools import switch_with_gateway

            chosen = model or provider.default_model or ""
            return switch_with_gateway(self.engine(), provider, chosen, provider.small_model, tools,
                                       lambda: self.request(provider, model, include_overrides))

        def done(result: SwitchResult) -> None:
            if any(o.message.startswith("re-routed") for o in result.outcomes):
                self.state.reload()  # a re-route changed the store (its routes), not the tools' files
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
        keys = self.keys()
        slow_ms = float(self.state.settings.slow_threshold_ms)
        labels = {o.tool: o.label for o in result.outcomes}

        def work(_p: Progress) -> Verification:
            from switchover.core.health.runner import CheckOptions

            try:
                reports = tuple(services.verify_switch(self.engine(), result, provider, keys,
                                                       CheckOptions(slow_ms=slow_ms)))
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
        return services.choices_for(row.protocols, self.state.store.providers.values())

    def _failed(self, exc: BaseException) -> None:
        log.warning("tools: %s", exc)
        self.failed.emit(str(exc))


def _current_env() -> ToolEnv:
    from switchover.core.switching.contract import ToolEnv

    return ToolEnv.current()


def _all_targets() -> list[Target]:
    return services.all_targets()


def describe_result(result: SwitchResult) -> str:
    switched = [o.label for o in result.outcomes if o.status == "switched"]
    other = [f"{o.label}: {o.message or o.status}" for o in result.outcomes if o.status not in ("switched",)]
    text = (f"{', '.join(switched)} now use{'s' if len(switched) == 1 else ''} {result.provider} · {result.model}."
            if switched else "Nothing needed changing.")
    return text + (" " + "; ".join(other) if other else "")


__all__ = ["ToolRow", "ToolsService", "describe_result"]
