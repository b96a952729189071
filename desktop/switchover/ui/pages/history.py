"""History page: switches and undos from the journal, failover decisions with their evidence; Undo."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QHeaderView, QLabel, QPushButton, QVBoxLayout, QWidget

from switchover.core.switching import JournalEntry, UndoResult
from switchover.ui.health_format import status_label
from switchover.ui.kit.palette import Tone
from switchover.ui.kit.table import Column, TableModel
from switchover.ui.pages.common import TableOrEmpty, make_table, page_title
from switchover.ui.safe_text import show_error, show_plain
from switchover.ui.state import AppState
from switchover.ui.switching import ToolsService


@dataclass(frozen=True)
class HistoryRow:
    at: float
    what: str
    tools: str
    detail: str
    evidence: str = ""
    tone: str = "info"  # info | good | warn | bad


def _iso_to_ts(text: str) -> float:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return 0.0


def journal_rows(entries: list[JournalEntry], labels: dict[str, str]) -> list[HistoryRow]:
    rows = []
    for entry in entries:
        tools = ", ".join(labels.get(t, t) for t in entry.tools)
        target = f"{entry.provider} · {entry.model}"
        if entry.kind == "undo":
            what, detail = "Undo", f"restored the files of the switch to {target}"
        else:
            what, detail = "Switch", f"to {target}"
        tone = "good"
        if entry.state != "done":
            tone = "bad"
            detail += f" ({entry.state.replace('_', ' ')}{': ' + entry.error if entry.error else ''})"
        if entry.problems:
            detail += "; not restored: " + "; ".join(entry.problems)
        files = "\n".join(f.path for f in entry.files)
        rows.append(HistoryRow(_iso_to_ts(entry.started), what, tools, detail, files, tone))
    return rows


def decision_rows(decisions: list[Any]) -> list[HistoryRow]:
    rows = []
    for d in decisions:
        evidence = "\n".join(
            f"{r.provider}/{r.protocol}: {status_label(r.status)} — {r.reason}" for r in d.evidence
        )
        tone = {"failed": "bad", "switched": "good", "accepted": "good", "suggested": "warn"}.get(
            d.action.value, "info")
        kind = {"failover": "Failover", "switch_back": "Switch back", "no_candidate": "Failover: no candidate",
                "held": "Failover held", "recovered": "Recovered"}.get(d.kind.value, d.kind.value)
        what = kind if d.action.value == "noted" else f"{kind} ({d.action.value})"
        rows.append(HistoryRow(d.at, what, d.tool_label, d.message + (f" — {d.error}" if d.error else ""),
                               evidence, tone))
    return rows


NO_HISTORY = ("Nothing has been switched yet. Switches made on the Tools page, from the tray or by failover appear "
              "here, with the checks that led to them (hover a row), and the last one can be undone.")


def _when(row: HistoryRow) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(row.at)) if row.at else "?"


def _evidence(row: HistoryRow) -> str:
    return row.evidence or row.detail


_TONES = {"good": Tone.GOOD, "warn": Tone.WARN, "bad": Tone.BAD}


def history_columns() -> list[Column[HistoryRow]]:
    return [
        Column("When", _when, tooltip=_evidence, sort_key=lambda r: r.at),
        Column("What", lambda r: r.what, tooltip=_evidence, tone=lambda r: _TONES.get(r.tone)),
        Column("Tools", lambda r: r.tools, tooltip=_evidence),
        Column("Details", lambda r: r.detail, tooltip=_evidence),
    ]


class HistoryPage(QWidget):
    def __init__(self, state: AppState, service: ToolsService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.service = service
        self.model: TableModel[HistoryRow] = TableModel(history_columns(), self)
        self.table = make_table(self)
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.undo_button = QPushButton("&Undo last switch")
        self.undo_button.clicked.connect(self.undo)
        self.status_label = QLabel()
        self.status_label.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.undo_button)
        row.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(page_title("History", "Switches, undos and failover decisions, with the evidence "
                                    "(hover a row)."))
        self.body = TableOrEmpty(self.table, NO_HISTORY)
        layout.addWidget(self.body, 2)  # the page's own table gets most of the height
        layout.addLayout(row)
        from switchover.ui.gateway import GatewayRequestsBox  # a self-contained box (ui/gateway.py)

        self.requests_box = GatewayRequestsBox(state.tasks, self)
        layout.addWidget(self.requests_box, 1)
        self.decisions: list[Any] = []
        service.history_loaded.connect(lambda _e: self.refresh())
        service.failed.connect(self._failed)
        self.refresh()

    def load(self) -> None:
        """Re-read the journal and the failover decision log (both on workers)."""
        self.service.load_history()

        def read_decisions(_p: object) -> list[Any]:
            from switchover.core.failover.decisions import DecisionLog

            return DecisionLog().recent(200)

        def got(decisions: list[Any]) -> None:
            self.decisions = decisions
            self.refresh()

        self.state.tasks.run(read_decisions, on_success=got, label="read failover decisions")
        self.requests_box.reload()

    def refresh(self) -> None:
        labels = {r.tool: r.label for r in self.service.rows}
        rows = journal_rows(self.service.history, labels) + decision_rows(self.decisions)
        rows.sort(key=lambda r: r.at, reverse=True)
        self.model.set_rows(rows)
        self.body.show_rows(len(rows))
        self.table.resizeColumnsToContents()
        self.undo_button.setEnabled(self.service.can_undo)

    def undo(self) -> None:
        self.undo_button.setEnabled(False)
        show_plain(self.status_label, "Undoing…")
        self.service.undo(on_done=self._undone, on_failure=lambda exc: self._failed(str(exc)))

    def _undone(self, result: UndoResult) -> None:
        count = len(result.files)
        text = f"Restored {count} file{'s' if count != 1 else ''}."
        if result.kept:  # the tool changed them since the switch: only Switchover's settings went back
            text += (f" In {', '.join(result.kept)} only Switchover's settings went back; changes made there "
                     "since the switch were kept.")
        show_plain(self.status_label, text)

    def _failed(self, message: str) -> None:
        self.undo_button.setEnabled(self.service.can_undo)
        show_error(self.status_label, message)
