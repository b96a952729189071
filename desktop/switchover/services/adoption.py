"""Adopt what each tool uses now: its endpoint as a provider, with its key in the OS keychain.

The same code serves `switchover import` and the setup wizard. Without it a tool's current setup came in as a
provider without a key, so switching the tool back to it wrote a key command that had nothing to return and
failover could never switch back (issue 14, finding 1). Here every installed tool's current endpoint is
matched to a configured provider (or becomes a new one, named after the preset or the host), and the key the
tool uses (`Target.current_key`: literally in its file, through the variable it names, in its dotenv) goes to
the keychain. Nothing is written by `plan_adoption`; `apply_adoption` stores keys first and the providers in
one locked store edit, putting the keys back as they were if the store cannot be saved.

Optionally a key found in plaintext in a tool's own file is taken out of it by re-pointing the tool at the
adopted provider through the switching engine (backup, journal, `switchover undo`): Claude Code then runs
`switchover key NAME` as its apiKeyHelper and Codex its `auth.command`. Tools that can read nothing but a
plaintext key (Gemini CLI, Aider, Continue) or only a variable (OpenCode, Qwen Code, Goose: replacing would
break them in shells that do not export it) are left as they are, with a note saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from switchover.core.catalog import Catalog, Preset
from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.providers import (
    AuthStyle,
    Credential,
    Endpoint,
    Protocol,
    Provider,
    is_loopback_url,
    provider_at,
    validate_name,
)
from switchover.core.secrets import KeychainError
from switchover.core.store import Store, edit_store
from switchover.core.switching.contract import CurrentChoice, FoundKey, Target, ToolEnv

if TYPE_CHECKING:
    from switchover.core.secrets import Keychain
    from switchover.core.switching.contract import SwitchRequest
    from switchover.core.switching.engine import SwitchEngine, SwitchResult

log = logging.getLogger(__name__)

# Tools that fetch a key by running a command: a plaintext key in their file can be replaced by
# `switchover key NAME` without changing how they are started.
COMMAND_KEY_TOOLS = frozenset({"claude-code", "codex"})
SKIPPED_TOOLS = frozenset({"shell-env"})  # Switchover's own file: there is nothing of the user's to adopt


@dataclass(frozen=True)
class Adoption:
    """One tool's current setup, as it will be adopted."""

    tool: str
    label: str
    current: CurrentChoice
    provider: Provider  # as it will be saved
    new_provider: bool  # False: an already configured provider serves this endpoint
    found: FoundKey | None
    key: str | None = field(default=None, repr=False)  # goes to the keychain under provider.name
    key_state: str = "none"  # to-keychain | stored | env | ours | none | missing | kept-other | no-keychain
    model: str | None = None
    notes: tuple[str, ...] = ()
    replaceable: bool = False  # a plaintext key in the tool's file can be replaced by the key command
    adds_model: bool = False  # the tool's model joins an already configured provider's list

    @property
    def changes_anything(self) -> bool:
        return self.new_provider or self.key is not None or self.adds_model

    def describe(self) -> list[str]:
        """Plain lines for the CLI and the wizard (never the key)."""
        where = self.current.base_url or "?"
        head = f"{self.label}: {where}" + (f" · {self.current.model}" if self.current.model else "")
        what = (f"new provider {self.provider.name} ({self.provider.display_name})" if self.new_provider
                else f"provider {self.provider.name}, configured already")
        key = {
            "to-keychain": f"key from {self.found.where if self.found else '?'} → OS keychain",
            "stored": "its key is in the keychain already",
            "env": f"key read from ${self.provider.credential.env_var}",
            "ours": "it already fetches its key from Switchover",
            "none": "no key (local server)",
            "missing": "no key found",
            "kept-other": "a different key is stored for it already (kept)",
            "no-keychain": "no usable keychain to hold its key",
        }.get(self.key_state, self.key_state)
        return [head, f"  → {what}; {key}", *(f"  {note}" for note in self.notes)]


