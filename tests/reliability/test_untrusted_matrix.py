"""The whole hostile corpus through every entry point, into every target and every shell (issue 12).

Entry points: CLI arguments (`provider add --model`), the store file, a preset file, a model list served by a
provider on 127.0.0.1, and local discovery of a model server on 127.0.0.1. Each corpus string is either refused
there with a clear, printable message naming the field (nothing written), or comes out literally; every string
that comes out is then switched to in every target (the real engine, in a fresh home) and read back literally
by each target, and the shell environment it produces is evaluated by real bash, dash, zsh and fish.
The counts are printed for the issue's closing note.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import tomlkit

from switchover.cli.commands.switching import shell_exports
from switchover.cli.context import CliContext
from switchover.cli.main import run_cli
from switchover.core import shell_script, validation
from switchover.core.catalog import load_catalog
from switchover.core.errors import ConfigFileError
from switchover.core.health.discovery import discover_local_sync
from switchover.core.health.probes import Probe
from switchover.core.health.results import Tier
from switchover.core.health.runner import CheckOptions, check_many_sync
from switchover.core.providers import Credential, Protocol, Provider
from switchover.core.store import load_store
from switchover.core.switching import SwitchEngine
from switchover.core.switching.contract import SwitchRequest, ToolEnv
from switchover.targets.registry import all_targets
from tests.reliability.hostile_strings import HOSTILE, tool_cannot_take
from tests.reliability.shells import REAL_SHELLS, evaluate
from tests.support.provider_server import ProviderServer, Reply
from tests.targets.support import custom

pytestmark = pytest.mark.slow

Server = Callable[..., ProviderServer]
VALUES = [v for _, v in HOSTILE]
URLS = {Protocol.ANTHROPIC: "http://127.0.0.1:9", Protocol.OPENAI_CHAT: "http://127.0.0.1:9/v1",
        Protocol.OPENAI_RESPONSES: "http://127.0.0.1:9/v1", Protocol.GEMINI: "http://127.0.0.1:9"}


@dataclass
class Outcome:
    accepted: dict[str, str]  # value -> the model id the entry point produced (must equal the value)
    refused: dict[str, str]  # value -> the message


def _cli_args(tmp_path: Path, _: Server) -> Outcome:
    out = Outcome({}, {})
    for i, value in enumerate(VALUES):
        name = f"p{i}"
        stderr = io.StringIO()
        code = run_cli(["provider", "add", name, "--openai-url", URLS[Protocol.OPENAI_CHAT], "--no-key",
                        f"--model={value}"], CliContext(stdout=io.StringIO(), stderr=stderr))
        if code == 0:
            out.accepted[value] = load_store().get(name).models[0]
        else:
            out.refused[value] = stderr.getvalue()
            assert name not in load_store().providers
    return out


def _store_file(tmp_path: Path, _: Server) -> Outcome:
    out = Outcome({}, {})
    path = tmp_path / "store.toml"
    for value in VALUES:
        doc = tomlkit.document()
        doc["schema_version"] = 1
        doc["providers"] = {"p": {"credential": "none", "models": [value],
                                  "endpoints": {"openai-chat": URLS[Protocol.OPENAI_CHAT]}}}
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
        try:
            out.accepted[value] = load_store(path).get("p").models[0]
        except ConfigFileError as exc:
            out.refused[value] = str(exc)
    return out


def _preset_file(tmp_path: Path, _: Server) -> Outcome:
    out = Outcome({}, {})
    path = tmp_path / "providers.toml"
    for value in VALUES:
        doc = tomlkit.document()
        doc["schema_version"] = 1
        doc["presets"] = {"evil": {"label": "Evil", "needs_key": False, "models": [value],
                                   "endpoints": {"openai-chat": URLS[Protocol.OPENAI_CHAT]}}}
        path.write_text(tomlkit.dumps(doc), encoding="utf-8")
        try:
            out.accepted[value] = load_catalog(path).get("evil").to_provider("p").models[0]
        except ConfigFileError as exc:
            out.refused[value] = str(exc)
    return out


def _model_list(_: Path, provider_server: Server) -> Outcome:
    server = provider_server()
    server.on("GET", "/v1/models", Reply.json({"data": [{"id": v} for v in VALUES]}))
    provider = Provider("p", (custom("p", {Protocol.OPENAI_CHAT: server.url + "/v1"}).endpoints[0],),
                        credential=Credential.none())
    [result] = check_many_sync([Probe.from_provider(provider, None)], Tier.AUTH, CheckOptions(trust_env=False))
    listed = set(result.models)
    out = Outcome({v: v for v in VALUES if v in listed}, {})
    for value in VALUES:
        if value not in listed:  # the wizard adopts only `result.models`; the reason notes what was ignored
            out.refused[value] = "dropped from the model list"
    assert "Ignored the model id" in result.reason
    # What the wizard then builds from the listed models is a provider that obeys the grammar.
    assert replace(provider, models=result.models).models == result.models
    return out


def _discovery(_: Path, provider_server: Server) -> Outcome:
    server = provider_server()
    server.on("GET", "/api/version", Reply.json({"version": "0.12.6"}))
    server.on("GET", "/api/tags", Reply.json({"models": [{"name": v} for v in VALUES]}))
    [found] = [s for s in discover_local_sync(ports=[server.port]) if s.port == server.port]
    notes = " ".join(found.notes)
    out = Outcome({v: v for v in VALUES if v in found.models}, {})
    for value in VALUES:
        if value not in found.models:
            out.refused[value] = notes
    assert found.to_provider().models == found.models
    return out


ENTRY_POINTS: dict[str, Callable[[Path, Server], Outcome]] = {
    "cli-args": _cli_args,
    "store-file": _store_file,
    "preset-file": _preset_file,
    "model-list": _model_list,
    "local-discovery": _discovery,
}


def _into_every_target_and_shell(models: list[str], tmp_path: Path) -> tuple[int, int, int]:
    """Switch every target to each model in turn (real engine, fresh home), read each back literally, and
    evaluate the shell environment of each in every real shell. Returns (read-backs, tool refusals, shell
    evaluations)."""
    home = tmp_path / "matrix-home"
    home.mkdir()
    env = ToolEnv(home, {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "PATH": "",
                         "SWITCHOVER_CONFIG_DIR": str(home / ".config" / "switchover")}, "linux", home)
    targets = all_targets()
    engine = SwitchEngine(targets, env, tmp_path / "data")
    provider = custom("p", URLS, Credential.keychain(), models=("m",))
    keyless = custom("p", URLS, Credential.none(), models=("m",))  # `env` output without a key command to run
    switches = refusals = 0
    scripts: dict[str, list[str]] = {shell: [] for shell in REAL_SHELLS}
    for model in models:
        request = SwitchRequest(provider, model, None, ("/usr/bin/switchover", "key", "p"), lambda: "sk-x-1234567")
        result = engine.use(request, [t.id for t in targets], skip_refused=True)
        for outcome in result.outcomes:
            if tool_cannot_take(outcome.tool, model):  # a limit of the tool itself: refused, file untouched
                assert outcome.status == "refused" and repr(model) in outcome.message, outcome
                refusals += 1
            else:
                assert outcome.status in ("switched", "unchanged"), (model, outcome)
        for target in targets:
            if tool_cannot_take(target.id, model):
                continue
            current = target.current(env)
            assert current is not None and current.model == model, (target.id, model, current)
            switches += 1
        for shell in REAL_SHELLS:
            scripts[shell].append(shell_exports(keyless, model, None, shell))
    evaluations = 0
    for shell, texts in scripts.items():
        seen = evaluate(shell, texts, ["OPENAI_MODEL", "ANTHROPIC_MODEL"], tmp_path / f"sh-{shell}")
        for model, got in zip(models, seen, strict=True):
            assert got["OPENAI_MODEL"] == got["ANTHROPIC_MODEL"] == model.encode(), (shell, model)
            evaluations += 1
    return switches, refusals, evaluations


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_every_hostile_string_is_refused_or_carried_literally_into_every_target_and_shell(
    entry: str, tmp_path: Path, provider_server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = ENTRY_POINTS[entry](tmp_path, provider_server)
    assert set(outcome.accepted) | set(outcome.refused) == set(VALUES)
    for value, model in outcome.accepted.items():
        assert model == value, f"{entry} changed {value!r} into {model!r}"
        assert validation.model_id_problem(value) is None, f"{entry} let {value!r} through"
    for value, message in outcome.refused.items():
        assert validation.model_id_problem(value) is not None, f"{entry} refused the valid {value!r}"
        if entry in ("cli-args", "store-file", "preset-file"):
            text = message.strip()
            assert "model id" in text and text.isprintable(), text
            # The value is quoted (escaped); a 10 000-character one is cut, and its long run of letters is
            # redacted like anything key-shaped.
            assert validation.shown(value)[:20] in text or "characters long" in text, (value, text)
    accepted = list(outcome.accepted)
    switches, refusals, evaluations = _into_every_target_and_shell(accepted, tmp_path)
    with capsys.disabled():
        print(f"\nissue 12 matrix [{entry}]: {len(VALUES)} hostile strings, {len(outcome.refused)} refused, "
              f"{len(accepted)} carried literally into {len(all_targets())} targets ({switches} read-backs, "
              f"{refusals} refused by a tool's own limit) and {len(REAL_SHELLS)} shells ({evaluations} evaluations)")
    assert len(VALUES) >= 60 and switches + refusals == len(accepted) * len(all_targets())


def test_shell_exports_use_each_shells_syntax() -> None:
    """`shell_exports` (what `switchover env --shell S` prints) for the shells the matrix evaluates."""
    provider = custom("p", URLS, Credential.none(), models=("m",))
    for shell in REAL_SHELLS:
        text = shell_exports(provider, "it's", None, shell)
        assert ("set -gx OPENAI_MODEL 'it\\'s'" if shell == "fish" else "export OPENAI_MODEL='it'\\''s'") in text
    assert set(REAL_SHELLS) <= set(shell_script.SHELLS)
