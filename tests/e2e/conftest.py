"""Fixtures for the real-CLI tests: the installed tools, stand-in providers, and a bounded tool runner.

The autouse fixture in tests/conftest.py already isolates HOME, XDG dirs and the keyring; here we add the
environment the real tools need to stay offline and quick, and a runner with a hard timeout that kills the
tool's whole process group.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.standin import RecordedRequest, StandinProvider
from tests.support.cli import REPO_ROOT

E2E_DIR = Path(__file__).resolve().parent
TOOLS_BIN = E2E_DIR / "node_modules" / ".bin"
AIDER_BIN = E2E_DIR / "aider-venv" / "bin" / "aider"  # PyPI, its own venv (scripts/install-real-tools)
TOOL_TIMEOUT = 120.0

# One non-interactive turn per tool (see docs/real-tools.md for why each flag is there).
TURN_COMMANDS: dict[str, list[str]] = {
    "claude-code": ["claude", "-p", "hi"],
    "codex": ["codex", "exec", "--skip-git-repo-check", "hi"],
    "gemini-cli": ["gemini", "--skip-trust", "-p", "hi"],
    "opencode": ["opencode", "run", "hi"],
    "qwen-code": ["qwen", "-p", "hi"],
    "continue": ["cn", "-p", "hi"],
    # Without --no-show-release-notes the first run opens the release notes; --no-git: the project is no repo.
    "aider": [str(AIDER_BIN), "--message", "hi", "--yes-always", "--no-git", "--no-show-model-warnings",
              "--no-check-update", "--no-analytics", "--no-show-release-notes", "--no-pretty", "--no-stream"],
    "cline": ["cline", "say hi"],  # a one-word prompt is taken for an unknown subcommand
    "kilo-code": ["kilo", "run", "hi"],
    "factory-droid": ["droid", "exec", "hi"],
    "copilot": ["copilot", "-p", "hi", "-s", "--allow-all-tools"],
}

# Variables a developer's shell may carry that would steer a tool away from the config under test.
_FOREIGN_PREFIXES = ("ANTHROPIC_", "OPENAI_", "GEMINI_", "GOOGLE_", "CLAUDE_", "CODEX_", "OPENCODE",
                     "QWEN_", "DASHSCOPE_", "DEEPSEEK_", "OPENROUTER_", "AIDER_", "CONTINUE_", "CLINE_", "KILO_",
                     "FACTORY_", "COPILOT_", "GH_", "GITHUB_")
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")

# Keep every tool offline and bounded: no telemetry, update checks, model catalogue fetches or downloads.
_OFFLINE_ENV = {
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
    "DISABLE_AUTOUPDATER": "1",
    "DISABLE_TELEMETRY": "1",
    "DISABLE_ERROR_REPORTING": "1",
    "OPENCODE_DISABLE_AUTOUPDATE": "1",
    "OPENCODE_DISABLE_MODELS_FETCH": "1",
    "OPENCODE_DISABLE_SHARE": "1",
    "OPENCODE_DISABLE_LSP_DOWNLOAD": "1",
    "OPENCODE_DISABLE_DEFAULT_PLUGINS": "1",
    "npm_config_offline": "true",  # OpenCode asks the npm registry for plugin packages at start otherwise
    "GEMINI_TELEMETRY_ENABLED": "false",
    "NO_PROXY": "127.0.0.1,localhost",
    "no_proxy": "127.0.0.1,localhost",
    "NO_COLOR": "1",
    "CI": "true",  # CI sets it anyway: run the same way locally
    "CLINE_SESSION_BACKEND_MODE": "local",  # else Cline leaves a detached "hub" daemon running after the turn
    "KILO_DISABLE_MODELS_FETCH": "1",
    "KILO_DISABLE_SHARE": "1",
    "KILO_DISABLE_DEFAULT_PLUGINS": "1",
    # Droid refuses to start without a Factory login even for custom models; the key is only checked by
    # Factory's servers (unreachable here), never sent to the model provider.
    "FACTORY_API_KEY": "fk-switchover-e2e-not-a-login",
    "COPILOT_OFFLINE": "true",  # Copilot CLI: no GitHub sign-in, telemetry or updates (needs a BYOK provider)
    "COPILOT_AUTO_UPDATE": "false",
    # Copilot unpacks ~235 MB on its first start per cache dir: share one unpacked copy across test homes.
    "COPILOT_PKG_CACHE_HOME": str(E2E_DIR / "node_modules" / ".copilot-pkg-cache"),
}


def tool_binary(tool: str) -> Path:
    name = TURN_COMMANDS[tool][0]
    return Path(name) if Path(name).is_absolute() else TOOLS_BIN / name


def tools_installed(*tools: str) -> bool:
    """Every pinned CLI is installed (or just `tools`, for tests that run only those)."""
    return all(tool_binary(tool).exists() for tool in (tools or TURN_COMMANDS))


@dataclass(frozen=True)
class ToolRun:
    tool: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def explain(self) -> str:
        return (f"{self.tool} exited {self.returncode} after {self.seconds:.1f}s\n"
                f"--- stdout ---\n{self.stdout[-4000:]}\n--- stderr ---\n{self.stderr[-4000:]}")


def assert_turn_served(run: ToolRun, standin: StandinProvider, model: str, key: str,
                       path_suffix: str) -> list[RecordedRequest]:
    """The tool exited 0, printed this stand-in's reply, and every completion request it sent here used
    `model` and presented exactly `key`."""
    assert run.returncode == 0, run.explain()
    assert standin.reply in run.stdout, run.explain()
    served = standin.model_requests()
    assert served, f"no completion request reached {standin.name}: {standin.requests}\n{run.explain()}"
    for request in served:
        assert request.path.endswith(path_suffix), request
        assert request.model == model, request
        assert request.presented_keys == {key}, (request.presented_keys, request.path)
    return served


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The (already isolated) test environment, cleaned of tool settings, plus the offline switches."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(_FOREIGN_PREFIXES) and k not in _PROXY_VARS}
    env.update(_OFFLINE_ENV)
    # The CLIs first, then this interpreter's bin dir (where an installed `switchover` lives), then the rest.
    env["PATH"] = os.pathsep.join([str(TOOLS_BIN), str(Path(sys.executable).parent), env.get("PATH", "/usr/bin:/bin")])
    # Key commands written by Switchover (`switchover key NAME`) run inside the tool: they need our
    # package and the test keyring backend (tests.support.file_keyring) importable.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def run_tool(tool: str, cwd: Path, extra_env: dict[str, str] | None = None,
             timeout: float = TOOL_TIMEOUT, command: list[str] | None = None) -> ToolRun:
    """One turn of the real tool (`command`, default its plain one-turn command), killed with its whole
    process group if it outlives `timeout`."""
    return run_command(tool, command or TURN_COMMANDS[tool], cwd, extra_env, timeout)


def run_command(tool: str, command: list[str], cwd: Path, extra_env: dict[str, str] | None = None,
                timeout: float = TOOL_TIMEOUT) -> ToolRun:
    """`command` in the tools' environment, killed with its whole process group if it outlives `timeout`."""
    started = time.monotonic()
    with subprocess.Popen(command, cwd=cwd, env=tool_env(extra_env), stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process.pid)
            stdout, stderr = process.communicate()
            pytest.fail(f"{tool} did not finish within {timeout:.0f}s\n--- stdout ---\n{stdout[-4000:]}"
                        f"\n--- stderr ---\n{stderr[-4000:]}")
        finally:
            _kill_group(process.pid)  # helpers a tool left behind (its own session only)
    return ToolRun(tool, process.returncode, stdout, stderr, time.monotonic() - started)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


@pytest.fixture
def workdir(isolated_home: Path) -> Path:
    """An empty project folder inside the isolated home, where the tool is started."""
    path = isolated_home / "project"
    path.mkdir()
    return path


@pytest.fixture
def standin_a() -> Iterator[StandinProvider]:
    with StandinProvider("alpha", key="sk-alpha-0000000000001111", models=("model-a",)) as standin:
        yield standin


@pytest.fixture
def standin_b() -> Iterator[StandinProvider]:
    with StandinProvider("bravo", key="sk-bravo-0000000000002222", models=("model-b",)) as standin:
        yield standin
