"""The mode of tools without their own is one rule in the settings model, whoever sets it."""

from __future__ import annotations

from typing import Any

from switchover.core.failover.settings import FailoverSettings, Mode, load_settings, save_settings
from switchover.core.store import edit_store, load_store


def test_setting_the_default_mode_drops_a_default_entry_that_would_win() -> None:
    settings = FailoverSettings(default_mode=Mode.SUGGEST, modes={"default": Mode.OFF, "codex": Mode.AUTO})
    assert settings.mode_of_other_tools is Mode.OFF
    changed = settings.with_default_mode(Mode.AUTO)
    assert changed.mode_of_other_tools is Mode.AUTO and changed.mode_for("claude-code") is Mode.AUTO
    assert changed.modes == {"codex": Mode.AUTO}  # per-tool modes stay


def test_cli_chain_mode_default_takes_effect_like_the_apps_setting(cli: Any) -> None:
    """Issue 16: the rule lived in the UI (`ui/settings.py`) and the CLI path skipped it, so a `modes.default`
    entry kept winning over `switchover chain mode default …`."""
    with edit_store() as store:
        save_settings(store, FailoverSettings(modes={"default": Mode.OFF}))
    result = cli(["chain", "mode", "default", "auto"])
    assert result.returncode == 0, result.stderr
    settings = load_settings(load_store())
    assert settings.mode_for("claude-code") is Mode.AUTO
    assert "default" not in settings.modes