@dataclass(frozen=True)
class AdoptionPlan:
    adoptions: tuple[Adoption, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (tool label, why it cannot be adopted)

    def providers(self) -> list[Provider]:
        """The providers to save, each once (the last version: later tools may have added models)."""
        found: dict[str, Provider] = {}
        for adoption in self.adoptions:
            if adoption.changes_anything or adoption.provider.name in found:
                found[adoption.provider.name] = adoption.provider
        return list(found.values())

    def keys(self) -> dict[str, str]:
        return {a.provider.name: a.key for a in self.adoptions if a.key is not None}

    @property
    def changes_anything(self) -> bool:
        return any(a.changes_anything for a in self.adoptions)

    def replaceable(self) -> list[Adoption]:
        return [a for a in self.adoptions if a.replaceable]


# -- naming -----------------------------------------------------------------------------------------------


def free_name(base: str, taken: Iterable[str]) -> str:
    """`base`, or `base-2`, `base-3`… so a new provider never overwrites one with the same name."""
    taken = set(taken)
    cleaned = "".join(c if c.isalnum() or c in "._-" else "-" for c in base.lower()).strip("-._") or "provider"
    cleaned = cleaned[:34]
    name, n = cleaned, 2
    while name in taken:
        name, n = f"{cleaned}-{n}", n + 1
    return validate_name(name)


def preset_at(catalog: Catalog, base_url: str, protocol: Protocol | None) -> Preset | None:
    """The catalog preset serving `base_url`, matched like configured providers (`provider_at`)."""
    by_id = {preset.id: preset for preset in catalog}
    match = provider_at((preset.to_provider(preset.id) for preset in by_id.values()), base_url, protocol)
    return by_id[match[0].name] if match else None


def host_name(base_url: str) -> str:
    """A provider name from a URL: "gw.example.com" → "gw-example-com", a local server → "local-8080"."""
    parts = urlsplit(base_url)
    host = (parts.hostname or "provider").lower()
    if is_loopback_url(base_url):
        return f"local-{parts.port}" if parts.port else "local"
    for prefix in ("api.", "www."):
        host = host.removeprefix(prefix)
    return host.replace(".", "-")


# -- planning ---------------------------------------------------------------------------------------------


StoredKey = Callable[[str], "str | None"]  # the key the keychain holds for a provider (raises KeychainError)


def plan_adoption(
    store: Store,
    targets: Sequence[Target],
    env: ToolEnv,
    catalog: Catalog,
    stored_key: StoredKey | None = None,
    keychain_usable: bool = True,
    tools: Iterable[str] | None = None,
) -> AdoptionPlan:
    """What adopting every installed tool's current setup (or only `tools`') would do; writes nothing."""
    wanted = set(tools) if tools is not None else None
    pool: dict[str, Provider] = dict(store.providers)  # configured plus adopted so far, by name
    pending_keys: dict[str, str] = {}
    adoptions: list[Adoption] = []
    skipped: list[tuple[str, str]] = []
    for target in targets:
        if target.id in SKIPPED_TOOLS or (wanted is not None and target.id not in wanted):
            continue
        try:
            if not target.detect(env).installed:
                continue
            current = target.current(env)
        except (SwitchoverError, OSError) as exc:
            skipped.append((target.label, str(exc)))
            continue
        if current is None or not current.base_url or current.protocol is None:
            if current is not None and current.model and wanted is not None:
                skipped.append((target.label, f"uses {current.model} from its built-in provider"))
            continue
        try:
            found = target.current_key(env)
        except (SwitchoverError, OSError) as exc:
            found = FoundKey("?", note=f"its key could not be read: {exc}")
        try:
            adoption = _adopt_one(target, current, found, pool, pending_keys, catalog, stored_key, keychain_usable,
                                  store)
        except ValidationError as exc:  # the tool's file names a URL or model id that breaks the grammar
            skipped.append((target.label, str(exc)))
            continue
        pool[adoption.provider.name] = adoption.provider
        if adoption.key is not None:
            pending_keys[adoption.provider.name] = adoption.key
        adoptions.append(adoption)
    return AdoptionPlan(tuple(adoptions), tuple(skipped))


def _adopt_one(target: Target, current: CurrentChoice, found: FoundKey | None, pool: Mapping[str, Provider],
               pending_keys: Mapping[str, str], catalog: Catalog, stored_key: StoredKey | None,
               keychain_usable: bool, store: Store) -> Adoption:
    assert current.base_url is not None and current.protocol is not None
    providers = list(pool.values())
    match = provider_at(providers, current.base_url, current.protocol) or provider_at(providers, current.base_url)
    notes: list[str] = []
    adds_model = False
    if found is not None and found.note:
        notes.append(found.note[:1].upper() + found.note[1:] + ".")
    if match is not None:
        provider = match[0]
        new = provider.name not in store.providers
        if current.model and current.model not in provider.models:
            provider = replace(provider, models=(*provider.models, current.model))
            adds_model = True
            notes.append(f"Adds the model {current.model} to {provider.name}.")
        key, state = _key_for_known(provider, found, pending_keys, stored_key, keychain_usable)
        if state == "kept-other":
            notes.append(f"{target.label} uses another key for this endpoint than the one stored for "
                         f"{provider.name}; the stored one is kept.")
    elif (sibling := _same_gateway(current, found, pool, pending_keys, store)) is not None:
        # Another protocol of an endpoint adopted a moment ago, same host and same key: one provider.
        auth = found.auth if found is not None and found.auth is not None else None
        models = tuple(dict.fromkeys((*sibling.models, *((current.model,) if current.model else ()))))
        provider = replace(sibling, endpoints=(*sibling.endpoints, Endpoint.make(current.protocol, current.base_url,
                                                                                  auth)), models=models)
        new, key, state = True, None, "to-keychain" if sibling.name in pending_keys else (
            "env" if sibling.credential.kind == "env" else "none" if sibling.credential.kind == "none" else "missing")
    else:
        provider, key, state = _new_provider(target, current, found, pool, catalog, keychain_usable)
        new = True
    if state == "missing" and provider.credential.kind == "keychain":
        notes.append(f"Add its key: switchover provider key {provider.name}")
    if state == "no-keychain":
        notes.append("No usable OS keychain: the key stays where it is. Unlock or install one, or keep the key "
                     "in an environment variable (switchover provider key NAME --key-env VAR).")
    replaceable = bool(found is not None and found.plaintext_in is not None and target.id in COMMAND_KEY_TOOLS
                       and provider.credential.kind == "keychain" and state in ("to-keychain", "stored"))
    if found is not None and found.plaintext_in is not None and not replaceable and state in ("to-keychain",
                                                                                           "stored"):
        notes.append(_why_plaintext_stays(target.label, target.id, found.plaintext_in))
    return Adoption(target.id, target.label, current, provider, new, found, key=key, key_state=state,
                    model=current.model or provider.default_model, notes=tuple(notes), replaceable=replaceable,
                    adds_model=adds_model)


def _same_gateway(current: CurrentChoice, found: FoundKey | None, pool: Mapping[str, Provider],
                  pending_keys: Mapping[str, str], store: Store) -> Provider | None:
    assert current.base_url is not None and current.protocol is not None
    host = urlsplit(current.base_url).netloc.lower()
    value = found.value if found is not None and not found.ours else None
    env_var = found.env_var if found is not None and not found.ours else None
    for provider in pool.values():
        if provider.name in store.providers or provider.preset or provider.endpoint(current.protocol) is not None:
            continue
        if not any(urlsplit(e.base_url).netloc.lower() == host for e in provider.endpoints):
            continue
        same_key = (value is not None and pending_keys.get(provider.name) == value) or (
            value is None and env_var is not None and provider.credential.env_var == env_var) or (
            value is None and env_var is None and provider.credential.kind == "none")
        if same_key:
            return provider
    return None


def _why_plaintext_stays(label: str, tool: str, path: Path) -> str:
    if tool in ("opencode", "qwen-code", "goose"):
        return (f"{label} reads keys from a file or a variable only; the plaintext key stays in {path} (switching "
                f"{label} later points it at an environment variable that env.sh exports).")
    return f"{label} can read its key only in plaintext; it stays in {path}."


def _key_for_known(provider: Provider, found: FoundKey | None, pending_keys: Mapping[str, str],
                   stored_key: StoredKey | None, keychain_usable: bool) -> tuple[str | None, str]:
    kind = provider.credential.kind
    if kind == "none":
        return None, "none"
    if kind == "env":
        return None, "env"
    if found is not None and found.ours:
        return None, "ours"
    pending = pending_keys.get(provider.name)
    stored: str | None
    try:
        stored = pending or (stored_key(provider.name) if stored_key is not None else None)
    except KeychainError as exc:
        log.info("cannot read the stored key of %s: %s", provider.name, exc)
        return None, "no-keychain"
    value = found.value if found is not None else None
    if stored:
        return None, ("stored" if value in (None, stored) else "kept-other")
    if value is None:
        return None, "missing"
    if not keychain_usable:
        return None, "no-keychain"
    return value, "to-keychain"


def _new_provider(target: Target, current: CurrentChoice, found: FoundKey | None, pool: Mapping[str, Provider],
                  catalog: Catalog, keychain_usable: bool) -> tuple[Provider, str | None, str]:
    assert current.base_url is not None and current.protocol is not None
    preset = preset_at(catalog, current.base_url, current.protocol)
    local = is_loopback_url(current.base_url)
    credential, key, state = adopted_credential(found, local, keychain_usable)
    models = tuple(dict.fromkeys(m for m in (current.model, *(preset.models if preset else ())) if m))
    if preset is not None:
        provider = preset.to_provider(free_name(preset.id, pool), models=models, credential=credential)
        if current.small_model and not provider.small_model:
            provider = replace(provider, small_model=current.small_model)
        return provider, key, state
    auth = adopted_auth(found, local)
    host = urlsplit(current.base_url).hostname or "provider"
    provider = Provider(
        name=free_name(host_name(current.base_url), pool),
        endpoints=(Endpoint.make(current.protocol, current.base_url, auth),),
        models=models,
        small_model=current.small_model,
        credential=credential,
        label=f"{host} (from {target.label})"[:60],
    )
    return provider, key, state


def adopted_credential(found: FoundKey | None, local: bool, keychain_usable: bool) -> tuple[Credential, str | None,
                                                                                            str]:
    """How a newly adopted provider gets its key: (credential, key for the keychain, key state).

    A key the tool uses goes to the keychain (when there is a usable one); a variable the tool names is kept as
    the provider's variable; a local server needs none; otherwise the key is missing and says so."""
    value = found.value if found is not None and not found.ours else None
    if value is not None and keychain_usable:
        return Credential.keychain(), value, "to-keychain"
    if found is not None and found.env_var and not found.ours:
        return Credential.env(found.env_var), None, "env"
    if local and value is None:
        return Credential.none(), None, "none"
    if value is not None:  # a key, but nowhere safe to keep it
        return Credential.keychain(), None, "no-keychain"
    return Credential.keychain(), None, "missing"


def adopted_auth(found: FoundKey | None, local: bool) -> AuthStyle | None:
    """How the tool sends its key (Claude Code's AUTH_TOKEN is a bearer token), for the adopted endpoint."""
    return found.auth if found is not None and found.auth is not None and not local else None


# -- applying ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdoptionOutcome:
    providers: tuple[str, ...]  # names saved
    keys_stored: tuple[str, ...]  # provider names whose key went to the keychain
    replaced: tuple[str, ...] = ()  # tools whose plaintext key was replaced by the key command
    notes: tuple[str, ...] = ()


def apply_adoption(
    plan: AdoptionPlan,
    keychain: Keychain | None,
    store_path: Path | None = None,
    replace_plaintext: bool = False,
    engine: Callable[[], SwitchEngine] | None = None,
    request: Callable[[Provider, str], SwitchRequest] | None = None,
) -> AdoptionOutcome:
    """Keys to the keychain, providers to the store (one locked edit); then, if asked, re-point the tools whose
    plaintext key can be replaced by the key command (through `engine`: backed up, journaled, undoable).

    If the store cannot be saved, keys stored here are put back as they were, so nothing is half adopted.
    """
    keys = plan.keys()
    previous: dict[str, str | None] = {}
    if keys and keychain is None:
        raise SwitchoverError("Keys were found but no keychain was given to store them in.")
    try:
        for name, key in keys.items():
            assert keychain is not None
            previous[name] = keychain.get(name)
            keychain.set(name, key)
        with edit_store(store_path) as store:
            for provider in plan.providers():
                store.add(provider, replace=True)
    except BaseException:
        for name, old in previous.items():
            assert keychain is not None
            try:
                keychain.delete(name) if old is None else keychain.set(name, old)
            except KeychainError as exc:
                log.warning("could not restore the key for %s: %s", name, exc)
        raise
    replaced: list[str] = []
    notes: list[str] = []
    if replace_plaintext and plan.replaceable():
        if engine is None or request is None:
            raise SwitchoverError("Replacing plaintext keys needs the switching engine.")
        for adoption in plan.replaceable():
            model = adoption.model
            if not model:
                notes.append(f"{adoption.label}: not re-pointed (no model is set to keep).")
                continue
            result = _switch(engine(), request(adoption.provider, model), adoption.tool)
            if result.ok:
                replaced.append(adoption.tool)
            else:
                problems = "; ".join(o.message or o.status for o in result.outcomes)
                notes.append(f"{adoption.label}: the plaintext key could not be replaced ({problems}).")
    return AdoptionOutcome(tuple(p.name for p in plan.providers()), tuple(keys), tuple(replaced), tuple(notes))


def _switch(engine: SwitchEngine, request: SwitchRequest, tool: str) -> SwitchResult:
    return engine.use(request, [tool])


__all__ = [
    "COMMAND_KEY_TOOLS",
    "Adoption",
    "AdoptionOutcome",
    "AdoptionPlan",
    "adopted_auth",
    "adopted_credential",
    "apply_adoption",
    "free_name",
    "host_name",
    "plan_adoption",
    "preset_at",
]
