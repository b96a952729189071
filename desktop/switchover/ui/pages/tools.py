"""Tools page: every supported coding tool, what it uses now, and switching with a diff preview first.

After a switch (from here, the tray or failover) each tool's post-switch verdict shows in its Notes and in the
status line: the health check of exactly what the tool now reads, ok with latency or the failure and why.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from switchover.core.providers import Provider, normalise_url
from switchover.core.switching import SwitchResult, VerifyReport
from switchover.services.tool_state import OPTIONAL_TOOLS, ToolHealth, ToolState
from switchover.ui.health_format import status_label
from switchover.ui.health_monitor import HealthMonitor
from switchover.ui.kit.palette import Tone
from switchover.ui.kit.table import Column, TableModel
from switchover.ui.pages.common import TableOrEmpty, make_table, page_title, wrap_column
from switchover.ui.safe_text import show_error, show_plain
from switchover.ui.state import AppState
from switchover.ui.switch_dialog import SwitchPreviewDialog
from switchover.ui.switch_verdict import Verification, verdict_text
from switchover.ui.switching import ToolRow, ToolsService, describe_result

if TYPE_CHECKING:
    from switchover.ui.status_board import StatusBoard


def home_relative(path: Path) -> str:
    """`~/.claude/settings.json`: shorter, and the same on every machine."""
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


NOTES_COLUMN = 4
NO_TOOLS = ("No coding tools found on this computer. Install one (Claude Code, Codex CLI, Gemini CLI, OpenCode, "
            "Qwen Code, Aider, Continue, Zed, Goose…) and press Refresh; or point other tools at your providers "
            "with the shell environment file (switchover env).")


def choice_key(provider: str, model: str | None) -> str:
    """Combo item data as a plain string ("provider/model"): Qt compares it reliably, unlike a tuple."""
    return f"{provider}/{model}" if model else provider


STATE_TONES = {ToolHealth.OK: Tone.GOOD, ToolHealth.PROBLEM: Tone.BAD, ToolHealth.NOT_CHECKED: Tone.MUTED,
               ToolHealth.UNKNOWN: Tone.MUTED}


class ToolsModel(TableModel[ToolRow]):
    """One row per known tool: what it uses, its state in words (see `services.tool_state`), its config file,
    and notes that are read in full: conflicts with file and line, overrides, the post-switch verdict."""

    def __init__(self, health: HealthMonitor, service: ToolsService, board: StatusBoard | None = None,
                 parent: Any = None) -> None:
        self.health = health
        self.service = service
        self.board = board
        self._states: dict[str, ToolState] = {}
        super().__init__([
            Column("Tool", lambda r: r.label if r.installed else f"{r.label} (not installed)",
                   tone=lambda r: None if r.installed else Tone.MUTED),
            Column("Uses now", lambda r: r.status.error or r.describe(), tooltip=lambda r: r.base_url),
            Column("State", self.state_text, tone=self.state_tone, tooltip=self.state_detail),
            Column("Config file", self.config_text,
                   tooltip=lambda r: "\n".join(str(p) for p in r.status.detection.config_paths)),
            Column("Notes", self.notes, tooltip=lambda r: self.notes(r, full=True) or None,
                   tone=lambda r: Tone.WARN if self._needs_warning(r) else None),
        ], parent)

    def set_rows(self, rows: Sequence[ToolRow]) -> None:
        self.refresh_states()
        super().set_rows(rows)

    def refresh_states(self) -> None:
        self._states = {s.tool: s for s in self.board.states()} if self.board is not None else {}

    def state(self, row: ToolRow) -> ToolState | None:
        return self._states.get(row.tool)

    def state_text(self, row: ToolRow) -> str:
        state = self.state(row)
        if state is None:
            result = self.health.latest.get(row.endpoint_key) if row.endpoint_key else None
            return status_label(result.status) if result else ("—" if not row.endpoint_key else "Not checked")
        return state.why[:1].upper() + state.why[1:]

    def state_tone(self, row: ToolRow) -> Tone | None:
        state = self.state(row)
        return STATE_TONES[state.health] if state is not None else None

    def state_detail(self, row: ToolRow) -> str | None:
        state = self.state(row)
        return state.detail if state is not None and state.detail else None

    @staticmethod
    def config_text(row: ToolRow) -> str:
        paths = row.status.detection.config_paths
        return home_relative(paths[0]) if paths else "—"

    def _verdict(self, row: ToolRow) -> VerifyReport | None:
        """The last post-switch verdict, while the tool still reads what was verified (not after an undo)."""
        report = self.service.verdicts.get(row.tool)
        if report is None or row.base_url is None:
            return None
        same = normalise_url(row.base_url) == normalise_url(report.expected_base_url)
        return report if same and row.model == report.expected_model else None

    def _needs_warning(self, row: ToolRow) -> bool:
        report = self._verdict(row)
        conflicts = self.board.conflicts_for(row.tool) if self.board is not None else []
        overridden = row.status.current is not None and not row.status.current.in_effect
        return bool(row.status.existing_overrides or conflicts or overridden or (report is not None and not report.ok))

    def notes(self, row: ToolRow, full: bool = False) -> str:
        parts = []
        report = self._verdict(row)
        if report is not None:
            parts.append(f"after switch: {verdict_text(report)}")
        for conflict in self.board.conflicts_for(row.tool) if self.board is not None else []:
            parts.append(f"⚠ {conflict.advice()}" if full else f"⚠ {conflict.summary()}"
                         + (" overrides it" if conflict.overrides else " is read too"))
        overrides = row.status.current.overrides if row.status.current is not None else ()
        if overrides and report is None:  # what the tool ranks above its config (a verdict says it already)
            parts += [f"⚠ it uses something else: {o.describe()}" if full else f"⚠ {o.reason}" for o in overrides]
        elif row.status.existing_overrides:
            files = ", ".join(home_relative(p) for p in row.status.existing_overrides)
            parts.append(f"⚠ project or managed settings may override this: {files}")
        if row.via_gateway:
            parts.append(f"through Switchover's gateway; last request served by {row.last_served}"
                         if row.last_served else "through Switchover's gateway")
        elif row.status.current is not None and row.provider is None and row.base_url:
            parts.append("not one of your providers (switchover import adopts it, with its key)")
        parts.extend(getattr(row.status.detection, "notes", ()) if full else ())
        return "\n".join(parts) if full else "; ".join(parts)


class ToolsPage(QWidget):
    def __init__(self, state: AppState, service: ToolsService, health: HealthMonitor,
                 board: StatusBoard | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.service = service
        self.board = board
        self.model = ToolsModel(health, service, board, self)
        self.table = make_table(self)
        self.table.setModel(self.model)
        wrap_column(self.table, NOTES_COLUMN)
        self.body = TableOrEmpty(self.table, NO_TOOLS)
        self.choice_combo = QComboBox()
        self.choice_combo.setMinimumWidth(260)
        self.switch_button = QPushButton("&Switch selected…")
        self.switch_all_button = QPushButton("Switch &all tools…")
        self.refresh_button = QPushButton("&Refresh")
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        self.switch_button.clicked.connect(self.switch_selected)
        self.switch_all_button.clicked.connect(self.switch_all)
        self.refresh_button.clicked.connect(service.refresh)
        row = QHBoxLayout()
        point_at = QLabel("&Point at")
        point_at.setBuddy(self.choice_combo)
        row.addWidget(point_at)
        row.addWidget(self.choice_combo)
        row.addWidget(self.switch_button)
        row.addWidget(self.switch_all_button)
        row.addStretch(1)
        row.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("Tools", "Your coding tools and the provider each one uses. "
                                    "Every switch shows its diff first and can be undone."))
        layout.addWidget(self.body, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(row)
        self.preview_dialog: SwitchPreviewDialog | None = None
        service.tools_loaded.connect(self._loaded)
        service.failed.connect(self._failed)
        service.verified.connect(self._verified)
        service.undone.connect(self._undone)
        state.store_changed.connect(self._fill_choices)
        health.result_arrived.connect(lambda _r: self._states_changed())
        if board is not None:
            board.changed.connect(self._states_changed)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self._fill_choices()
        self._loaded(service.rows)

    def _loaded(self, rows: list[ToolRow]) -> None:
        selected = self.selected_tool()
        self.model.set_rows(rows)
        self._fit()
        self.body.show_rows(sum(1 for r in rows if r.installed and not (r.tool in OPTIONAL_TOOLS and
                                                                     r.status.current is None)))
        if selected:
            self.select_tool(selected)
        self._update_buttons()

    def _fit(self) -> None:
        for column in range(NOTES_COLUMN):
            self.table.resizeColumnToContents(column)
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), 280))
        self.table.resizeRowsToContents()

    def _states_changed(self) -> None:
        self.model.refresh_states()
        self.model.refresh_rows()
        self.table.resizeRowsToContents()

    def _fill_choices(self) -> None:
        current = self.choice_combo.currentData()
        self.choice_combo.clear()
        for provider in self.state.store.providers.values():
            for model in provider.models or (None,):
                label = f"{provider.display_name} · {model}" if model else provider.display_name
                self.choice_combo.addItem(label, choice_key(provider.name, model))
        if current is not None:
            self.choice_combo.setCurrentIndex(max(0, self.choice_combo.findData(current)))
        self._update_buttons()

    def selected_tool(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_object(rows[0].row()).tool if rows else None

    def select_tool(self, tool: str) -> None:
        for index, row in enumerate(self.model.rows()):
            if row.tool == tool:
                self.table.selectRow(index)

    def select_choice(self, provider: str, model: str | None) -> None:
        self.choice_combo.setCurrentIndex(self.choice_combo.findData(choice_key(provider, model)))

    def _update_buttons(self) -> None:
        has_choice = self.choice_combo.count() > 0
        self.switch_button.setEnabled(has_choice and self.selected_tool() is not None)
        self.switch_all_button.setEnabled(has_choice and any(r.installed for r in self.model.rows()))

    def chosen(self) -> tuple[Provider, str | None] | None:
        data = self.choice_combo.currentData()
        if not data:
            return None
        name, _, model = str(data).partition("/")
        return self.state.store.providers[name], model or None

    # ------------------------------------------------------------ switching

    def switch_selected(self) -> None:
        tool = self.selected_tool()
        if tool:
            self.start_switch([tool])

    def switch_all(self) -> None:
        self.start_switch(None)

    def start_switch(self, tools: list[str] | None) -> None:
        choice = self.chosen()
        if choice is None:
            return
        provider, model = choice
        self.status_label.setText("Preparing the switch…")
        self.service.preview(provider, model, tools, on_done=lambda p: self._review(p, provider, model, tools),
                             on_failure=lambda exc: self._failed(str(exc)))

    def _review(self, preview: SwitchResult, provider: Provider, model: str | None, tools: list[str] | None) -> None:
        self.status_label.setText("")
        board = self.board
        conflicts = [c for o in preview.outcomes for c in board.conflicts_for(o.tool)] if board is not None else []
        dialog = SwitchPreviewDialog(preview, provider.display_name, self, conflicts)
        self.preview_dialog = dialog

        def replan(include: bool) -> None:  # the diff shows exactly what Apply will write
            self.service.preview(provider, model, tools, on_done=dialog.show_preview,
                                 on_failure=lambda exc: self._failed(str(exc)), include_overrides=include)

        dialog.include_overrides_changed.connect(replan)
        dialog.accepted.connect(lambda: self._apply(provider, model, tools, dialog.include_overrides))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _apply(self, provider: Provider, model: str | None, tools: list[str] | None,
               include_overrides: bool = False) -> None:
        self.status_label.setText("Switching…")
        self.service.switch(provider, model, tools, on_done=self._switched,
                            on_failure=lambda exc: self._failed(str(exc)), include_overrides=include_overrides)

    def _switched(self, result: SwitchResult) -> None:
        checking = " Checking what each tool now reads…" if result.plans else ""
        show_plain(self.status_label, describe_result(result) + checking)

    def _verified(self, verification: Verification) -> None:
        head = f"Switched to {verification.provider} · {verification.model}: " + (
            "every tool answers." if verification.ok else "a check failed.")
        show_plain(self.status_label, "\n".join([head, *verification.lines()]))
        self.table.viewport().update()

    def _undone(self, result: object) -> None:
        """The status line must not keep saying what the undone switch did."""
        count = len(getattr(result, "files", ()))
        show_plain(self.status_label, f"Undone: {count} file{'s' if count != 1 else ''} restored to how they were "
                                      "before the last switch.")
        self.model.refresh_rows()

    def _failed(self, message: str) -> None:
        show_error(self.status_label, message)
