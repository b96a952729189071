"""`switchover provider add|list|show|remove|key` and `switchover presets`."""

from __future__ import annotations

import argparse
import contextlib
import os
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from switchover.cli.context import CliContext, add_json_flag, table
from switchover.core.errors import ValidationError
from switchover.core.providers import Credential, Endpoint, Protocol, Provider, validate_name, validate_url
from switchover.core.secrets import KeychainError
from switchover.core.store import edit_store

if TYPE_CHECKING:  # the catalog and the engine are imported by the handlers that use them (`--help` stays light)
    from switchover.core.catalog import Preset
    from switchover.core.switching.usage import ToolUse

_URL_FLAGS = {
    "anthropic_url": Protocol.ANTHROPIC,
    "openai_url": Protocol.OPENAI_CHAT,
    "responses_url": Protocol.OPENAI_RESPONSES,
    "gemini_url": Protocol.GEMINI,
    "ollama_url": Protocol.OLLAMA,
}


def _add_key_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--key-stdin", action="store_true", help="read the key from standard input (one line)")
    group.add_argument("--key-env", metavar="VAR", help="take the key from environment variable VAR at use")
    group.add_argument("--no-key", action="store_true", help="the endpoint needs no key (local servers)")


def register(subparsers: Any) -> None:
    provider = subparsers.add_parser("provider", help="add, list, show or remove providers")
    actions = provider.add_subparsers(dest="action", metavar="ACTION", required=True)

    add = actions.add_parser("add", help="add a provider from a preset or from your own URLs")
    add.add_argument("name", help="your name for it, e.g. deepseek or ollama-laptop")
    add.add_argument("--preset", help="start from a preset (see `switchover presets`)")
    add.add_argument("--anthropic-url", help="Anthropic Messages base URL (client appends /v1/messages)")
    add.add_argument("--openai-url", help="OpenAI chat completions base URL, including /v1")
    add.add_argument("--responses-url", help="OpenAI Responses base URL, including /v1")
    add.add_argument("--gemini-url", help="Gemini API root URL")
    add.add_argument("--ollama-url", help="Ollama native API root URL")
    add.add_argument("--models-url", help="URL that lists models (default: derived from the endpoints)")
    add.add_argument("--model", action="append", default=[], metavar="M", help="model id (repeatable)")
    add.add_argument("--small-model", metavar="S", help="small/fast model for background tasks")
    add.add_argument("--label", help="display name")
    add.add_argument("--replace", action="store_true", help="replace an existing provider of that name")
    add.add_argument("--force", action="store_true",
                     help="with --replace: also when tools use its old URLs (they are re-pointed at the new ones)")
    _add_key_options(add)
    add_json_flag(add)
    add.set_defaults(handler=run_add)

    lst = actions.add_parser("list", help="list configured providers")
    add_json_flag(lst)
    lst.set_defaults(handler=run_list)

    show = actions.add_parser("show", help="show one provider (and whether its key is present)")
    show.add_argument("name")
    add_json_flag(show)
    show.set_defaults(handler=run_show)

    remove = actions.add_parser("remove", help="remove a provider and its keychain entry")
    remove.add_argument("name")
    remove.add_argument("--force", action="store_true",
                        help="remove it even while tools use it or files hold its key (they are listed)")
    remove.set_defaults(handler=run_remove)

    key = actions.add_parser("key", help="set or change where a provider's key comes from")
    key.add_argument("name")
    _add_key_options(key)
    key.set_defaults(handler=run_set_key)

    presets = subparsers.add_parser("presets", help="list the provider presets Switchover knows")
    add_json_flag(presets)
    presets.set_defaults(handler=run_presets)


# ---------------------------------------------------------------- helpers


def provider_to_json(provider: Provider, key_state: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": provider.name,
        "label": provider.display_name,
        "preset": provider.preset,
        "endpoints": {e.protocol.value: {"url": e.base_url, "auth": e.auth.value} for e in provider.endpoints},
        "models": list(provider.models),
        "small_model": provider.small_model,
        "credential": provider.credential.to_store(),
        "local": provider.is_local,
        "models_url": (provider.model_list_url() or (None,))[0],
    }
    if key_state is not None:
        data["key"] = key_state
    return data


def preset_to_json(preset: Preset) -> dict[str, Any]:
    return {
        "id": preset.id,
        "label": preset.label,
        "protocols": {e.protocol.value: {"url": e.base_url, "auth": e.auth.value} for e in preset.endpoints},
        "models": list(preset.models),
        "small_models": list(preset.small_models),
        "needs_key": preset.needs_key,
        "local": preset.local,
        "region": preset.region,
        "models_url": preset.models_url,
        "key_env": preset.key_env,
        "notes": preset.notes,
    }


