"""The proof for issue 4: `switchover use` re-points the REAL coding CLIs, and `switchover undo` puts back
the user's files byte for byte (marker `realtools`).

For each tool, in an isolated HOME holding realistic existing configs (comments, hooks, MCP servers, a
provider of the user's own), two providers point at two stand-in servers with different keys. The whole
flow goes through the real `switchover` CLI in subprocesses and the real tool binaries:

    provider add alpha/bravo (keys into the test keyring) -> use alpha/model-a -> tool turn served by
    alpha with model-a and alpha's key -> use bravo/model-b -> turn served by bravo -> undo -> the files are
    exactly those alpha's turn ran with -> undo -> the tool's files are exactly the originals.

Tools that read keys only from the environment (OpenCode, Qwen Code) get `SWITCHOVER_<NAME>_API_KEY`
exported from `switchover key NAME`, as the engine's note tells the user to do.

Two drivers run the same flow: `cli` (the real `switchover use`/`undo` commands: the full proof) and `engine`
(`SwitchEngine` with the real targets in-process, `switchover key NAME` as the key command). The engine
variant stands in only while the CLI lacks `use`/`undo`; once they exist it is skipped as redundant.
"""

from __future__ import annotations

import functools
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from tests.e2e.conftest import assert_turn_served, run_tool, tools_installed
from tests.e2e.standin import StandinProvider
from tests.support.cli import run_switchover

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]


@functools.cache
def missing_cli_commands() -> tuple[str, ...]:
    """`use`/`undo` as listed by `switchover --help` (the CLI lands in parallel with these tests)."""
    listing = run_switchover(["--help"]).stdout.split()
    return tuple(command for command in ("use", "undo") if command not in listing)


# ----------------------------------------------------------------------------- realistic existing configs

CLAUDE_SETTINGS = """{
  "$schema": "https://json.schemastore.org/claude-code-settings.json",
  "model": "sonnet",
  "permissions": {
    "allow": ["Bash(npm run lint)", "Read(~/.zshrc)"],
    "deny": ["Read(./.env)"]
  },
  "hooks": {
    "PostToolUse": [
      {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "echo my-hook-marker >/dev/null"}]}
    ]
  },
  "env": {
    "BASH_DEFAULT_TIMEOUT_MS": "60000",
    "ANTHROPIC_SMALL_FAST_MODEL": "claude-haiku-old"
  },
  "statusLine": {"type": "command", "command": "echo status"}
}
"""

CODEX_CONFIG = """# my codex config: keep this comment
approval_policy = "on-request"
sandbox_mode = "workspace-write"   # inline comment too

[model_providers.ollama-box]
name = "Ollama on the box"
base_url = "http://127.0.0.1:9/v1"
wire_api = "responses"

[mcp_servers.docs]
command = "true"
args = ["my-hook-marker"]

[projects."/home/me/src/app"]
trust_level = "trusted"
"""

GEMINI_SETTINGS = """{
  // my gemini settings: keep this comment
  "ui": {"theme": "GitHub"},
  "general": {"vimMode": true},
  "mcpServers": {
    "docs": {"command": "true", "args": ["my-hook-marker"]}
  },
  "security": {"auth": {"selectedType": "oauth-personal"}},
  "model": {"name": "gemini-2.5-pro"}
}
"""

GEMINI_DOTENV = """# my gemini env: keep this comment
GOOGLE_CLOUD_PROJECT=my-project-marker
"""

OPENCODE_CONFIG = """{
  "$schema": "https://opencode.ai/config.json",
  // my opencode config: keep this comment (my-hook-marker)
  "theme": "tokyonight",
  "model": "anthropic/claude-sonnet-4-5",
  "mcp": {
    "docs": {"type": "local", "command": ["true"], "enabled": false}
  },
  "provider": {
    "ollama-box": {
      "npm": "@ai-sdk/openai-compatible",
      "options": {"baseURL": "http://127.0.0.1:9/v1"},
      "models": {"qwen3-coder": {}},
    },
  },
}
"""

