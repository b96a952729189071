"""The CLI says what to do (issue 14, finding 10), run for real in subprocesses.

Bare `switchover` without a display explains itself (exit 1, no Qt abort); `provider add` for a provider
that needs a key asks on a terminal and fails clearly elsewhere; `chain set` without a model uses the
provider's default and says so; typos get a suggestion; every command's `--help` has a description and an
example.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from typing import Any

import pytest
from tests.support.cli import REPO_ROOT

from switchover.cli.help import commands
from switchover.cli.main import build_parser
from switchover.main import display_problem

FAKE_KEY = "sk-fake-DEEPSEEK-0123456789abcdef"


def no_display_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    return env


def test_bare_switchover_without_a_display_says_so_and_points_at_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "switchover"], env=no_display_env(), capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "no graphical display" in result.stderr
    assert "switchover status" in result.stderr and "--help" in result.stderr
    assert "xcb" not in result.stderr.lower() and "abort" not in result.stderr.lower()


def test_display_rules() -> None:
    loads = {"libxcb-cursor.so.0": True}.get
    assert display_problem({}, "linux", lambda lib: bool(loads(lib))) is not None
    assert display_problem({"DISPLAY": ":0"}, "linux", lambda lib: bool(loads(lib))) is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux", lambda _lib: False) is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux", lambda _lib: False) is None
    assert display_problem({}, "darwin", lambda _lib: False) is None
    missing = display_problem({"DISPLAY": ":0"}, "linux", lambda _lib: False)
    assert missing is not None and "libxcb-cursor0" in missing  # what Qt would abort on (exit 134)


def test_provider_add_without_key_flag_off_a_terminal_fails_clearly_and_saves_nothing(cli: Any) -> None:
    result = cli(["provider", "add", "deepseek", "--preset", "deepseek"])
    assert result.returncode == 1
    assert "needs a key" in result.stderr and "--key-stdin" in result.stderr and "--key-env" in result.stderr
    assert json.loads(cli(["provider", "list", "--json"]).stdout) == []


def _run_on_terminal(args: list[str], answer: str, timeout: float = 60) -> tuple[int, str]:
    """Run the CLI with a pseudo-terminal as stdin/stdout/stderr; type `answer` once it prompts."""
    master, slave = pty.openpty()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    process = subprocess.Popen([sys.executable, "-m", "switchover", *args], stdin=slave, stdout=slave,
                               stderr=slave, env=env, start_new_session=True)  # no controlling tty of ours
    os.close(slave)
    output = b""
    answered = False
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if not answered and b"API key for" in output:
                os.write(master, answer.encode() + b"\n")
                answered = True
            if process.poll() is not None and not ready:
                break
        return process.wait(timeout=10), output.decode(errors="replace")
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)


def test_provider_add_without_key_flag_on_a_terminal_asks_hidden_and_stores_in_keychain(cli: Any) -> None:
    code, output = _run_on_terminal(["provider", "add", "deepseek", "--preset", "deepseek"], FAKE_KEY)
    assert code == 0, output
    assert "API key for DeepSeek" in output and "hidden" in output
    assert FAKE_KEY not in output  # not echoed
    assert cli(["key", "deepseek"]).stdout.strip() == FAKE_KEY
    shown = json.loads(cli(["provider", "show", "deepseek", "--json"]).stdout)
    assert shown["credential"] == "keychain" and shown["key"] == "stored"


def test_chain_set_without_model_uses_the_default_and_says_so(cli: Any) -> None:
    assert cli(["provider", "add", "laptop", "--ollama-url", "http://127.0.0.1:11434", "--model", "qwen3-coder",
                "--model", "llama3.3", "--no-key"]).returncode == 0
    assert cli(["provider", "add", "bare", "--openai-url", "http://127.0.0.1:8080/v1", "--no-key"]).returncode == 0
    result = cli(["chain", "set", "default", "laptop"])
    assert result.returncode == 0, result.stderr
    assert "no model given, so its default model qwen3-coder is used" in result.stdout
    shown = json.loads(cli(["chain", "show", "--json"]).stdout)
    assert shown["chains"]["default"] == ["laptop/qwen3-coder"], shown
    refused = cli(["chain", "set", "default", "bare"])
    assert refused.returncode == 1 and "bare/MODEL" in refused.stderr


@pytest.mark.parametrize(("argv", "suggestion"), [
    (["stauts"], "Did you mean 'status'?"),
    (["provider", "lst"], "Did you mean 'list'?"),
    (["use", "deepsek/deepseek-chat", "--dry-run"], "Did you mean 'deepseek'?"),
    (["use", "deepseek/deepseek-chat", "--tool", "claude", "--dry-run"], "Did you mean 'claude-code'?"),
    (["chain", "set", "cluade-code", "deepseek/deepseek-chat"], "Did you mean 'claude-code'?"),
    (["chain", "set", "default", "deepsek/deepseek-chat"], "Did you mean 'deepseek'?"),
])
def test_typos_get_a_suggestion(cli: Any, argv: list[str], suggestion: str) -> None:
    added = cli(["provider", "add", "deepseek", "--preset", "deepseek", "--key-stdin"], input=FAKE_KEY + "\n")
    assert added.returncode == 0, added.stderr
    result = cli(argv)
    assert result.returncode != 0
    assert suggestion in result.stderr, result.stderr


def test_every_command_help_has_a_description_and_an_example() -> None:
    missing = []
    for path, parser, _summary in commands(build_parser()):
        text = parser.format_help()
        if not parser.description or len(parser.description.split()) < 3:
            missing.append(f"{path}: no description")
        if "Example" not in text or "switchover " not in (parser.epilog or ""):
            missing.append(f"{path}: no example")
    assert not missing, "\n".join(missing)


def test_help_pages_in_a_subprocess(cli: Any) -> None:
    for argv in (["provider", "add", "--help"], ["use", "--help"], ["chain", "set", "--help"]):
        result = cli(argv)
        assert result.returncode == 0
        assert "Example" in result.stdout and "switchover " + argv[0] in result.stdout.split("Example", 1)[1]
