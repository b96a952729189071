"""Page 6: a full health check with results streaming in, a summary, app options, and the optional
"switch now" with a preview of every file change. Finish writes the setup; tool configs change only on request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
)

from switchover.core.health.results import HealthResult, HealthStatus
from switchover.ui.health_format import latency_text, status_colour
from switchover.ui.safe_text import error_html, html_lines, show_html, tooltip
from switchover.ui.taskman import Progress
from switchover.ui.wizard.common import WizardPage, busy_bar, status_text
from switchover.ui.wizard.draft import Verdict
from switchover.ui.wizard.services import SwitchPreview, previews

if TYPE_CHECKING:
    from switchover.ui.wizard.wizard import SetupWizard


def verdicts_without_rows(verdicts: dict[str, Verdict], seen: set[str]) -> set[str]:
    """Providers whose verdict came without a streamed result (e.g. no key to check with): they get a row too."""
    return {name for name in verdicts if name not in seen}


class FinishPage(WizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Check and finish")
        self.setSubTitle("Every provider is checked now. Press Finish to save this setup.")
        self.results = QTreeWidget()
        self.results.setObjectName("health_results")
        self.results.setHeaderLabels(["Provider", "API", "Result", "Time", "Why"])
        self.results.setRootIsDecorated(False)
        for column in range(4):
            self.results.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.busy = busy_bar()
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)
        self.login_box = QCheckBox("Start Switchover when I &log in")
        self.login_box.setObjectName("start_at_login")
        self.tray_box = QCheckBox("Show the tra&y icon")
        self.tray_box.setObjectName("show_tray")
        self.gateway_box = QCheckBox("Route tools through Switchover's &gateway (recommended): running sessions keep "
                                     "working through an outage, and tools hold no provider key")
        self.gateway_box.setObjectName("use_gateway")
        self.gateway_box.setToolTip("Runs a local gateway in the app (127.0.0.1). “Switch my tools now” then points "
                                    "each tool at its gateway route once; later switches and failover re-route it "
                                    "there without touching its files.")
        self.switch_box = QCheckBox("&Switch my tools now to the first choice of their order")
        self.switch_box.setObjectName("switch_now")
        self.plaintext_box = QCheckBox()
        self.plaintext_box.setObjectName("replace_plaintext")
        self.plaintext_box.setToolTip("Re-points the tool at the same provider and model through the switching "
                                      "engine: its file then names `switchover key NAME` instead of the key. Backed "
                                      "up first; `switchover undo` puts the file back.")
        self.preview = QPlainTextEdit()
        self.preview.setObjectName("switch_preview")
        self.preview.setReadOnly(True)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setPlaceholderText("Tick “Switch my tools now” to see exactly what would change in each file.")
        self.preview.hide()
        self.apply_status = QLabel()
        self.apply_status.setObjectName("apply_status")
        self.apply_status.setWordWrap(True)
        options = QHBoxLayout()
        options.addWidget(self.login_box)
        options.addWidget(self.tray_box)
        options.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.results, 2)
        layout.addWidget(self.busy)
        layout.addWidget(self.summary)
        layout.addLayout(options)
        layout.addWidget(self.gateway_box)
        layout.addWidget(self.plaintext_box)
        layout.addWidget(self.switch_box)
        layout.addWidget(self.preview, 2)
        layout.addWidget(self.apply_status)
        self.login_box.toggled.connect(lambda on: setattr(self.wizard_.draft, "start_at_login", on))
        self.tray_box.toggled.connect(lambda on: setattr(self.wizard_.draft, "show_tray", on))
        self.switch_box.toggled.connect(self._switch_toggled)
        self.gateway_box.toggled.connect(self._gateway_toggled)
        self.plaintext_box.toggled.connect(lambda on: setattr(self.wizard_.draft, "replace_plaintext", on))
        self.checking = False
        self.previewing = False
        self.last_previews: list[SwitchPreview] = []
        self.seen: set[str] = set()
        self.final_verdicts: dict[str, Verdict] = {}

    def initializePage(self) -> None:
        draft = self.wizard_.draft
        self.login_box.setChecked(draft.start_at_login)
        self.tray_box.setChecked(draft.show_tray)
        self.gateway_box.setChecked(draft.use_gateway)
        can_switch = bool(self.wizard_.services.can_switch)
        self.switch_box.setEnabled(can_switch)
        if not can_switch:
            self.switch_box.setToolTip("The switching engine is not available in this build.")
        self.switch_box.setChecked(draft.switch_now and can_switch)
        plaintext = draft.plaintext_keys()
        labels = [draft.tools[t].label for t, _e in plaintext if t in draft.tools]
        self.plaintext_box.setText(
            f"Take the &plaintext key out of {' and '.join(labels)}'s settings: "
            f"{'it fetches' if len(labels) == 1 else 'they fetch'} it from the keychain instead")
        self.plaintext_box.setVisible(bool(plaintext) and can_switch)
        self.plaintext_box.setChecked(draft.replace_plaintext and bool(plaintext))
        self.apply_status.clear()
        self._update_summary()
        self.run_checks()

    def cleanupPage(self) -> None:
        self.wizard_.draft.switch_now = False
        self.switch_box.setChecked(False)

    # ------------------------------------------------------------ health check

    def run_checks(self) -> None:
        draft = self.wizard_.draft
        active = draft.active_choices()
        items = [(c.provider, c.key) for c in active]
        self.final_verdicts = {}
        self.results.clear()
        self.seen = set()
        if not items:
            return
        self.checking = True
        self.busy.show()
        self.completeChanged.emit()
        services = self.wizard_.services

        def work(progress: Progress) -> dict[str, Verdict]:
            return services.check(items, on_result=progress.report)

        def done(verdicts: dict[str, Verdict]) -> None:
            # Kept apart from the draft: a provider that hiccups now (rate limit, blip) must not block Finish
            # after its key was proven on the cloud page; the table and summary show what was found.
            self.final_verdicts = verdicts
            for name, verdict in verdicts.items():
                if name in verdicts_without_rows(verdicts, self.seen):
                    self._add_row(draft.provider(name).display_name, "—", verdict.status, None, verdict.reason,
                                  verdict)
            self.checking = False
            self.busy.hide()
            self._update_summary()
            self.completeChanged.emit()

        def failed(exc: BaseException) -> None:
            self.checking = False
            self.busy.hide()
            self.summary.setText(error_html(f"The health check failed: {exc}"))
            self.completeChanged.emit()

        self.task = self.wizard_.run(work, done, failed, on_progress=self._result_arrived, label="full health check")

    def _result_arrived(self, result: HealthResult) -> None:
        self.seen.add(result.provider)
        choice = self.wizard_.draft.choices.get(result.provider)
        label = choice.provider.display_name if choice else result.provider
        self._add_row(label, result.protocol, result.status, result.latency_ms, result.reason)

    def _add_row(self, label: str, api: str, status: HealthStatus, latency: float | None, reason: str,
                 verdict: Verdict | None = None) -> None:
        item = QTreeWidgetItem([label, api, status_text(status, verdict), latency_text(latency), reason])
        item.setForeground(2, status_colour(status))
        item.setToolTip(4, tooltip(reason))
        self.results.addTopLevelItem(item)

    def _update_summary(self) -> None:
        draft = self.wizard_.draft
        lines = draft.summary()
        active = draft.active_choices()
        if self.checking:
            lines.append("Checking every provider…")
        elif active:
            healthy = [c for c in active if c.name in self.final_verdicts and self.final_verdicts[c.name].ok]
            lines.append(f"{len(healthy)} of {len(active)} providers work right now.")
        show_html(self.summary, html_lines(lines))  # escaped pieces: rich text even when one line

    # ------------------------------------------------------------ switch now

    def _gateway_toggled(self, on: bool) -> None:
        self.wizard_.draft.use_gateway = on
        if self.wizard_.draft.switch_now:
            self.show_preview()  # the preview shows where each tool would point

    def _switch_toggled(self, on: bool) -> None:
        draft = self.wizard_.draft
        on = on and bool(self.wizard_.services.can_switch)
        draft.switch_now = on
        self.preview.setVisible(on)
        if on:
            self.show_preview()
        self.completeChanged.emit()

    def show_preview(self) -> None:
        draft = self.wizard_.draft
        items = []
        for tool in draft.managed_tools:
            entry = draft.switch_target(tool)
            if entry is not None:
                items.append((tool, draft.provider(entry.provider), entry))
        if not items:
            self.preview.setPlainText("Every tool already uses the first choice of its order: nothing to change.")
            return
        self.previewing = True
        self.preview.setPlainText("Preparing the preview…")
        services = self.wizard_.services

        def done(result: list[SwitchPreview]) -> None:
            self.previewing = False
            self.last_previews = result
            self.preview.setPlainText("\n".join(p.text() for p in result))
            self.completeChanged.emit()

        def failed(exc: BaseException) -> None:
            self.previewing = False
            self.preview.setPlainText(f"The preview failed: {exc}")
            self.completeChanged.emit()

        via_gateway = draft.use_gateway
        self.wizard_.run(lambda _p: previews(services, items, via_gateway), done, failed, label="switch preview")

    def isComplete(self) -> bool:
        """Finish may be pressed while the check still runs (offline it can take a while to time out)."""
        return not self.previewing and not self.wizard_.applying
