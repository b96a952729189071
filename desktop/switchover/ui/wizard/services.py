"""What the wizard needs from the rest of Switchover, injected so tests point it at 127.0.0.1 and a tmp HOME.

Every function here blocks (files, keychain, network) and runs on a worker thread through the task manager;
none touches Qt. Defaults are the real things: the shipped catalog, every target, the OS keychain,
loopback discovery on the well-known ports, the auth-tier health check, the store file, start-at-login.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from switchover.core import paths
from switchover.core.catalog import Catalog, default_catalog
from switchover.core.errors import SwitchoverError
from switchover.core.health.discovery import LocalServer, discover_local_sync
from switchover.core.health.results import HealthResult, HealthStatus, Tier
from switchover.core.health.runner import CheckOptions
from switchover.core.providers import Provider
from switchover.core.secrets import Keychain, KeychainError
from switchover.core.store import ChainEntry, Store, edit_store, load_store
from switchover.core.switching.contract import Target, ToolEnv
from switchover.services import switching as switching_services
from switchover.services.keys import KeySource
from switchover.services.probes import build_probes, every_endpoint, sweep
from switchover.ui.switch_verdict import verdict_text
from switchover.ui.wizard.draft import MISSING_KEY_TITLE, DetectedTool, SetupPlan, Verdict

if TYPE_CHECKING:
    from switchover.core.switching.engine import SwitchEngine, SwitchResult

log = logging.getLogger(__name__)
ResultSink = Callable[[HealthResult], None]


class StartAtLogin(Protocol):
    def set_enabled(self, enabled: bool) -> None: ...


@dataclass(frozen=True)
class SwitchPreview:
    """What "switch now" would change in one tool's files (a redacted unified diff), or why it cannot."""

    tool: str
    label: str
    entry: ChainEntry
    diff: str = ""
    warnings: tuple[str, ...] = ()
    error: str | None = None

    def text(self) -> str:
        head = f"# {self.label} → {self.entry}"
        if self.error:
            return f"{head}\n# not possible: {self.error}\n"
        lines = [head, *(f"# warning: {w}" for w in self.warnings), self.diff or "# (no change needed)\n"]
        return "\n".join(lines)


class SetupSwitcher(Protocol):
    """Re-points tools. `preview` writes nothing; `switch` writes through the engine (backups, journal, undo)."""

    def preview(self, tool: str, provider: Provider, model: str) -> SwitchPreview: ...

    def switch(self, tool: str, provider: Provider, model: str) -> str: ...


class EngineSetupSwitcher:
    """"Switch now" through `switchover.core.switching` (plan all, back up, journal, atomic writes, undo)."""

    def __init__(self, targets: Sequence[Target], env: ToolEnv, keychain: Callable[[], Keychain],
                 data_dir: Path | None = None) -> None:
        self.targets = list(targets)
        self.labels = {t.id: t.label for t in targets}
        self.env = env
        self.keychain = keychain
        self.data_dir = data_dir

    def _engine(self) -> SwitchEngine:
        return switching_services.make_engine(self.env, self.targets, self.data_dir)

    def _use(self, tool: str, provider: Provider, model: str, dry_run: bool,
             via_gateway: bool = False) -> SwitchResult:
        request = switching_services.switch_request(provider, model, provider.small_model, KeySource(self.keychain))
        if via_gateway:  # the tool's route serves the choice; its config names the route (once)
            from switchover.services.gateway_tools import use_with_gateway

            done = use_with_gateway(self._engine(), provider, model, provider.small_model, [tool], "via",
                                    lambda: request, dry_run=dry_run, env=self.env)
            return done.switches[0]
        return self._engine().use(request, [tool], dry_run=dry_run, want_diff=dry_run)

    def preview(self, tool: str, provider: Provider, model: str, via_gateway: bool = False) -> SwitchPreview:
        label = self.labels.get(tool, tool)
        entry = ChainEntry(provider.name, model)
        try:
            result = self._use(tool, provider, model, dry_run=True, via_gateway=via_gateway)
        except SwitchoverError as exc:
            return SwitchPreview(tool, label, entry, error=str(exc))
        warnings = tuple(w for o in result.outcomes for w in o.warnings)
        return SwitchPreview(tool, label, entry, result.diff, warnings)

    def switch(self, tool: str, provider: Provider, model: str, via_gateway: bool = False) -> str:
        """Switch, then verify like `switchover use`: the note ends with how the tool's endpoint answers now."""
        result = self._use(tool, provider, model, dry_run=False, via_gateway=via_gateway)
        if not result.ok:
            raise SwitchoverError(f"the switch did not complete ({switching_services.switch_problems(result)})")
        if via_gateway:
            return (f"{self.labels.get(tool, tool)} now goes through Switchover's gateway, which serves "
                    f"{provider.display_name} {model} (and fails over down its order).")
        reports = switching_services.verify_switch(self._engine(), result, provider, KeySource(self.keychain))
        verdict = "; ".join(verdict_text(r) for r in reports if r.tool == tool)
        return f"{self.labels.get(tool, tool)} now uses {provider.display_name} {model}." + (
            f" Check: {verdict}" if verdict else "")