def _credential_from_args(args: argparse.Namespace, needs_key: bool, ctx: CliContext) -> Credential:
    """Where the key comes from. A key-needing provider without a key option asks for the key on a terminal
    (hidden input, stored in the keychain) and fails with what to pass anywhere else (scripts, pipes)."""
    if args.key_env:
        return Credential.env(args.key_env)
    if args.no_key:
        return Credential.none()
    if args.key_stdin or not needs_key:
        return Credential.keychain() if args.key_stdin else Credential.none()
    if ctx.stdin.isatty():
        args.ask_key = True
        return Credential.keychain()
    raise ValidationError(
        "This provider needs a key, and standard input is not a terminal to ask for it: pass --key-stdin "
        "(stored in the OS keychain), --key-env VAR, or --no-key if the endpoint really takes none."
    )


def _read_key(ctx: CliContext, args: argparse.Namespace, label: str) -> str:
    if getattr(args, "ask_key", False):
        import getpass

        key = getpass.getpass(f"API key for {label} (typing is hidden; stored in the OS keychain): ").strip()
        if not key:
            raise ValidationError("No key was entered; nothing was saved.")
        return key
    line = ctx.stdin.readline()
    key = line.strip()
    if not key:
        raise ValidationError("--key-stdin was given but standard input held no key.")
    return key


def _build_provider(args: argparse.Namespace, ctx: CliContext) -> Provider:
    name = validate_name(args.name)
    custom = {proto: getattr(args, flag) for flag, proto in _URL_FLAGS.items() if getattr(args, flag)}
    if args.preset:
        preset = ctx.catalog().get(args.preset)
        credential = _credential_from_args(args, preset.needs_key, ctx)
        provider = preset.to_provider(name, tuple(args.model), args.small_model, credential)
        if custom:  # user URLs override the preset's for those protocols
            kept = [e for e in provider.endpoints if e.protocol not in custom]
            added = tuple(Endpoint.make(p, u) for p, u in custom.items())
            provider = replace(provider, endpoints=(*kept, *added))
    else:
        if not custom:
            raise ValidationError(
                "Give --preset PRESET (see `switchover presets`) or at least one endpoint URL "
                "(--anthropic-url, --openai-url, --responses-url, --gemini-url, --ollama-url)."
            )
        endpoints = tuple(Endpoint.make(p, u) for p, u in custom.items())
        credential = _credential_from_args(args, not Provider(name, endpoints).is_local, ctx)
        provider = Provider(
            name=name,
            endpoints=endpoints,
            models=tuple(args.model),
            small_model=args.small_model,
            credential=credential,
        )
    if args.models_url:
        provider = replace(provider, models_url=validate_url(args.models_url, "models URL"))
    if args.label:
        provider = replace(provider, label=args.label)
    return provider


# ---------------------------------------------------------------- handlers


def run_add(args: argparse.Namespace, ctx: CliContext) -> int:
    provider = _build_provider(args, ctx)
    if provider.name in ctx.store().providers and not args.replace:  # before asking for a key in vain
        raise ValidationError(f"A provider named {provider.name!r} exists already; use --replace or another name.")
    key = _read_key(ctx, args, provider.display_name) if provider.credential.kind == "keychain" else None
    repointed: list[str] = []
    with edit_store() as store:
        old = store.providers.get(provider.name)
        if old is not None and not args.replace:
            raise ValidationError(
                f"A provider named {provider.name!r} exists already; use --replace or another name."
            )
        stranded = _stranded_tools(old, provider, args.force) if old is not None else ()
        restore = _key_restorer(ctx, provider.name) if key is not None and stranded else None
        if key is not None:  # keychain first: if it fails, nothing is saved
            ctx.keychain().set(provider.name, key)
        store.add(provider, replace=True)
        if stranded:
            try:
                repointed = _repoint(ctx, provider, stranded)
            except BaseException:
                if restore is not None:
                    restore()
                raise
    if args.json:
        ctx.emit_json(provider_to_json(provider))
    else:
        where = provider.credential.describe()
        ctx.out(f"Added {provider.name} ({provider.display_name}; {where}).")
        for line in repointed:
            ctx.out(f"  {line}")
        if not provider.models:
            ctx.out("No models listed yet: add some with --model, or run `switchover check` to list them.")
    return 0


def _stranded_tools(old: Provider, new: Provider, force: bool) -> tuple[ToolUse, ...]:
    """Tools pointed at a URL of `old` that `new` drops: refused without --force (issue 12, finding 6)."""
    from switchover.core.switching.usage import provider_usage, stranded_by
    from switchover.services.switching import make_engine

    stranded = stranded_by(new, provider_usage(make_engine(), old))
    if stranded and not force:
        names = ", ".join(f"{t.label} ({t.base_url})" for t in stranded)
        raise ValidationError(
            f"{old.name} is in use at URLs the new settings drop: {names}. Their key comes from "
            f"`switchover key {old.name}`, so they would send the new key to the old host. Nothing was changed. "
            "Add --force to replace it and re-point those tools at the new URLs now, or switch them elsewhere "
            "first (switchover use OTHER --tool TOOL)."
        )
    return stranded


