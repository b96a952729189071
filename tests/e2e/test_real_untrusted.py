"""Issue 12 with the real tools: after `switchover use` to an unusual-but-valid model id (quotes, backslash,
shell and URL metacharacters, non-ASCII), the real OpenCode, Gemini CLI and Qwen Code send exactly that id to
the stand-in provider, and expand nothing in it; ids they would expand (`{file:…}`, `{env:…}`, `${VAR}`) are
refused before any file is written (marker `realtools`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from switchover.core import validation
from tests.e2e.conftest import run_tool, tools_installed
from tests.e2e.standin import StandinProvider
from tests.support.cli import run_switchover

pytestmark = [
    pytest.mark.realtools,
    pytest.mark.slow,
    pytest.mark.skipif(not tools_installed(),
                       reason="real CLIs not installed: run scripts/install-real-tools (npm, ~45 s, 1.4 GB)"),
]

# Sent in a JSON body: anything printable but spaces and { } $ ` (OpenCode itself fails on '#').
BODY_ID = "org/we!rd-Mödel_v2.5:q4@tag+x~y'(1)*,=;#%?&|<>\"\\end"
OPENCODE_ID = BODY_ID.replace("#", "")
# Gemini puts the model in the URL path (models/ID:streamGenerateContent): none of / ? & # % \ .. there
# (Switchover's Gemini target refuses them); quotes, non-ASCII and the rest are percent-encoded by the tool.
PATH_ID = "we!rd-Mödel_v2.5@tag+x~y'(1)*,=;\"|<>"
CASES = {
    "opencode": (OPENCODE_ID, "/v1/chat/completions", True),
    "qwen-code": (BODY_ID, "/v1/chat/completions", True),
    "gemini-cli": (PATH_ID, ":streamGenerateContent", False),
}


def switchover(*args: str, stdin: str | None = None, code: int = 0) -> subprocess.CompletedProcess[str]:
    result = run_switchover(list(args), input=stdin, timeout=60)
    assert result.returncode == code, f"switchover {' '.join(args)}: {result.returncode}\n{result.stdout}\n" \
                                      f"{result.stderr}"
    return result


@pytest.mark.parametrize("tool", sorted(CASES))
def test_a_real_tool_sends_an_unusual_model_id_literally(
    tool: str, isolated_home: Path, workdir: Path, standin_a: StandinProvider
) -> None:
    model, path_suffix, needs_key_env = CASES[tool]
    assert validation.model_id_problem(model) is None
    standin_a.state.models = (model,)
    key = standin_a.state.key
    assert key is not None
    switchover("provider", "add", "alpha", "--openai-url", f"{standin_a.url}/v1", "--gemini-url", standin_a.url,
               "--model", model, "--key-stdin", stdin=key + "\n")
    switchover("use", f"alpha/{model}", "--tool", tool)
    extra = {"SWITCHOVER_ALPHA_API_KEY": key} if needs_key_env else {}
    standin_a.clear()
    run = run_tool(tool, workdir, extra)
    assert run.returncode == 0, run.explain()
    assert standin_a.reply in run.stdout, run.explain()
    served = standin_a.model_requests()
    assert served, run.explain()
    for request in served:
        assert request.path.endswith(path_suffix), request.path
        sent = request.model if path_suffix.startswith("/v1/") else unquote(request.model or "")  # URL path
        assert sent == model, (request.model, model)
        assert request.presented_keys == {key}


@pytest.mark.parametrize(("tool", "model"), [
    ("opencode", "{file:~/.ssh/id_rsa}"),
    ("opencode", "x{env:HOME}"),
    ("gemini-cli", "${GEMINI_API_KEY}"),
    ("qwen-code", "${HOME}"),
])
def test_ids_a_tool_would_expand_are_refused_before_anything_is_written(
    tool: str, model: str, isolated_home: Path, standin_a: StandinProvider
) -> None:
    switchover("provider", "add", "alpha", "--openai-url", f"{standin_a.url}/v1", "--gemini-url", standin_a.url,
               "--model", "plain", "--no-key")
    before = sorted(p.relative_to(isolated_home) for p in isolated_home.rglob("*") if p.is_file())
    refused = switchover("use", f"alpha/{model}", "--tool", tool, code=1)
    assert "Invalid model" in refused.stderr and "expanded by some tools or shells" in refused.stderr
    after = sorted(p.relative_to(isolated_home) for p in isolated_home.rglob("*") if p.is_file())
    assert [p for p in after if p not in before and "switchover" not in str(p)] == []