def _default_targets() -> list[Target]:
    return switching_services.all_targets()


@dataclass
class WizardServices:
    """Everything the wizard reads or writes outside itself. Tests replace the parts that reach out."""

    catalog: Catalog = field(default_factory=default_catalog)
    targets: Sequence[Target] = field(default_factory=_default_targets)
    tool_env: ToolEnv = field(default_factory=ToolEnv.current)
    keychain: Callable[[], Keychain] = Keychain
    discover: Callable[[], list[LocalServer]] = discover_local_sync
    check_options: CheckOptions = field(default_factory=CheckOptions)
    store_path: Path | None = None
    start_at_login: StartAtLogin | None = None
    switcher: SetupSwitcher | None = None
    can_switch: bool = True  # offer "switch now" on the last page
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))

    def __post_init__(self) -> None:
        if self.switcher is None:
            self.switcher = EngineSetupSwitcher(self.targets, self.tool_env, self.keychain)

    def resolved_store_path(self) -> Path:
        return self.store_path or paths.store_file()

    def autostart(self) -> StartAtLogin:
        if self.start_at_login is None:
            from switchover.ui.autostart import Autostart

            self.start_at_login = Autostart()
        return self.start_at_login

    # ------------------------------------------------------------ worker-thread operations

    def load_store(self) -> Store:
        return load_store(self.resolved_store_path())

    def keychain_status(self) -> tuple[bool, str | None]:
        try:
            status = self.keychain().status()
        except Exception as exc:  # a broken backend is "no keychain", with its reason
            return False, f"The keychain could not be opened: {type(exc).__name__}: {exc}"
        return status.usable, status.problem

    def stored_keys(self, store: Store) -> set[str] | None:
        """Which keychain providers really have a key stored (None when the keychain cannot be read)."""
        try:
            keychain = self.keychain()
            return {p.name for p in store.providers.values()
                    if p.credential.kind == "keychain" and keychain.get(p.name)}
        except Exception as exc:  # locked or broken: the wizard assumes stored keys are there, as before
            log.info("cannot list stored keys: %s", exc)
            return None

    def detect_tools(self) -> list[DetectedTool]:
        found = []
        for target in self.targets:
            problem = None
            current = None
            present = False
            try:
                detection = target.detect(self.tool_env)
                installed = detection.installed
                config = str(detection.config_paths[0]) if detection.config_paths else None
                present = detection.binary is not None or any(p.exists() for p in detection.config_paths)
            except (SwitchoverError, OSError) as exc:
                installed, config, problem = False, None, str(exc)
            found_key = None
            if problem is None:
                try:
                    current = target.current(self.tool_env)
                    found_key = target.current_key(self.tool_env) if current is not None else None
                except Exception as exc:  # one odd file: that tool is "unreadable", the wizard goes on
                    problem = str(exc) if isinstance(exc, SwitchoverError) else f"{type(exc).__name__}: {exc}"
            found.append(DetectedTool(target.id, target.label, target.protocols, installed, config, current,
                                      problem, present and installed, found_key))
        return found

    def check(self, items: Sequence[tuple[Provider, str | None]], on_result: ResultSink | None = None,
              tier: Tier = Tier.AUTH) -> dict[str, Verdict]:
        """Check providers (typed key, else their stored credential); one verdict per provider name."""
        typed = {provider.name: key for provider, key in items if key is not None}
        probes = build_probes(every_endpoint(p for p, _key in items), tier, KeySource(self.keychain), typed)
        verdicts: dict[str, Verdict] = {}
        for problem in probes.unresolved:  # no key, or the keychain is locked or unavailable: say so, do not guess
            title = "Key not readable" if problem.endpoint_key in probes.keychain_unusable else MISSING_KEY_TITLE
            verdicts.setdefault(problem.provider, Verdict(HealthStatus.AUTH_FAILED, problem.reason, title=title))
        probes.unresolved = []
        results = sweep(probes, tier, self.check_options, on_result=on_result)
        for provider, _key in items:
            if provider.name not in verdicts:
                verdicts[provider.name] = Verdict.from_results([r for r in results if r.provider == provider.name])
        return verdicts

    def apply(self, plan: SetupPlan, progress: Callable[[str], None] | None = None) -> list[str]:
        """Finish: keys into the keychain, then the store in one locked edit, then login item, then switches.

        If the store cannot be written, keys stored by this call are put back as they were, so a failed
        Finish leaves no half-made setup. Returns human-readable notes (e.g. switch results).
        """
        say = progress or (lambda _m: None)
        notes: list[str] = []
        previous: dict[str, str | None] = {}
        keychain = self.keychain() if plan.keys else None
        try:
            for name, key in plan.keys.items():
                assert keychain is not None
                say(f"Saving the key for {name} in the keychain…")
                previous[name] = keychain.get(name)
                keychain.set(name, key)
            say("Saving providers and fallback order…")
            with edit_store(self.resolved_store_path()) as store:
                plan.apply_to(store)
        except BaseException:
            for name, old in previous.items():
                assert keychain is not None
                try:
                    if old is None:
                        keychain.delete(name)
                    else:
                        keychain.set(name, old)
                except KeychainError as exc:
                    log.warning("could not restore the key for %s: %s", name, exc)
            raise
        try:
            say("Updating start at login…")
            self.autostart().set_enabled(plan.start_at_login)
        except OSError as exc:
            notes.append(f"Start at login could not be changed: {exc}")
        if plan.switch_tools:
            store = self.load_store()
            assert self.switcher is not None
            for tool, entry in plan.switch_tools:
                say(f"Switching {tool} to {entry}…")
                try:
                    via = {"via_gateway": True} if plan.use_gateway else {}
                    notes.append(self.switcher.switch(tool, store.get(entry.provider), _model(store, entry), **via))
                except SwitchoverError as exc:
                    notes.append(f"{tool}: not switched: {exc}")
        for tool, entry in plan.replace_plaintext:
            say(f"Taking the plaintext key out of {tool}'s settings…")
            assert self.switcher is not None
            try:
                store = self.load_store()
                note = self.switcher.switch(tool, store.get(entry.provider), _model(store, entry))
                notes.append(f"{note} Its key now comes from the keychain (the plaintext copy is gone from its "
                             "file; `switchover undo` puts it back).")
            except SwitchoverError as exc:
                notes.append(f"{tool}: the plaintext key stays in its file: {exc}")
        return notes


def _model(store: Store, entry: ChainEntry) -> str:
    return entry.model or store.get(entry.provider).default_model or ""


def previews(services: WizardServices, items: Sequence[tuple[str, Provider, ChainEntry]],
             via_gateway: bool = False) -> list[SwitchPreview]:
    """Diff previews for "switch now" (worker thread); nothing is written."""
    assert services.switcher is not None
    via = {"via_gateway": True} if via_gateway else {}
    return [services.switcher.preview(tool, provider, entry.model or provider.default_model or "", **via)
            for tool, provider, entry in items]