def _key_restorer(ctx: CliContext, name: str) -> Callable[[], None]:
    """Undo a keychain write if the rest of the step fails: the old key back, or no key at all."""
    previous = None
    with contextlib.suppress(KeychainError):
        previous = ctx.keychain().get(name)

    def restore() -> None:
        with contextlib.suppress(KeychainError):
            if previous is not None:
                ctx.keychain().set(name, previous)
            else:
                ctx.keychain().delete(name)

    return restore


def _repoint(ctx: CliContext, provider: Provider, stranded: tuple[ToolUse, ...]) -> list[str]:
    """Point the stranded tools at `provider`'s new URLs in this same step; all or nothing."""
    from switchover.services.switching import make_engine, switch_request

    models = {t.model for t in stranded}
    model = next(iter(models)) if len(models) == 1 and next(iter(models)) in provider.models else None
    model = model or provider.default_model
    if model is None:
        raise ValidationError(f"{provider.name} lists no models to re-point its tools with; add one with --model.")
    result = make_engine().use(switch_request(provider, model, provider.small_model, ctx.keys()),
                               [t.tool for t in stranded], skip_refused=False)
    return [f"{o.label}: re-pointed at the new URL ({o.status})" for o in result.outcomes]


def run_list(args: argparse.Namespace, ctx: CliContext) -> int:
    providers = list(ctx.store().providers.values())
    if args.json:
        ctx.emit_json([provider_to_json(p) for p in providers])
        return 0
    if not providers:
        ctx.out("No providers yet. Add one: switchover provider add NAME --preset PRESET --key-stdin")
        return 0
    rows = [
        [
            p.name,
            p.display_name,
            ",".join(e.protocol.value for e in p.endpoints),
            p.default_model or "-",
            p.credential.to_store(),
        ]
        for p in providers
    ]
    ctx.out(table(rows, ["NAME", "LABEL", "PROTOCOLS", "MODEL", "KEY"]))
    return 0


def _key_state(provider: Provider, ctx: CliContext) -> str:
    credential = provider.credential
    if credential.kind == "none":
        return "none"
    if credential.kind == "env":
        return "set" if os.environ.get(credential.env_var or "") else "missing"
    try:
        return "stored" if ctx.keychain().get(provider.name) else "missing"
    except KeychainError as exc:
        ctx.warn(str(exc))
        return "unknown"


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    provider = ctx.store().get(args.name)
    state = _key_state(provider, ctx)
    if args.json:
        ctx.emit_json(provider_to_json(provider, state))
        return 0
    ctx.out(f"{provider.name}: {provider.display_name}" + (f" (preset {provider.preset})" if provider.preset else ""))
    for endpoint in provider.endpoints:
        ctx.out(f"  {endpoint.protocol.value:17} {endpoint.base_url}  [{endpoint.auth.value}]")
    ctx.out(f"  models            {', '.join(provider.models) or '-'}")
    ctx.out(f"  small model       {provider.small_model or '-'}")
    ctx.out(f"  key               {provider.credential.describe()} ({state})")
    return 0


def run_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.core.switching.usage import provider_usage
    from switchover.services.switching import make_engine

    with edit_store() as store:
        usage = provider_usage(make_engine(), store.get(args.name))
        if usage.in_use and not args.force:
            raise ValidationError(
                f"{args.name} is still in use: " + "; ".join(usage.describe()) + ". Nothing was changed. Switch "
                "those tools to another provider first (switchover use OTHER), or add --force to remove it anyway "
                "(tools then get no key from Switchover, and the files keep the key until you switch them)."
            )
        provider = store.remove(args.name)
    for line in usage.describe():
        ctx.warn(f"removed anyway: {line}")
    if provider.credential.kind == "keychain":
        try:
            ctx.keychain().delete(provider.name)
        except KeychainError as exc:
            ctx.warn(f"Removed {provider.name}, but its keychain entry could not be deleted: {exc}")
            return 0
    ctx.out(f"Removed {provider.name}.")
    return 0


def run_set_key(args: argparse.Namespace, ctx: CliContext) -> int:
    with edit_store() as store:
        provider = store.get(args.name)
        credential = _credential_from_args(args, True, ctx)
        if credential.kind == "keychain":
            ctx.keychain().set(provider.name, _read_key(ctx, args, provider.display_name))
        store.add(replace(provider, credential=credential), replace=True)
    if credential.kind != "keychain" and provider.credential.kind == "keychain":
        try:
            ctx.keychain().delete(provider.name)
        except KeychainError as exc:
            ctx.warn(f"The old keychain entry could not be deleted: {exc}")
    ctx.out(f"{provider.name}: {credential.describe()}.")
    return 0


def run_presets(args: argparse.Namespace, ctx: CliContext) -> int:
    presets = list(ctx.catalog())
    if args.json:
        ctx.emit_json([preset_to_json(p) for p in presets])
        return 0
    rows = [
        [p.id, p.label, ",".join(x.value for x in p.protocols), p.models[0] if p.models else "-"]
        for p in presets
    ]
    ctx.out(table(rows, ["PRESET", "LABEL", "PROTOCOLS", "SUGGESTED MODEL"]))
    return 0
