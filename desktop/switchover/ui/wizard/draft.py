"""What the user entered in the setup wizard, kept apart from the widgets and applied in one go at Finish.

Qt-free on purpose: every rule of the wizard (import a tool's current setup without duplicating providers,
which choices are reachable, the chains, what Finish writes) lives here and is tested without a display.
Nothing in this module touches the disk or the keychain; `SetupPlan.apply_to(store)` edits a `Store` object
the caller loaded under the store lock, and keys travel in `SetupPlan.keys` to the caller's keychain.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from switchover.core import validation
from switchover.core.balance.checks import has_balance_api
from switchover.core.balance.settings import BalanceSettings, load_balance_settings, parse_amount, set_low_threshold
from switchover.core.catalog import Catalog, Preset
from switchover.core.errors import SwitchoverError, ValidationError
from switchover.core.failover.settings import DEFAULT_TOOL, Mode, load_settings, save_settings
from switchover.core.health import statuses
from switchover.core.health.discovery import LocalServer
from switchover.core.health.results import HealthResult, HealthStatus
from switchover.core.providers import (
    Credential,
    Endpoint,
    Protocol,
    Provider,
    is_loopback_url,
    provider_at,
)
from switchover.core.store import ChainEntry, Store
from switchover.core.switching.contract import CurrentChoice, FoundKey
from switchover.gateway.settings import SECTION as GATEWAY_SECTION
from switchover.services.adoption import (
    COMMAND_KEY_TOOLS,
    adopted_auth,
    adopted_credential,
    free_name,
    preset_at,
)

SETUP_SECTION = "setup"  # owned by the wizard: managed tools, and that setup was completed once
APP_SECTION = "app"  # the desktop app's settings table (see switchover.ui.settings)
SETUP_VERSION = 1
MODELS_PER_PROVIDER = 4  # how many of a provider's models are offered as chain choices


def needs_setup(store: Store) -> bool:
    """First launch: no store file yet, or a store without any provider."""
    return not store.providers or store.path is None or not store.path.exists()


class Origin(StrEnum):
    """Where a provider in the draft came from (decides how the wizard shows and treats it)."""

    EXISTING = "existing"  # already in the store (re-running the wizard)
    IMPORTED = "imported"  # what a tool points at today
    LOCAL = "local"  # found on this machine
    CLOUD = "cloud"  # picked from the presets (or custom) on the cloud page


class KeySource(StrEnum):
    KEYCHAIN = "keychain"
    ENV = "env"
    NONE = "none"


@dataclass(frozen=True)
class Verdict:
    """The outcome of the last check of one provider: a status from the health vocabulary and why."""

    status: HealthStatus
    reason: str
    models: tuple[str, ...] = ()
    title: str | None = None  # overrides the status's usual title (e.g. "No key yet" rather than "Wrong key")

    @property
    def ok(self) -> bool:
        return self.status.is_healthy

    @classmethod
    def from_results(cls, results: Sequence[HealthResult]) -> Verdict:
        """All endpoints healthy: ok with the models seen; otherwise the first failure speaks for the provider."""
        if not results:
            return cls(HealthStatus.BAD_RESPONSE, "Nothing was checked: the provider has no endpoint.")
        bad = next((r for r in results if not r.healthy), None)
        if bad is not None:
            return cls(bad.status, bad.reason, bad.models)
        models = tuple(dict.fromkeys(m for r in results for m in r.models))
        return cls(results[0].status, results[0].reason, models)


KEY_PROBLEMS = frozenset({HealthStatus.AUTH_FAILED, HealthStatus.FORBIDDEN})


def wrong_key(verdict: Verdict) -> bool:
    """The key itself is the problem (rejected, lacking permission, or not there): fix it before keeping it."""
    return verdict.status in KEY_PROBLEMS


MISSING_KEY_TITLE = "No key yet"


@dataclass(frozen=True)
class DetectedTool:
    """One coding tool as found on this machine (produced on a worker thread by the tools page)."""

    tool: str
    label: str
    protocols: tuple[Protocol, ...]
    installed: bool
    config_path: str | None = None
    current: CurrentChoice | None = None
    problem: str | None = None  # e.g. its config does not parse (named file and line)
    present: bool = False  # its binary is on PATH or one of its config files exists (ticked by default)
    found_key: FoundKey | None = None  # the key it uses now (`Target.current_key`): adopted with its provider

    def describe_current(self) -> str:
        if self.problem:
            return self.problem
        current = self.current
        if current is None or not current.base_url:
            if current is not None and current.model:
                return f"{current.model} (its built-in provider)"
            return "not set up yet" if self.installed else "not installed"
        model = current.model or "its default model"
        return f"{model} at {current.base_url}"


@dataclass
class ProviderChoice:
    """A provider the user may end up with, plus what the wizard knows about it (never saved as such)."""

    provider: Provider
    origin: Origin
    picked: bool = True
    key: str | None = field(default=None, repr=False)  # a newly typed key, stored only at Finish
    verdict: Verdict | None = None
    verdict_for: tuple[Any, ...] | None = field(default=None, repr=False)  # what the verdict was checked with
    imported_for: tuple[str, ...] = ()  # tools whose current setup this provider is
    key_from: str = ""  # the key was taken over from a tool ("~/.claude/settings.json env.ANTHROPIC_AUTH_TOKEN")
    plaintext_in: dict[str, str] = field(default_factory=dict)  # tool -> file holding that key in plaintext

    @property
    def adopted_key(self) -> bool:
        """Its key is the one a tool uses today (not typed here): nothing to prove before keeping it."""
        return bool(self.key_from) and self.key is not None

    @property
    def name(self) -> str:
        return self.provider.name

    @property
    def needs_key(self) -> bool:
        return self.provider.credential.kind != "none"

    def check_fingerprint(self) -> tuple[Any, ...]:
        """What a verdict depends on: endpoints, credential and typed key (a change needs a new check)."""
        return (self.provider.endpoints, self.provider.credential, self.key, self.provider.models_url)

    @property
    def verdict_current(self) -> bool:
        return self.verdict is not None and self.verdict_for == self.check_fingerprint()

    @property
    def verified(self) -> bool:
        return self.verdict_current and self.verdict is not None and self.verdict.ok


@dataclass(frozen=True)
class SetupPlan:
    """Everything Finish writes: the store edit (providers, chains, settings) and the keys for the keychain."""

    providers: tuple[Provider, ...]
    keys: Mapping[str, str] = field(repr=False)
    chains: Mapping[str, tuple[ChainEntry, ...]]
    drop_chains: tuple[str, ...]
    failover_mode: Mode
    managed_tools: tuple[str, ...]
    unmanaged_tools: tuple[str, ...]
    start_at_login: bool
    show_tray: bool
    switch_tools: tuple[tuple[str, ChainEntry], ...] = ()  # (tool, where to point it) for "switch now"
    # (tool, what it uses now): re-pointed at the same provider so the plaintext key in its file becomes the
    # key command (through the engine: backed up, journaled, undoable)
    replace_plaintext: tuple[tuple[str, ChainEntry], ...] = ()
    use_gateway: bool = False  # run the gateway in the app; "switch now" points tools at their gateway route
    # provider -> "low" below this balance (None: by recent spend); only what the user set in the wizard
    low_thresholds: Mapping[str, float | None] = field(default_factory=dict)

    def apply_to(self, store: Store) -> None:
        """Edit `store` in place: add or replace our providers, set chains and settings; keep everything else."""
        for provider in self.providers:
            store.add(provider, replace=True)
        for name, amount in self.low_thresholds.items():
            if name in store.providers:
                set_low_threshold(store, name, amount)
        for tool in self.drop_chains:
            store.chains.pop(tool, None)
        for tool, entries in self.chains.items():
            store.chains[tool] = list(entries)
        settings = load_settings(store)
        modes = dict(settings.modes)
        for tool in self.managed_tools:
            if modes.get(tool) is Mode.OFF:
                del modes[tool]
        for tool in self.unmanaged_tools:
            modes[tool] = Mode.OFF  # Switchover leaves the tools the user did not pick alone
        save_settings(store, replace(settings, modes=modes).with_default_mode(self.failover_mode))
        app = store.section(APP_SECTION)
        app["start_at_login"] = self.start_at_login
        app["show_tray"] = self.show_tray
        if self.use_gateway:
            store.section(GATEWAY_SECTION)["enabled"] = True
        setup = store.section(SETUP_SECTION)
        setup["version"] = SETUP_VERSION
        setup["completed"] = True
        setup["managed_tools"] = list(self.managed_tools)


def _same_server(url: str, server: LocalServer) -> bool:
    parts = urlsplit(url)
    return (parts.hostname or "").lower() == server.host.lower() and parts.port == server.port


class SetupDraft:
    """The wizard's state across pages. Back/Next keep it; only `plan()` turns it into writes."""

    def __init__(self, catalog: Catalog, existing: Store | None = None, environ: Mapping[str, str] | None = None):
        self.catalog = catalog
        self.existing = existing or Store()
        self.environ: Mapping[str, str] = environ if environ is not None else {}
        self.keychain_usable: bool | None = None  # None: not known yet
        self.keychain_problem: str | None = None
        self.stored_keys: set[str] | None = None  # keychain providers whose key is there (None: not looked)
        self.replace_plaintext = False  # Finish also takes adopted keys out of tool files (command-key tools)
        self.tools: dict[str, DetectedTool] = {}
        self.managed: dict[str, bool] = {}
        self.choices: dict[str, ProviderChoice] = {}
        self.chains: dict[str, list[ChainEntry]] = {}
        self.chains_edited: set[str] = set()
        self.low_thresholds: dict[str, float | None] = {}  # provider -> low-balance threshold set here
        self.failover_mode: Mode = load_settings(self.existing).mode_of_other_tools  # the `[failover]` table only
        app = self.existing.sections.get(APP_SECTION, {})
        self.start_at_login = bool(app.get("start_at_login", False))
        self.show_tray = bool(app.get("show_tray", True))
        self.switch_now = False
        gateway = self.existing.sections.get(GATEWAY_SECTION, {})
        # recommended, so ticked unless the user turned the gateway off before
        self.use_gateway = bool(gateway.get("enabled", True)) if isinstance(gateway, dict) else True
        self.previous_managed: tuple[str, ...] = tuple(self.existing.sections.get(SETUP_SECTION, {}).get(
            "managed_tools", ()))
        for provider in self.existing.providers.values():
            self.choices[provider.name] = ProviderChoice(provider, Origin.EXISTING)
        for tool, entries in self.existing.chains.items():
            self.chains[tool] = list(entries)
        own_chains = [t for t in self.existing.chains if t != DEFAULT_TOOL and self.existing.chains[t]]
        self.shared_chain = not own_chains

    # ------------------------------------------------------------ keychain

    def set_keychain(self, usable: bool, problem: str | None) -> None:
        self.keychain_usable = usable
        self.keychain_problem = problem

    @property
    def default_key_source(self) -> KeySource:
        return KeySource.ENV if self.keychain_usable is False else KeySource.KEYCHAIN

    # ------------------------------------------------------------ tools

    def set_detected(self, tools: Sequence[DetectedTool]) -> None:
        """Record detection; a tool is managed by default when it was managed before, else when installed."""
        first = not self.tools
        self.tools = {t.tool: t for t in tools}
        for tool in tools:
            if tool.tool in self.managed and not first:
                continue
            if self.previous_managed:
                self.managed[tool.tool] = tool.tool in self.previous_managed
            else:
                self.managed.setdefault(tool.tool, tool.present and tool.problem is None)
        self.sync_imports()

    def set_managed(self, tool: str, managed: bool) -> None:
        self.managed[tool] = managed
        self.sync_imports()

    @property
    def managed_tools(self) -> list[str]:
        return [t for t in self.tools if self.managed.get(t)]

    def sync_imports(self) -> None:
        """Import the current setup of every managed tool as a provider (once), and drop stale imports."""
        wanted: dict[str, list[str]] = {}
        for tool in self.managed_tools:
            name = self.import_current(tool)
            if name:
                wanted.setdefault(name, []).append(tool)
        for name, choice in list(self.choices.items()):
            if choice.origin is Origin.IMPORTED and name not in wanted:
                del self.choices[name]
            elif name in wanted:
                choice.imported_for = tuple(wanted[name])
            else:
                choice.imported_for = ()

    def current_entry(self, tool: str) -> ChainEntry | None:
        """The chain entry for what `tool` uses today (after import), if it points anywhere we can name."""
        detected = self.tools.get(tool)
        current = _trusted(detected.current) if detected else None
        if current is None or not current.base_url:
            return None
        match = provider_at((c.provider for c in self.choices.values()), current.base_url, current.protocol)
        if match is None:
            return None
        provider = match[0]
        return ChainEntry(provider.name, current.model or provider.default_model)

    def import_current(self, tool: str) -> str | None:
        """The provider name serving what `tool` points at now, creating an imported provider if needed."""
        detected = self.tools.get(tool)
        current = _trusted(detected.current) if detected else None
        if current is None or not current.base_url or current.protocol is None:
            return None
        providers = [c.provider for c in self.choices.values()]
        match = provider_at(providers, current.base_url, current.protocol) or provider_at(providers, current.base_url)
        found = detected.found_key if detected is not None else None
        if match is not None:
            known = match[0]
            if current.model and current.model not in known.models:
                # Keep the model the tool uses as a choice, without reordering the provider's own list.
                updated = replace(known, models=(*known.models, current.model))
                self.choices[known.name].provider = updated
            self._adopt_key(self.choices[known.name], tool, found)
            return known.name
        try:
            provider, key = self.provider_for_current(tool, current)
        except ValidationError:  # e.g. plain http to a remote host: nothing Switchover would save
            return None
        choice = ProviderChoice(provider, Origin.IMPORTED, key=key, imported_for=(tool,))
        if key is not None and found is not None:
            choice.key_from = found.where
            if found.plaintext_in is not None:
                choice.plaintext_in[tool] = str(found.plaintext_in)
        self.choices[provider.name] = choice
        return provider.name

    def _adopt_key(self, choice: ProviderChoice, tool: str, found: FoundKey | None) -> None:
        """A provider already known (kept from before, or imported for another tool) that has no key yet takes
        the one this tool uses: without it, switching the tool back would have no key to give it."""
        value = found.value if found is not None and not found.ours else None
        if value is None or choice.provider.credential.kind != "keychain" or self.keychain_usable is False:
            return
        if choice.key is None and not self.has_stored_key(choice) and found is not None:
            choice.key, choice.key_from = value, found.where
        if choice.key == value and found is not None and found.plaintext_in is not None:
            choice.plaintext_in[tool] = str(found.plaintext_in)

    def provider_for_current(self, tool: str, current: CurrentChoice) -> tuple[Provider, str | None]:
        """A new provider for what `tool` uses now, with the key it uses (for the keychain) when one is found."""
        assert current.base_url is not None and current.protocol is not None
        taken = self.choices.keys()
        preset = preset_at(self.catalog, current.base_url, current.protocol)
        models = tuple(dict.fromkeys(m for m in (current.model, *(preset.models if preset else ())) if m))
        local = is_loopback_url(current.base_url)
        detected = self.tools.get(tool)
        found = detected.found_key if detected is not None else None
        credential, key, _state = adopted_credential(found, local, self.keychain_usable is not False)
        if preset is not None:
            if not preset.needs_key:
                credential, key = Credential.none(), None
            elif key is None and credential.kind == "keychain":
                credential = self._preset_credential(preset)
            return preset.to_provider(free_name(preset.id, taken), models=models, credential=credential), key
        label = self.tools[tool].label if tool in self.tools else tool
        provider = Provider(
            name=free_name(f"{tool}-current", taken),
            endpoints=(Endpoint.make(current.protocol, current.base_url, adopted_auth(found, local)),),
            models=models,
            small_model=current.small_model,
            credential=credential,
            label=f"{label}'s current provider",
        )
        return provider, key

    def _preset_credential(self, preset: Preset) -> Credential:
        if preset.key_env and self.environ.get(preset.key_env):
            return Credential.env(preset.key_env)
        return Credential.keychain()

    # ------------------------------------------------------------ local servers

    def local_name(self, server: LocalServer) -> str:
        """The provider for this server: one already configured at its host and port, else a new name."""
        for choice in self.choices.values():
            if any(_same_server(e.base_url, server) for e in choice.provider.endpoints):
                return choice.name
        return server.to_provider(catalog=self.catalog).name

    def set_local(self, server: LocalServer, picked: bool) -> str:
        """Tick or untick a discovered server; ticking twice (or a re-run) never adds it twice."""
        name = self.local_name(server)
        choice = self.choices.get(name)
        if choice is None:
            if not picked:
                return name
            provider = server.to_provider(name, catalog=self.catalog)
            choice = ProviderChoice(provider, Origin.LOCAL)
            self.choices[name] = choice
        elif choice.origin is Origin.LOCAL:
            choice.provider = server.to_provider(name, catalog=self.catalog)
        choice.picked = picked
        if picked:
            choice.verdict = Verdict(HealthStatus.OK, f"Found {server.label} on this machine.", server.models)
            choice.verdict_for = choice.check_fingerprint()
        return name

    def is_local_picked(self, server: LocalServer) -> bool:
        choice = self.choices.get(self.local_name(server))
        return choice is not None and choice.picked

    # ------------------------------------------------------------ cloud providers

    def cloud_presets(self) -> list[Preset]:
        return [p for p in self.catalog if not p.local]

    def choice_for_preset(self, preset_id: str) -> ProviderChoice | None:
        return next((c for c in self.choices.values() if c.provider.preset == preset_id
                     and c.origin in (Origin.EXISTING, Origin.IMPORTED, Origin.CLOUD)), None)

    def pick_preset(self, preset_id: str, picked: bool = True) -> ProviderChoice | None:
        """Pick (or untick) a preset; an existing provider made from it is edited rather than duplicated."""
        choice = self.choice_for_preset(preset_id)
        if choice is None:
            if not picked:
                return None
            preset = self.catalog.get(preset_id)
            name = free_name(preset.id, self.choices.keys())
            source = self.default_key_source
            credential = (Credential.none() if not preset.needs_key
                          else Credential.env(preset.key_env) if source is KeySource.ENV and preset.key_env
                          else Credential.keychain())
            choice = ProviderChoice(preset.to_provider(name, credential=credential), Origin.CLOUD)
            self.choices[name] = choice
        choice.picked = picked
        return choice

    def add_custom(self, provider: Provider, key: str | None) -> ProviderChoice:
        """A custom provider (URLs typed by the user); replaces the custom one of the same name if present."""
        old = self.choices.get(provider.name)
        origin = old.origin if old is not None else Origin.CLOUD
        choice = ProviderChoice(provider, origin, key=key)
        self.choices[provider.name] = choice
        return choice

    def set_key(self, name: str, source: KeySource, key: str | None = None, env_var: str | None = None) -> None:
        """Where a provider's key comes from; a typed key is kept in memory only until Finish."""
        choice = self.choices[name]
        if source is KeySource.ENV:
            credential = Credential.env((env_var or "").strip())
            choice.key = None
        elif source is KeySource.NONE:
            credential = Credential.none()
            choice.key = None
        else:
            credential = Credential.keychain()
            choice.key = (key or "").strip() or None
        choice.provider = replace(choice.provider, credential=credential)

    def record_check(self, name: str, verdict: Verdict, fingerprint: tuple[Any, ...] | None = None) -> None:
        """Remember a check's verdict; it only counts while the provider still matches what was checked."""
        choice = self.choices.get(name)
        if choice is None:
            return
        fp = fingerprint if fingerprint is not None else choice.check_fingerprint()
        if fp != choice.check_fingerprint():
            return  # the user changed the key meanwhile: this answer is about the old one
        if verdict.status is HealthStatus.MODEL_MISSING and verdict.models:
            verdict = self._adopt_listed_models(choice, verdict)
        choice.verdict = verdict
        choice.verdict_for = fp
        if verdict.ok and verdict.models and not choice.provider.models:
            choice.provider = replace(choice.provider, models=verdict.models[:MODELS_PER_PROVIDER])

    def _adopt_listed_models(self, choice: ProviderChoice, verdict: Verdict) -> Verdict:
        """The key works but preset model ids are stale (they change monthly): use the ids the provider lists."""
        listed = verdict.models
        kept = tuple(m for m in choice.provider.models if m in listed)
        models = kept or listed[:MODELS_PER_PROVIDER]
        small = choice.provider.small_model if choice.provider.small_model in listed else None
        choice.provider = replace(choice.provider, models=models, small_model=small)
        return Verdict(HealthStatus.OK, f"Key accepted. Its model list does not offer every preset model, so "
                       f"these are used: {', '.join(models)}.", listed)

    def has_stored_key(self, choice: ProviderChoice) -> bool:
        """An existing provider whose key is already in the keychain needs no new key to keep working (when the
        wizard could look, `stored_keys` says which really have one)."""
        if choice.origin is not Origin.EXISTING or choice.provider.credential.kind != "keychain" or choice.key:
            return False
        return self.stored_keys is None or choice.name in self.stored_keys

    def cloud_blockers(self) -> list[str]:
        """Why the cloud page cannot be left yet: a newly typed key that is missing, not checked yet, or rejected.

        A provider that is down for other reasons (blocked in your region, unreachable, out of quota, overloaded)
        is kept: it is exactly the one to switch back to once it works again, and its state is shown. A key
        taken over from a tool needs no proof either: the tool uses it today."""
        problems = []
        for choice in self.choices.values():
            if not choice.picked or (choice.origin is not Origin.CLOUD and choice.key is None) or choice.adopted_key:
                continue  # only new providers and newly typed keys need proof
            label = choice.provider.display_name
            if choice.provider.credential.kind == "keychain" and not choice.key:
                problems.append(f"{label}: paste its key (or use an environment variable).")
            elif choice.provider.credential.kind == "keychain" and self.keychain_usable is False:
                problems.append(f"{label}: no usable keychain; use an environment variable instead.")
            elif not choice.verdict_current:
                problems.append(f"{label}: not checked yet.")
            elif choice.verdict is not None and wrong_key(choice.verdict):
                title = choice.verdict.title or statuses.label(choice.verdict.status)
                problems.append(f"{label}: {title}. {choice.verdict.reason}")
        return problems

    # ------------------------------------------------------------ chains

    def active_choices(self) -> list[ProviderChoice]:
        return [c for c in self.choices.values() if c.picked]

    def reachable(self, choice: ProviderChoice) -> bool:
        """Can stand in a chain: not shown to have a wrong or missing key. A provider blocked in your region or
        down for now stays (failover switches back to it when it works); a new cloud one must have been checked."""
        if not choice.picked:
            return False
        if choice.origin is Origin.CLOUD and not choice.verdict_current and not choice.adopted_key:
            return False
        return not (choice.verdict_current and choice.verdict is not None and wrong_key(choice.verdict))

    def works_now(self, choice: ProviderChoice) -> bool:
        """Known to answer now, or not known to fail (for "switch now": never onto a provider that just failed)."""
        return not (choice.verdict_current and choice.verdict is not None and not choice.verdict.ok)

    def candidates(self, tool: str | None) -> list[ChainEntry]:
        """Every reachable provider/model the tool (or, for None, any managed tool) can speak, current first."""
        protocols: set[Protocol] = set()
        tools = [tool] if tool else self.managed_tools
        for t in tools:
            if t in self.tools:
                protocols.update(self.tools[t].protocols)
        entries: list[ChainEntry] = []
        for t in tools:
            entry = self.current_entry(t)
            if entry is not None and entry not in entries and self._entry_ok(entry, protocols):
                entries.append(entry)
        for choice in self.active_choices():
            if not self.reachable(choice) or (protocols and not set(choice.provider.protocols) & protocols):
                continue
            models = choice.provider.models[:MODELS_PER_PROVIDER] or (None,)
            for model in models:
                entry = ChainEntry(choice.name, model)
                if entry not in entries:
                    entries.append(entry)
        return entries

    def _entry_ok(self, entry: ChainEntry, protocols: set[Protocol]) -> bool:
        choice = self.choices.get(entry.provider)
        if choice is None or not self.reachable(choice):
            return False
        return not protocols or bool(set(choice.provider.protocols) & protocols)

    def chain_key(self, tool: str | None) -> str:
        return DEFAULT_TOOL if self.shared_chain or tool is None else tool

    def chain(self, tool: str | None) -> list[ChainEntry]:
        """The order for `tool` (or the shared one): what the user arranged, else a suggested order."""
        key = self.chain_key(tool)
        candidates = self.candidates(None if key == DEFAULT_TOOL else key)
        if key in self.chains_edited or key in self.chains:
            kept = [e for e in self.chains.get(key, []) if e in candidates]
            if key in self.chains_edited:
                return kept
            # A previous setup's chain: keep its order, then offer the current setups not in it yet.
            current = [e for e in self._current_entries(key) if e not in kept and e in candidates]
            return current + kept
        return self.suggested_chain(key, candidates)

    def _current_entries(self, key: str) -> list[ChainEntry]:
        tools = self.managed_tools if key == DEFAULT_TOOL else [key]
        return [e for e in (self.current_entry(t) for t in tools) if e is not None]

    def suggested_chain(self, key: str, candidates: list[ChainEntry]) -> list[ChainEntry]:
        """Current setup first, then one entry per other provider (its default model): a short sensible order."""
        chain = [e for e in self._current_entries(key) if e in candidates]
        seen = {e.provider for e in chain}
        for entry in candidates:
            if entry.provider not in seen:
                chain.append(entry)
                seen.add(entry.provider)
        return chain

    def set_chain(self, tool: str | None, entries: Sequence[ChainEntry]) -> None:
        key = self.chain_key(tool)
        self.chains[key] = list(entries)
        self.chains_edited.add(key)

    def chain_keys(self) -> list[str]:
        return [DEFAULT_TOOL] if self.shared_chain else list(self.managed_tools)

    # ------------------------------------------------------------ finish

    def plan(self) -> SetupPlan:
        """What Finish writes. Raises ValueError if something still blocks (the pages prevent that)."""
        blockers = self.cloud_blockers()
        if blockers:
            raise ValueError(blockers[0])
        providers = []
        keys: dict[str, str] = {}
        for choice in self.choices.values():
            if not choice.picked and choice.origin is not Origin.EXISTING:
                continue
            if choice.origin is Origin.EXISTING and choice.provider == self.existing.providers.get(choice.name) \
                    and not choice.key:
                continue  # unchanged: rewriting it would be a no-op
            providers.append(choice.provider)
            if choice.key and choice.provider.credential.kind == "keychain":
                keys[choice.name] = choice.key
        chains: dict[str, tuple[ChainEntry, ...]] = {}
        for key in self.chain_keys():
            entries = tuple(self.chain(None if key == DEFAULT_TOOL else key))
            if entries:
                chains[key] = entries
        drop = tuple(t for t in self.managed_tools if self.shared_chain and t in self.existing.chains)
        managed = tuple(self.managed_tools)
        unmanaged = tuple(t for t in self.tools if t not in managed)
        switch = tuple((t, e) for t in managed if self.switch_now and (e := self.switch_target(t)) is not None)
        switched = {t for t, _e in switch}
        replace_plaintext = tuple((t, e) for t, e in self.plaintext_keys() if self.replace_plaintext and
                                  t not in switched)
        return SetupPlan(
            providers=tuple(providers),
            keys=keys,
            chains=chains,
            drop_chains=drop,
            failover_mode=self.failover_mode,
            managed_tools=managed,
            unmanaged_tools=unmanaged,
            start_at_login=self.start_at_login,
            show_tray=self.show_tray,
            switch_tools=switch,
            use_gateway=self.use_gateway,
            replace_plaintext=replace_plaintext,
            low_thresholds={name: amount for name, amount in self.low_thresholds.items()
                            if (c := self.choices.get(name)) is not None and (c.picked or c.origin is Origin.EXISTING)},
        )

    # ------------------------------------------------------------ low balance

    def has_balance_api(self, choice: ProviderChoice) -> bool:
        """Whether Switchover can ask this provider what is left (a threshold then means something)."""
        return has_balance_api(choice.provider, self._balance_settings(), self.catalog)

    def low_below(self, choice: ProviderChoice) -> float | None:
        """The threshold set here, else the one already saved (None: three days of recent spend)."""
        if choice.name in self.low_thresholds:
            return self.low_thresholds[choice.name]
        return self._balance_settings().for_provider(choice.name).low_below

    def set_low_below(self, name: str, amount: float | None) -> None:
        self.low_thresholds[name] = parse_amount(amount, "the low-balance threshold") if amount else None

    def _balance_settings(self) -> BalanceSettings:
        try:
            return load_balance_settings(self.existing)
        except SwitchoverError:
            return BalanceSettings()  # a broken [balance] table is reported by the app, not the wizard

    def plaintext_keys(self) -> list[tuple[str, ChainEntry]]:
        """Managed tools whose adopted key sits in plaintext in their own file and that can fetch it by command
        instead (Claude Code, Codex): (tool, what it uses now)."""
        found = []
        for tool in self.managed_tools:
            entry = self.current_entry(tool)
            choice = self.choices.get(entry.provider) if entry is not None else None
            if entry is not None and entry.model and choice is not None and choice.picked and \
                    tool in choice.plaintext_in and tool in COMMAND_KEY_TOOLS and \
                    choice.provider.credential.kind == "keychain":
                found.append((tool, entry))
        return found

    def switch_target(self, tool: str) -> ChainEntry | None:
        """Where "switch now" would point `tool`: the first entry of its chain it can speak, unless that is what
        it uses already."""
        protocols = set(self.tools[tool].protocols) if tool in self.tools else set()
        for entry in self.chain(tool):
            choice = self.choices.get(entry.provider)
            if choice is not None and (not protocols or set(choice.provider.protocols) & protocols) and \
                    self.works_now(choice):
                return None if entry == self.current_entry(tool) else entry
        return None

    def suggest_shared_chain(self) -> bool:
        """One order for all tools suits a single current setup; tools already on different ones get their own."""
        if any(t != DEFAULT_TOOL for t in self.existing.chains):
            return False
        current = {e for e in (self.current_entry(t) for t in self.managed_tools) if e is not None}
        return len(current) <= 1

    def entry_label(self, entry: ChainEntry) -> str:
        """"DeepSeek deepseek-chat": how people name a choice."""
        choice = self.choices.get(entry.provider)
        name = choice.provider.display_name if choice else entry.provider
        return f"{name} {entry.model}" if entry.model else name

    def provider(self, name: str) -> Provider:
        return self.choices[name].provider

    def summary(self) -> list[str]:
        """Plain sentences for the last page."""
        lines = []
        managed = [self.tools[t].label for t in self.managed_tools]
        lines.append("Tools managed: " + (", ".join(managed) if managed else "none"))
        active = self.active_choices()
        lines.append("Providers: " + (", ".join(c.provider.display_name for c in active) if active else "none"))
        for key in self.chain_keys():
            who = "All tools" if key == DEFAULT_TOOL else self.tools[key].label if key in self.tools else key
            order = " → ".join(self.entry_label(e) for e in self.chain(None if key == DEFAULT_TOOL else key))
            order = order or "nothing reachable yet"
            lines.append(f"{who}: {order}")
        lines.append(f"Failover: {self.failover_mode.value}")
        return lines


def _trusted(current: CurrentChoice | None) -> CurrentChoice | None:
    """What a tool's file says it uses, kept only as far as it obeys `switchover.core.validation`: the file is
    the user's (or anyone's), and what the wizard adopts from it is saved and written into other tools."""
    if current is None:
        return None
    if current.base_url is not None and validation.url_problem(current.base_url) is not None:
        return None
    model = current.model if validation.model_id_problem(current.model) is None else None
    small = current.small_model if validation.model_id_problem(current.small_model) is None else None
    return replace(current, model=model, small_model=small)