QWEN_SETTINGS = """{
  // my qwen settings: keep this comment
  "$version": 4,
  "ui": {"theme": "Default"},
  "mcpServers": {
    "docs": {"command": "true", "args": ["my-hook-marker"]}
  },
  "modelProviders": {
    "openai": [
      {"id": "qwen3-coder-plus", "name": "My DashScope", "baseUrl": "http://127.0.0.1:9/v1",
       "envKey": "MY_DASHSCOPE_KEY"}
    ]
  },
  "security": {"auth": {"selectedType": "openai"}},
  "model": {"name": "qwen3-coder-plus"}
}
"""


@dataclass(frozen=True)
class ToolCase:
    name: str
    tool: str
    # file (relative to HOME) -> original bytes, or None when the file must not exist before (and after)
    files: dict[str, str | None]
    path_suffix: str  # path the completion request must hit; {model} is replaced
    needs_key_env: bool = False  # reads the key from SWITCHOVER_<NAME>_API_KEY
    known_issue: str | None = None  # a real failure not fixed yet: strict xfail, so a fix makes it fail


OPUS_ISSUE = (
    "Claude Code 2.1.332 re-serialises settings.json (\"model\": \"opus\" becomes \"opus[1m]\") when "
    "env.ANTHROPIC_DEFAULT_OPUS_MODEL names a model it does not know, which the claude-code target writes; "
    "undo then refuses (file changed after the switch). See docs/real-tools.md, Claude Code."
)

CASES = {
    case.name: case
    for case in (
        ToolCase("claude-code", "claude-code", {".claude/settings.json": CLAUDE_SETTINGS}, "/v1/messages"),
        ToolCase("claude-code-model-opus", "claude-code",
                 {".claude/settings.json": CLAUDE_SETTINGS.replace('"model": "sonnet"', '"model": "opus"')},
                 "/v1/messages", known_issue=OPUS_ISSUE),
        ToolCase("codex", "codex", {".codex/config.toml": CODEX_CONFIG}, "/v1/responses"),
        ToolCase(
            "gemini-cli", "gemini-cli",
            {".gemini/settings.json": GEMINI_SETTINGS, ".gemini/.env": GEMINI_DOTENV},
            "/v1beta/models/{model}:streamGenerateContent",
        ),
        ToolCase("opencode", "opencode", {".config/opencode/opencode.json": OPENCODE_CONFIG},
                 "/v1/chat/completions", needs_key_env=True),
        ToolCase("qwen-code", "qwen-code", {".qwen/settings.json": QWEN_SETTINGS, ".qwen/.env": None},
                 "/v1/chat/completions", needs_key_env=True),
    )
}


