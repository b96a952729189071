"""Small pieces the wizard pages share: how a verdict looks, a busy bar, muted help text."""

from __future__ import annotations

import html
import weakref
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QProgressBar, QWidget, QWizardPage

from switchover.core.health import statuses
from switchover.core.health.results import HealthStatus
from switchover.ui.health_format import status_tone
from switchover.ui.kit.palette import Tone, span, tint
from switchover.ui.wizard.draft import Verdict

if TYPE_CHECKING:
    from switchover.ui.wizard.wizard import SetupWizard


class WizardPage(QWizardPage):
    """A page that knows its `SetupWizard` through a weak reference.

    A strong page -> wizard reference would make a reference cycle between Qt wrappers; Python's cycle
    collector may then free the wizard on whatever thread it runs, including a worker, which crashes Qt.
    """

    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__()
        self._wizard_ref = weakref.ref(wizard)

    @property
    def wizard_(self) -> SetupWizard:
        wizard = self._wizard_ref()
        assert wizard is not None, "the wizard is gone"
        return wizard


def verdict_html(verdict: Verdict | None, pending: bool = False) -> str:
    """"Works: 3 models" in green, "Wrong key: …" in red; the reason is the health check's own sentence."""
    if pending:
        return span("Checking…", Tone.MUTED)
    if verdict is None:
        return span("Not checked yet", Tone.MUTED)
    title = verdict.title or statuses.label(verdict.status)
    return f"{span(title, status_tone(verdict.status), bold=True)} — {html.escape(verdict.reason)}"


def status_text(status: HealthStatus | None, verdict: Verdict | None = None) -> str:
    if verdict is not None and verdict.title:
        return verdict.title
    return "not checked" if status is None else statuses.label(status)


def help_label(text: str, parent: QWidget | None = None) -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    tint(label, Tone.MUTED)
    return label


def busy_bar(parent: QWidget | None = None) -> QProgressBar:
    """An indeterminate bar shown while background work runs (hidden when idle)."""
    bar = QProgressBar(parent)
    bar.setRange(0, 0)
    bar.setTextVisible(False)
    bar.setMaximumHeight(8)
    bar.hide()
    return bar
