from __future__ import annotations

import os
from pathlib import Path

import pytest

from switchover.core import paths
from switchover.core.catalog import default_catalog
from switchover.core.errors import ConfigFileError, ValidationError
from switchover.core.providers import AuthStyle, Credential, Endpoint, Protocol, Provider
from switchover.core.store import ChainEntry, Store, edit_store, load_store, save_store


def _custom() -> Provider:
    return Provider(
        name="gateway",
        endpoints=(
            Endpoint.make(Protocol.ANTHROPIC, "https://gw.example.com/anthropic", AuthStyle.BEARER),
            Endpoint.make(Protocol.OPENAI_CHAT, "https://gw.example.com/v1"),
        ),
        models=("m-large", "m-small"),
        small_model="m-small",
        credential=Credential.env("GW_KEY"),
        label="My gateway",
    )


def test_store_lives_under_xdg_config(isolated_home: Path) -> None:
    assert paths.store_file() == isolated_home / ".config" / "switchover" / "switchover.toml"


def test_config_dir_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWITCHOVER_CONFIG_DIR", str(tmp_path / "elsewhere"))
    assert paths.store_file() == tmp_path / "elsewhere" / "switchover.toml"


def test_round_trip_keeps_everything() -> None:
    store = Store()
    store.add(default_catalog().get("deepseek").to_provider("deepseek", ("deepseek-chat",)))
    store.add(_custom())
    store.chains["claude-code"] = [ChainEntry.parse("deepseek/deepseek-chat"), ChainEntry.parse("gateway")]
    store.section("failover")["mode"] = "suggest"
    path = save_store(store)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)
    loaded = load_store()
    assert loaded.providers == store.providers
    assert loaded.chains == store.chains
    assert loaded.sections == {"failover": {"mode": "suggest"}}


def test_missing_file_is_empty_store() -> None:
    store = load_store()
    assert store.providers == {} and store.path == paths.store_file()


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('schema_version = 1\n\n[providers.a]\nmodels = = 1\nlabel = "x"\n', 4),
        ('schema_version = 1\n\n[providers.a]\nmodels = ["x"\n', 4),
    ],
)
def test_broken_toml_names_line_and_is_untouched(text: str, line: int) -> None:
    path = paths.store_file()
    path.parent.mkdir(parents=True)
    path.write_text(text)
    with pytest.raises(ConfigFileError) as info:
        load_store()
    assert info.value.path == path and info.value.line == line
    assert str(path) in str(info.value) and f"line {line}" in str(info.value)
    assert path.read_text() == text


def test_invalid_provider_names_its_line() -> None:
    path = paths.store_file()
    path.parent.mkdir(parents=True)
    text = (
        "schema_version = 1\n[providers.ok]\ncredential = 'none'\n[providers.ok.endpoints]\n"
        "openai-chat = 'http://127.0.0.1:1/v1'\n\n[providers.bad]\ncredential = 'none'\n"
        "[providers.bad.endpoints]\nopenai-chat = 'http://remote.example.com/v1'\n"
    )
    path.write_text(text)
    with pytest.raises(ConfigFileError, match="plain http to a remote host") as info:
        load_store()
    assert info.value.line == 7
    assert path.read_text() == text


def test_newer_schema_is_refused_not_overwritten() -> None:
    path = paths.store_file()
    path.parent.mkdir(parents=True)
    path.write_text("schema_version = 99\n")
    with pytest.raises(ConfigFileError, match="upgrade Switchover"), edit_store():
        pytest.fail("must not get here")
    assert path.read_text() == "schema_version = 99\n"


def test_non_utf8_store_is_reported() -> None:
    path = paths.store_file()
    path.parent.mkdir(parents=True)
    path.write_bytes(b"schema_version = 1\n# \xff\xfe\n")
    with pytest.raises(ConfigFileError, match="not UTF-8") as info:
        load_store()
    assert info.value.line == 2


def test_duplicate_name_rejected() -> None:
    store = Store()
    store.add(_custom())
    with pytest.raises(ValidationError, match="exists already"):
        store.add(_custom())


def test_remove_drops_chain_entries() -> None:
    store = Store()
    store.add(_custom())
    store.chains["codex"] = [ChainEntry("gateway", "m"), ChainEntry("other", None)]
    store.remove("gateway")
    assert store.chains["codex"] == [ChainEntry("other", None)]


def test_store_file_never_holds_a_key_field() -> None:
    store = Store()
    store.add(_custom())
    text = save_store(store).read_text()
    assert "credential = \"env:GW_KEY\"" in text
    assert "api_key" not in text and "secret" not in text.lower().replace("keys are never kept", "")


def test_edit_store_is_atomic_and_leaves_no_temp(tmp_path: Path) -> None:
    with edit_store() as store:
        store.add(_custom())
    leftovers = [p for p in os.listdir(paths.config_dir()) if p.startswith(".switchover-tmp")]
    assert leftovers == []
    assert "gateway" in load_store().providers
