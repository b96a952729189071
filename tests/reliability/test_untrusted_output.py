"""Provider-sourced text never drives the terminal, never leaks a key in disguise, never crashes a command.

Issue 12, findings 7, 8 and 9 (discovery): servers on 127.0.0.1 play a hostile provider (error text with
escape sequences, OSC 52, carriage returns and bidi controls; model lists with hostile ids; a key echoed
URL-encoded, base64'd in Basic auth, upper-cased and trimmed) and a hostile local model server (hostile
version and model ids, JSON nested 100 000 levels deep). The real CLI runs in subprocesses.
"""

from __future__ import annotations

import base64
import json
import tomllib
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from switchover.core import validation
from tests.reliability.hostile_strings import HOSTILE
from tests.reliability.world import World, walk_files
from tests.support.provider_server import ProviderServer, Reply

Server = Callable[..., ProviderServer]
ECHO_KEY = "sk-fake-ECHOED-KEY-4c2e9b7a1d3f5e6a"
# Anything a terminal would act on, or that hides or reorders text.
ACTIVE = ("\x1b", "\x9b", "\x9d", "\x07", "\r", "\x7f", "\u202e", "\u2066", "\u2028", "\u2029", "\x85", "\x00")


def _disguises(key: str) -> list[str]:
    """How a provider may echo a key: every form must be gone from what Switchover prints or stores."""
    forms = [key, key.upper(), key.lower(), urllib.parse.quote(key, safe=""), key[2:-2], key[:14], key[-14:],
             base64.b64encode(key.encode()).decode().rstrip("="),
             base64.b64encode(f"user:{key}".encode()).decode().rstrip("="),
             base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")]
    return forms


def _leaks(text: str, key: str) -> list[str]:
    found = [form for form in _disguises(key) if form.lower() in text.lower()]
    lowered = text.lower()
    found += [key[i : i + 12] for i in range(len(key) - 11) if key[i : i + 12].lower() in lowered]
    return found


def _echoing_server(provider_server: Server) -> ProviderServer:
    server = provider_server()
    quoted = urllib.parse.quote(ECHO_KEY, safe="")
    basic = base64.b64encode(f"user:{ECHO_KEY}".encode()).decode()
    message = (f"Invalid key {quoted}; we got Authorization: Basic {basic} (upper: {ECHO_KEY.upper()}, "
               f"trimmed: {ECHO_KEY[3:-3]}, raw b64: {base64.b64encode(ECHO_KEY.encode()).decode()})")
    server.on_any(Reply.json({"error": {"message": message, "type": "invalid_request_error",
                                        "code": f"bad_key_{ECHO_KEY.lower()}"}}, 401))
    return server


def test_a_key_echoed_in_disguise_is_scrubbed_from_output_json_history_and_logs(
    provider_server: Server, tmp_path: Path
) -> None:
    echo = _echoing_server(provider_server)
    world = World(tmp_path / "world").create()
    world.ok("provider", "add", "echo", "--openai-url", echo.url + "/v1", "--model", "m", "--key-stdin",
             input=ECHO_KEY + "\n")
    outputs = []
    for args in (("check",), ("check", "--json"), ("check", "echo", "--tier", "deep"),
                 ("check", "echo", "--tier", "deep", "--json")):
        done = world.run(*args)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        outputs.append(done.stdout + done.stderr)
    assert any(r.headers.get("authorization") == f"Bearer {ECHO_KEY}" for r in echo.requests)
    assert "auth_failed" in outputs[1]
    for text in outputs:
        assert not _leaks(text, ECHO_KEY), (_leaks(text, ECHO_KEY), text)
    files = [p for p in walk_files(world.root) if p != world.keyring_file]
    history = [p for p in files if p.parent.name == "health" and p.suffix == ".json"]
    assert history, "the checks were recorded"
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        assert not _leaks(text, ECHO_KEY), (path, _leaks(text, ECHO_KEY))


def _hostile_provider(provider_server: Server) -> ProviderServer:
    server = provider_server()
    trick = ("\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x07all good\r"
             "\u202eeurt si siht\u202c \x9b31m\u2028fake line")
    server.on("GET", "/v1/models", Reply.json({"data": [{"id": v} for _, v in HOSTILE] + [{"id": "good-model"}]}))
    server.on("POST", "/v1/chat/completions", Reply.json({"error": {"message": trick, "code": "\x1b[31mx"}}, 500))
    return server


def _assert_inert(text: str) -> None:
    found = [repr(c) for c in ACTIVE if c in text]
    assert not found, f"raw {found} in output: {text!r}"


def test_check_prints_provider_text_inert_and_drops_hostile_model_ids(provider_server: Server, tmp_path: Path) -> None:
    server = _hostile_provider(provider_server)
    world = World(tmp_path / "world").create()
    world.ok("provider", "add", "odd", "--openai-url", server.url + "/v1", "--model", "good-model", "--no-key")
    store = world.home / ".config" / "switchover" / "switchover.toml"
    stored = store.read_bytes()
    listed = world.run("check", "odd")
    assert listed.returncode == 0, listed.stderr
    _assert_inert(listed.stdout + listed.stderr)
    assert "Ignored the model id" in listed.stdout and "more ignored" in listed.stdout
    listed_json = world.run("check", "odd", "--json")
    _assert_inert(listed_json.stdout + listed_json.stderr)
    [result] = json.loads(listed_json.stdout)
    valid = {v for _, v in HOSTILE if validation.model_id_problem(v) is None}
    assert set(result["models"]) == valid | {"good-model"}
    deep = world.run("check", "odd", "--tier", "deep")
    assert deep.returncode == 1
    _assert_inert(deep.stdout + deep.stderr)
    assert "\\x1b[2J" in deep.stdout, "the user still sees what the provider sent, escaped"
    deep_json = world.run("check", "odd", "--tier", "deep", "--json")
    _assert_inert(deep_json.stdout)
    assert "\x1b[2J" in json.loads(deep_json.stdout)[0]["reason"], "JSON carries the text exactly, escaped"
    assert store.read_bytes() == stored, "a check never writes listed models anywhere"
    assert tomllib.loads(stored.decode())["providers"]["odd"]["models"] == ["good-model"]


def _local_server(provider_server: Server, version: str, models: list[object], nested: bool = False) -> ProviderServer:
    server = provider_server()
    server.on("GET", "/api/version", Reply.json({"version": version}))
    tags = {"models": [{"name": m} for m in models]}
    if nested:
        server.on("GET", "/api/tags", Reply.text("[" * 100_000 + "]" * 100_000))
        server.on("GET", "/v1/models", Reply.text('{"data":' + "[" * 100_000 + "]" * 100_000 + "}"))
    else:
        server.on("GET", "/api/tags", Reply.json(tags))
    return server


def test_discover_survives_hostile_local_servers(provider_server: Server, tmp_path: Path) -> None:
    hostile = _local_server(provider_server, "0.1\x1b]52;c;aGk=\x07\u202e", [v for _, v in HOSTILE] + ["llama3:8b"])
    deep = _local_server(provider_server, "0.2", [], nested=True)
    world = World(tmp_path / "world").create()
    found = world.run("discover", "--port", str(hostile.port), "--port", str(deep.port))
    assert found.returncode == 0 and "Traceback" not in found.stderr, found.stderr
    _assert_inert(found.stdout + found.stderr)
    assert "Ignored the model id" in found.stderr and "Ollama" in found.stdout
    as_json = world.run("discover", "--port", str(hostile.port), "--port", str(deep.port), "--json")
    assert as_json.returncode == 0, as_json.stderr
    _assert_inert(as_json.stdout)
    servers = {s["port"]: s for s in json.loads(as_json.stdout)}
    models = servers[hostile.port]["models"]
    assert "llama3:8b" in models and all("\n" not in m and "{" not in m and "$" not in m for m in models)
    assert len(servers[hostile.port]["notes"]) >= 40
    assert deep.port in servers and servers[deep.port]["models"] == []


@pytest.mark.parametrize("name", ["tools", "status"])
def test_one_unreadable_tool_file_never_breaks_tools_or_status(name: str, tmp_path: Path) -> None:
    """Finding 5: env.sh holding an unterminated quote (as an old version wrote it) made these exit 70."""
    world = World(tmp_path / "world").create()
    env_sh = world.home / ".config" / "switchover" / "env.sh"
    env_sh.parent.mkdir(parents=True, exist_ok=True)
    env_sh.write_text("export OPENAI_BASE_URL=http://127.0.0.1:9/v1\nexport OPENAI_MODEL='x;touch p;\n")
    done = world.run(name, "--json")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    data = json.loads(done.stdout)
    rows = data if name == "tools" else data["tools"]
    [row] = [r for r in rows if r["tool"] == "shell-env"]
    assert "unterminated" in (row.get("error") or "")
    human = world.run(name)
    assert human.returncode == 0 and "unreadable" in human.stdout + human.stderr, human.stdout + human.stderr


def test_import_and_status_treat_hostile_tool_files_as_data(tmp_path: Path) -> None:
    """Tool files are an entry point too: `import` skips what breaks the grammar (naming it), adopts the rest;
    `status` shows such values on one line, escaped."""
    world = World(tmp_path / "world").create()
    opencode = world.home / ".config" / "opencode" / "opencode.json"
    opencode.parent.mkdir(parents=True)
    opencode.write_text(json.dumps({"model": "evil/{file:/etc/passwd}", "provider": {"evil": {
        "npm": "@ai-sdk/openai-compatible", "options": {"baseURL": "http://127.0.0.1:9/v1", "apiKey": "{env:X}"},
        "models": {"{file:/etc/passwd}": {}}}}}))
    gemini = world.home / ".gemini"
    gemini.mkdir()
    (gemini / ".env").write_text("GEMINI_API_KEY=sk-fake-gem-0123456789\nGOOGLE_GEMINI_BASE_URL=http://127.0.0.1:8/${HOME}\n")
    (gemini / "settings.json").write_text('{"model": {"name": "gemini-2.5-pro"}}')
    claude = world.home / ".claude" / "settings.json"
    claude.parent.mkdir()
    claude.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:7",
                                          "ANTHROPIC_MODEL": "m\nFAKE OK"}}))
    done = world.run("import", "--dry-run")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr
    assert "Gemini CLI: not adopted: Invalid gemini URL" in done.stdout, done.stdout
    assert "OpenCode: not adopted: Invalid model id" in done.stdout and "'{file:/etc/passwd}'" in done.stdout
    assert "Claude Code: not adopted: Invalid model id" in done.stdout
    _assert_inert(done.stdout + done.stderr)
    status = world.run("status")
    assert status.returncode == 0, status.stderr
    assert "m\\nFAKE OK" in status.stdout and "\nFAKE OK" not in status.stdout
