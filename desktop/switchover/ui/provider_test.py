"""The provider dialog's checks: "Test", and the same check when Save is pressed (issue 14, finding 2).

An auth-tier check of the provider as entered, in the background: the key typed in the dialog, or (when
editing and left blank) the stored one; nothing is saved by the check. On Save, a rejected key (wrong key,
no permission) stops the dialog and says so ("Save anyway" keeps it); a provider that is down for another
reason (blocked in your region, unreachable) is saved, and the page says what the check found.
"""

from __future__ import annotations

from collections.abc import Callable

from switchover.core.errors import SwitchoverError
from switchover.core.health.results import HealthResult, Tier
from switchover.core.health.runner import CheckOptions
from switchover.services.keys import KeySource
from switchover.services.probes import build_probes, every_endpoint, sweep
from switchover.ui.health_format import status_html
from switchover.ui.provider_dialog import ProviderDialog, ProviderDraft
from switchover.ui.safe_text import show_error, show_html, show_plain
from switchover.ui.state import AppState
from switchover.ui.taskman import Progress, Task


def attach_test_button(dialog: ProviderDialog, state: AppState) -> None:
    dialog.test_button.clicked.connect(lambda: run_test(dialog, state))
    dialog.save_check = lambda draft, done: check_draft(state, draft, done, dialog.check_failed)


def check_draft(state: AppState, draft: ProviderDraft, done: Callable[[list[HealthResult]], None],
                failed: Callable[[BaseException], None]) -> Task:
    """The auth-tier check of a provider as entered (worker); `done` gets its results on the UI thread."""
    options = CheckOptions(slow_ms=float(state.settings.slow_threshold_ms))
    typed = {draft.provider.name: draft.key} if draft.key else {}

    def work(_progress: Progress) -> list[HealthResult]:
        probes = build_probes(every_endpoint([draft.provider]), Tier.AUTH, KeySource(state.keychain), typed)
        return sweep(probes, Tier.AUTH, options)

    return state.tasks.run(work, on_success=done, on_failure=failed, label="check provider before saving")


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
