"""Page 1: what Switchover will and will not do, and whether a usable keychain exists."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QVBoxLayout

from switchover.ui.kit.palette import Tone, span
from switchover.ui.safe_text import error_html, escape
from switchover.ui.wizard.common import WizardPage, busy_bar, help_label

if TYPE_CHECKING:
    from switchover.ui.wizard.wizard import SetupWizard

PROMISES = """
<p>Switchover keeps your coding tools pointed at a model provider that works.</p>
<p><b>It will</b></p>
<ul>
<li>edit only the model settings (base URL, model, how the key is found) of the tools <i>you</i> pick;</li>
<li>back up every file before it changes it, so each switch can be undone;</li>
<li>keep your API keys in the OS keychain, never in its own files;</li>
<li>check your providers and tell you why one fails (wrong key, region block, quota, outage).</li>
</ul>
<p><b>It will not</b> touch any other setting, send your keys anywhere but the provider they belong to,
or change a tool's configuration during this setup unless you ask it to on the last page.</p>
"""

ENV_ALTERNATIVE = (
    "You can still go on: for each provider, name an environment variable that holds its key "
    "(e.g. DEEPSEEK_API_KEY, exported in your shell profile) instead of storing the key."
)


class WelcomePage(WizardPage):
    def __init__(self, wizard: SetupWizard) -> None:
        super().__init__(wizard)
        self.setTitle("Welcome to Switchover")
        self.setSubTitle("A working, checked setup in a couple of minutes. Nothing is saved until you press Finish.")
        intro = QLabel(PROMISES)
        intro.setWordWrap(True)
        self.keychain_label = QLabel("Looking for the OS keychain…")
        self.keychain_label.setObjectName("keychain_status")
        self.keychain_label.setWordWrap(True)
        self.keychain_help = help_label("")
        self.keychain_help.setObjectName("keychain_help")
        self.keychain_help.hide()
        self.busy = busy_bar()
        self.busy.show()
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addStretch(1)
        layout.addWidget(self.keychain_label)
        layout.addWidget(self.keychain_help)
        layout.addWidget(self.busy)
        wizard.loaded.connect(self._loaded)

    def _loaded(self) -> None:
        draft = self.wizard_.draft
        self.busy.hide()
        if self.wizard_.load_error:
            self.keychain_label.setText(error_html(self.wizard_.load_error))
        elif draft.keychain_usable:
            self.keychain_label.setText(
                span("✓ A usable OS keychain was found.", Tone.GOOD, bold=True)
                + " Keys you enter will be stored there."
            )
        else:
            self.keychain_label.setText(
                span("No usable OS keychain.", Tone.WARN, bold=True) + " " + escape(draft.keychain_problem or "")
            )
            self.keychain_help.setText(ENV_ALTERNATIVE)
            self.keychain_help.show()
        if self.wizard_.rerun:
            self.setSubTitle("You already have a setup: this edits it. Nothing is saved until you press Finish.")
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.wizard_.is_loaded and not self.wizard_.load_error
