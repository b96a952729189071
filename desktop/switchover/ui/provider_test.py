"""The provider dialog's "Test" button: an auth-tier check of the provider as entered, in the background.

Uses the key typed in the dialog, or (when editing and left blank) the stored one; nothing is saved.
"""

from __future__ import annotations

from switchover.core.errors import SwitchoverError
from switchover.core.health.results import HealthResult, Tier
from switchover.core.health.runner import CheckOptions
from switchover.services.keys import KeySource
from switchover.services.probes import build_probes, every_endpoint, sweep
from switchover.ui.health_format import status_html
from switchover.ui.provider_dialog import ProviderDialog
from switchover.ui.safe_text import show_error, show_html, show_plain
from switchover.ui.state import AppState
from switchover.ui.taskman import Progress, Task


def attach_test_button(dialog: ProviderDialog, state: AppState) -> None:
    dialog.test_button.clicked.connect(lambda: run_test(dialog, state))


def run_test(dialog: ProviderDialog, state: AppState) -> Task | None:
    try:
        draft = dialog.build()
    except SwitchoverError as exc:
        show_error(dialog.test_result, exc)
        return None
    dialog.test_button.setEnabled(False)
    show_plain(dialog.test_result, "Testing…")
    options = CheckOptions(slow_ms=float(state.settings.slow_threshold_ms))

    typed = {draft.provider.name: draft.key} if draft.key else {}

    def work(_progress: Progress) -> list[HealthResult]:
        probes = build_probes(every_endpoint([draft.provider]), Tier.AUTH, KeySource(state.keychain), typed)
        return sweep(probes, Tier.AUTH, options)

    def done(results: list[HealthResult]) -> None:
        dialog.test_button.setEnabled(True)
        show_html(dialog.test_result, "<br>".join(status_html(r) for r in results) or "Nothing to check.")

    def failed(exc: BaseException) -> None:
        dialog.test_button.setEnabled(True)
        show_error(dialog.test_result, exc)

    task = state.tasks.run(work, on_success=done, on_failure=failed, label="test provider")
    dialog.test_task = task
    return task