def switchover(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    result = run_switchover(list(args), input=stdin, timeout=60)
    assert result.returncode == 0, f"switchover {' '.join(args)} exited {result.returncode}\n" \
                                   f"{result.stdout}\n{result.stderr}"
    return result


class Driver(Protocol):
    def use(self, spec: str, tool: str) -> None: ...

    def undo(self) -> None: ...


class CliDriver:
    """The real thing: `switchover use PROVIDER/MODEL --tool T` and `switchover undo` in subprocesses."""

    def use(self, spec: str, tool: str) -> None:
        switchover("use", spec, "--tool", tool)

    def undo(self) -> None:
        switchover("undo")


class EngineDriver:
    """`SwitchEngine` + the real targets in-process, with the same key command the CLI gives the tools."""

    def use(self, spec: str, tool: str) -> None:
        from switchover.core.secrets import resolve_key
        from switchover.core.store import load_store
        from switchover.core.switching import SwitchEngine
        from switchover.targets.base import SwitchRequest, ToolEnv
        from switchover.targets.registry import all_targets

        name, model = spec.split("/", 1)
        provider = load_store().providers[name]
        request = SwitchRequest(provider, model, provider.small_model,
                                (sys.executable, "-m", "switchover", "key", name), lambda: resolve_key(provider))
        result = SwitchEngine(all_targets(), ToolEnv.current()).use(request, [tool])
        assert result.ok, result.outcomes

    def undo(self) -> None:
        from switchover.core.switching import SwitchEngine
        from switchover.targets.base import ToolEnv
        from switchover.targets.registry import all_targets

        SwitchEngine(all_targets(), ToolEnv.current()).undo()


@pytest.fixture(params=["cli", "engine"])
def driver(request: pytest.FixtureRequest) -> Driver:
    missing = missing_cli_commands()
    if request.param == "cli" and missing:
        pytest.skip(f"switching CLI not in this tree yet: `switchover {'/'.join(missing)}` missing from "
                    "`switchover --help` (the engine variant runs instead)")
    if request.param == "engine" and not missing:
        pytest.skip("the cli variant drives the same engine end to end")
    return CliDriver() if request.param == "cli" else EngineDriver()


def add_provider(name: str, standin: StandinProvider, model: str) -> None:
    key = standin.state.key
    assert key is not None
    switchover(
        "provider", "add", name,
        "--anthropic-url", standin.url,
        "--openai-url", f"{standin.url}/v1",
        "--responses-url", f"{standin.url}/v1",
        "--gemini-url", standin.url,
        "--model", model,
        "--key-stdin",
        stdin=key + "\n",
    )


def key_env(*names: str) -> dict[str, str]:
    """`export SWITCHOVER_<NAME>_API_KEY="$(switchover key NAME)"`, as the engine tells the user."""
    return {f"SWITCHOVER_{name.upper()}_API_KEY": switchover("key", name).stdout.strip() for name in names}


def snapshot(home: Path, case: ToolCase) -> dict[str, bytes | None]:
    return {rel: (home / rel).read_bytes() if (home / rel).exists() else None for rel in case.files}


@pytest.mark.parametrize("case_name", sorted(CASES))
def test_use_switches_real_tool_between_providers_and_undo_restores_files(
    case_name: str, driver: Driver, isolated_home: Path, workdir: Path, standin_a: StandinProvider,
    standin_b: StandinProvider, request: pytest.FixtureRequest
) -> None:
    case = CASES[case_name]
    tool = case.tool
    if case.known_issue:
        request.applymarker(pytest.mark.xfail(reason=case.known_issue, strict=True))
    for rel, text in case.files.items():
        if text is not None:
            (isolated_home / rel).parent.mkdir(parents=True, exist_ok=True)
            (isolated_home / rel).write_text(text)
    original = snapshot(isolated_home, case)
    add_provider("alpha", standin_a, "model-a")
    add_provider("bravo", standin_b, "model-b")
    extra_env = key_env("alpha", "bravo") if case.needs_key_env else {}
    key_a, key_b = standin_a.state.key, standin_b.state.key
    assert key_a is not None and key_b is not None

    def turn_served_by(standin: StandinProvider, other: StandinProvider, model: str, key: str) -> None:
        standin.clear()
        other.clear()
        run = run_tool(tool, workdir, extra_env)
        assert_turn_served(run, standin, model, key, case.path_suffix.format(model=model))
        assert other.requests == [], f"{other.name} was contacted too: {other.requests}"
        assert other.reply not in run.stdout
        for rel, text in case.files.items():  # the user's own settings survive the switch
            if text is not None and "marker" in text:
                assert "marker" in (isolated_home / rel).read_text(), f"{rel} lost the user's content"

    driver.use("alpha/model-a", tool)
    turn_served_by(standin_a, standin_b, "model-a", key_a)
    for rel in case.files:  # no plaintext key in the tool's files unless the tool can take nothing else
        path = isolated_home / rel
        if path.exists() and tool not in ("gemini-cli",):
            assert key_a not in path.read_text(), f"{rel} holds the key in plaintext"

    pointed_at_a = snapshot(isolated_home, case)  # what alpha's proven turn ran with
    driver.use("bravo/model-b", tool)
    turn_served_by(standin_b, standin_a, "model-b", key_b)

    driver.undo()  # back to alpha: the exact files alpha's turn was served with (no need to run it again)
    assert snapshot(isolated_home, case) == pointed_at_a

    driver.undo()
    assert snapshot(isolated_home, case) == original
