"""Untrusted strings never become shell code: `switchover env` and `env.sh` evaluated in real shells.

Issue 12, finding 1: a model id holding a newline (or a vertical tab, U+2028, a trailing backslash for fish)
made `eval "$(switchover env)"` run code. Here every hostile string of the corpus goes through the shell
encoder and through the real `env` command, from the CLI and from a planted store file, and the output is
evaluated by real bash, dash, zsh and fish: each value is either refused with a message naming the field, or
the shell variable holds exactly that value, and nothing runs.
"""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path

import pytest
import tomlkit

from switchover.cli.context import CliContext
from switchover.cli.main import run_cli
from switchover.core import shell_script, validation
from switchover.core.shell_script import KEY, EnvScript
from tests.reliability.hostile_strings import HOSTILE, UNUSUAL_BUT_VALID
from tests.reliability.shells import REAL_SHELLS, evaluate
from tests.support.cli import REPO_ROOT

SYNTAX = {"bash": "bash", "dash": "dash", "zsh": "zsh", "fish": "fish"}


def _cli(*args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_cli(list(args), CliContext(stdout=out, stderr=err, stdin=io.StringIO(stdin)))
    return code, out.getvalue(), err.getvalue()


def _write_store(home: Path, model: str, **extra: str) -> Path:
    store = home / ".config" / "switchover" / "switchover.toml"
    store.parent.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.document()
    doc["schema_version"] = 1
    provider = {"credential": "none", "models": [model], "endpoints": {
        "anthropic": "http://127.0.0.1:9", "openai-chat": "http://127.0.0.1:9/v1"}, **extra}
    doc["providers"] = {"evil": provider}
    store.write_text(tomlkit.dumps(doc), encoding="utf-8")
    return store


@pytest.mark.parametrize("shell", REAL_SHELLS)
def test_the_encoder_round_trips_every_hostile_string(shell: str, tmp_path: Path) -> None:
    """Below validation: whatever a value holds (newlines, quotes, backslashes), the shell reads it back."""
    values = [v for _, v in HOSTILE if "\0" not in v]
    scripts = [shell_script.render(EnvScript((("V", value),)), SYNTAX[shell]) for value in values]
    got = evaluate(shell, scripts, ["V"], tmp_path / shell)
    wrong = [(name, v) for (name, v), g in zip([h for h in HOSTILE if "\0" not in h[1]], got, strict=True)
             if g["V"] != v.encode()]
    assert not wrong, f"{shell} read back other values for {[n for n, _ in wrong]}"
    with pytest.raises(ValueError, match="NUL"):
        shell_script.render(EnvScript((("V", "a\0b"),)), SYNTAX[shell])


def test_the_reported_exploit_no_longer_runs(tmp_path: Path, isolated_home: Path) -> None:
    """The exact attack of the finding: refused at `provider add`, and refused from a hand-planted store."""
    code, _, err = _cli("provider", "add", "evil", "--anthropic-url", "http://127.0.0.1:9", "--openai-url",
                        "http://127.0.0.1:9/v1", "--no-key", "--model", "x;touch pwned;\n#")
    assert code == 1 and "model id" in err and "'x;touch pwned;\\n#'" in err
    assert not (isolated_home / ".config" / "switchover" / "switchover.toml").exists()

    store = _write_store(isolated_home, "x;touch pwned;\n#")
    code, out, err = _cli("env", "--provider", "evil")
    assert code == 1 and out == ""
    assert str(store) in err and "model id" in err and "line separator" in err


def _env_outputs(values: list[str], home: Path, shell: str) -> tuple[list[str], dict[str, str]]:
    """`switchover env` for each value planted as the store's model, and given as `--model`."""
    accepted: list[str] = []
    refused: dict[str, str] = {}
    for value in values:
        _write_store(home, value)
        code, out, err = _cli("env", "--provider", "evil", "--shell", SYNTAX[shell])
        flag_code, flag_out, flag_err = _cli("env", "--provider", "evil", f"--model={value}", "--shell",
                                             SYNTAX[shell]) if code == 0 else (code, out, err)
        if validation.model_id_problem(value) is None:
            assert code == 0 and flag_code == 0, (value, err, flag_err)
            assert out == flag_out
            accepted.append(out)
        else:
            assert code == 1 and out == "", (value, out)
            assert "model id" in err and "left untouched" in err, err
            refused[value] = err
    return accepted, refused


@pytest.mark.parametrize("shell", REAL_SHELLS)
def test_env_output_of_every_hostile_model_evaluates_to_the_literal_value(
    shell: str, tmp_path: Path, isolated_home: Path
) -> None:
    values = [v for _, v in HOSTILE] + list(UNUSUAL_BUT_VALID)
    accepted, refused = _env_outputs(values, isolated_home, shell)
    expected = [v for v in values if validation.model_id_problem(v) is None]
    assert len(accepted) == len(expected) and len(refused) == len(set(values) - set(expected))
    assert set(UNUSUAL_BUT_VALID) <= set(expected)
    got = evaluate(shell, accepted, ["ANTHROPIC_MODEL", "OPENAI_MODEL", "OPENAI_BASE_URL"], tmp_path / shell)
    for value, seen in zip(expected, got, strict=True):
        assert seen["ANTHROPIC_MODEL"] == value.encode() and seen["OPENAI_MODEL"] == value.encode(), value
        assert seen["OPENAI_BASE_URL"] == b"http://127.0.0.1:9/v1"


@pytest.mark.parametrize("shell", REAL_SHELLS)
def test_env_fetches_the_key_at_run_time_and_leaves_no_helper_variable(
    shell: str, tmp_path: Path, isolated_home: Path
) -> None:
    key = "sk-fake-SHELL-KEY-0123456789abcdef"
    code, _, err = _cli("provider", "add", "keyed", "--openai-url", "http://127.0.0.1:9/v1", "--model",
                        "it's-a\\model", "--key-stdin", stdin=key + "\n")
    assert code == 0, err
    code, out, err = _cli("env", "--provider", "keyed", "--shell", SYNTAX[shell])
    assert code == 0 and key not in out, err
    env = {name: os.environ[name] for name in ("PYTHON_KEYRING_BACKEND", "SWITCHOVER_TEST_KEYRING",
                                               "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")}
    env["PYTHONPATH"] = REPO_ROOT
    env["PATH"] = f"{Path(sys.executable).parent}:/usr/bin:/bin"
    [seen] = evaluate(shell, [out], ["OPENAI_API_KEY", "SWITCHOVER_KEYED_API_KEY", "OPENAI_MODEL",
                                     shell_script.KEY_VARIABLE], tmp_path / shell, env)
    assert seen["OPENAI_API_KEY"] == key.encode() and seen["SWITCHOVER_KEYED_API_KEY"] == key.encode()
    assert seen["OPENAI_MODEL"] == b"it's-a\\model"
    assert seen[shell_script.KEY_VARIABLE] is None


def test_key_command_paths_with_spaces_and_quotes_are_quoted_per_shell(tmp_path: Path) -> None:
    """The key command's own argv (an interpreter under a home with odd characters) is quoted too."""
    odd = tmp_path / "my 'odd' \\ dir"
    odd.mkdir()
    helper = odd / "print-key"
    helper.write_text("#!/bin/sh\nprintf '%s\\n' \"$1\"\n")
    helper.chmod(0o755)
    script = EnvScript((("K", KEY),), key_command=(str(helper), "a b'c"))
    for shell in REAL_SHELLS:
        [seen] = evaluate(shell, [shell_script.render(script, SYNTAX[shell])], ["K"], tmp_path / shell)
        assert seen["K"] == b"a b'c", shell


def test_env_sh_written_by_a_switch_is_read_back_and_sourced_literally(tmp_path: Path, isolated_home: Path) -> None:
    """The shell-env target: `use` writes env.sh, `tools` reads it back, every real shell sources it."""
    model = "it's;a\\\"model\"#x"
    code, _, err = _cli("provider", "add", "odd", "--anthropic-url", "http://127.0.0.1:9", "--no-key",
                        "--model", model)
    assert code == 0, err
    code, out, err = _cli("use", "odd", "--tool", "shell-env", "--json")
    assert json.loads(out)["tools"][0]["status"] == "switched", err
    env_sh = isolated_home / ".config" / "switchover" / "env.sh"
    code, out, err = _cli("tools", "--json")
    [row] = [r for r in json.loads(out) if r["tool"] == "shell-env"]
    assert row["current"]["model"] == model and row["error"] is None
    for shell in ("bash", "dash", "zsh"):
        [seen] = evaluate(shell, [env_sh.read_text()], ["ANTHROPIC_MODEL"], tmp_path / shell)
        assert seen["ANTHROPIC_MODEL"] == model.encode()


@pytest.mark.parametrize("url", ["http://127.0.0.1:9/v1 x", "http://127.0.0.1:9/v1\t",
                                 "http://127.0.0.1:9/\nexport X=1", "http://127.0.0.1:9/{file:/etc/passwd}",
                                 "http://127.0.0.1:9/$(id)"])
def test_urls_with_whitespace_or_expansions_are_refused_at_the_cli_and_in_the_store(
    url: str, isolated_home: Path
) -> None:
    """Finding 9: such URLs were stored raw and broke `env` (and every tool config they went into)."""
    code, _, err = _cli("provider", "add", "u", "--openai-url", url, "--no-key", "--model", "m")
    assert code == 1 and "Invalid openai-chat URL" in err and "\n" not in err.strip(), err
    assert not (isolated_home / ".config" / "switchover" / "switchover.toml").exists()
    store = _write_store(isolated_home, "m")
    text = store.read_text().replace('"http://127.0.0.1:9/v1"', json.dumps(url))
    store.write_text(text)
    code, out, err = _cli("env", "--provider", "evil")
    assert code == 1 and out == "" and "openai-chat URL" in err and str(store) in err, err
