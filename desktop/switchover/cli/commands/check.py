"""`switchover check` (is each provider usable right now, and if not, why) and `switchover discover`."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from switchover.cli.context import NO_PROVIDERS, CliContext, add_json_flag, add_provider_names, table
from switchover.core.errors import ValidationError
from switchover.core.health import statuses
from switchover.core.health.parallel import DEFAULT_MAX_PARALLEL, MAX_PARALLEL_RANGE, max_parallel
from switchover.core.health.results import HealthResult, Tier
from switchover.core.providers import Protocol

# The HTTP stack, the history and the catalog are imported by the handlers: `switchover --help` stays light.

log = logging.getLogger(__name__)


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def register(subparsers: Any) -> None:
    check = subparsers.add_parser(
        "check",
        help="health-check providers and say why any does not work",
        description=(
            "Check providers concurrently. Tiers: reach (network path only, no key sent), auth (default: "
            "the model list with your key), deep (a 1-token request per provider: proves quota and region, "
            "costs a few tokens). Exits 0 only when every checked endpoint is ok or slow."
        ),
    )
    add_provider_names(check, "check")
    check.add_argument("--tier", choices=[t.value for t in Tier], default=Tier.AUTH.value)
    check.add_argument("--protocol", choices=[p.value for p in Protocol],
                       help="check this protocol's endpoint (default: each provider's first endpoint)")
    check.add_argument("--timeout", type=_positive_float, default=15.0, metavar="S",
                       help="give up on an endpoint after S seconds (default 15)")
    check.add_argument("--slow-ms", type=float, default=4000.0, metavar="MS",
                       help="report answers slower than this as slow (default 4000)")
    check.add_argument("--max-parallel", type=_max_parallel, default=DEFAULT_MAX_PARALLEL, metavar="N",
                       help=f"check at most N endpoints at once ({MAX_PARALLEL_RANGE[0]}-{MAX_PARALLEL_RANGE[1]}, "
                       f"default {DEFAULT_MAX_PARALLEL})")
    add_json_flag(check)
    check.set_defaults(handler=run_check)

    discover = subparsers.add_parser("discover", help="find model servers running on this machine")
    discover.add_argument("--port", type=int, action="append", default=[], metavar="N",
                          help="also probe this port (repeatable)")
    add_json_flag(discover)
    discover.set_defaults(handler=run_discover)


def _max_parallel(text: str) -> int:
    try:
        return max_parallel(int(text), "--max-parallel")
    except (ValueError, ValidationError):
        low, high = MAX_PARALLEL_RANGE
        raise argparse.ArgumentTypeError(f"must be a whole number from {low} to {high}") from None


def run_check(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.core.health.history import HealthHistory
    from switchover.core.health.http import HttpLimits
    from switchover.core.health.runner import CheckOptions
    from switchover.services.probes import build_probes, first_endpoints, sweep

    providers = ctx.chosen_providers(args.names)
    if not providers:
        return ctx.fail(NO_PROVIDERS)
    tier = Tier(args.tier)
    protocol = Protocol(args.protocol) if args.protocol else None
    specs, skipped = first_endpoints(providers, protocol)
    for name in skipped:
        ctx.warn(f"{name} has no {args.protocol} endpoint; skipped")
    probes = build_probes(specs, tier, ctx.keys())
    if tier is Tier.DEEP and not args.json:
        ctx.warn("deep checks send a 1-token request to each provider's model; this costs a few tokens")
    timeout = float(args.timeout)
    limits = HttpLimits(connect_timeout_s=min(5.0, timeout), read_timeout_s=timeout, total_timeout_s=timeout)
    options = CheckOptions(limits=limits, slow_ms=args.slow_ms, max_parallel=args.max_parallel)
    results = sweep(probes, tier, options, history=HealthHistory(),
                    on_history_error=lambda exc: ctx.warn(f"could not save the check history: {exc}"))
    if args.json:
        ctx.emit_json([r.to_json() for r in results])
    else:
        _print_table(results, ctx)
    return 0 if results and all(r.healthy for r in results) else 1


def _print_table(results: list[HealthResult], ctx: CliContext) -> None:
    rows = [
        [
            r.provider,
            r.protocol,
            statuses.label(r.status),
            f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "-",
            str(r.http_status) if r.http_status is not None else "-",
            r.reason,
        ]
        for r in results
    ]
    ctx.out(table(rows, ["PROVIDER", "PROTOCOL", "STATUS", "LATENCY", "HTTP", "WHY"]))


def run_discover(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.core.health.discovery import default_ports, discover_local_sync

    servers = discover_local_sync(extra_ports=args.port)
    if args.json:
        ctx.emit_json([{**s.to_json(), "preset": s.to_provider().preset} for s in servers])
        return 0
    if not servers:
        ports = sorted({*default_ports(), *args.port})
        ctx.out(f"No local model servers found (looked on 127.0.0.1 ports {', '.join(map(str, ports))}).")
        return 0
    rows = [
        [s.label, s.base_url, s.version or "-", ", ".join(s.models[:4]) + (" …" if len(s.models) > 4 else "")]
        for s in servers
    ]
    ctx.out(table(rows, ["SERVER", "URL", "VERSION", "MODELS"]))
    for server in servers:
        for note in server.notes:
            ctx.warn(f"{server.label} on port {server.port}: {note}")
    ctx.out("")
    for server in servers:
        provider = server.to_provider()
        if provider.preset and server.port == _default_port(provider.preset):
            ctx.out(f"Add it: switchover provider add {provider.name} --preset {provider.preset} --no-key")
            continue
        flags = " ".join(
            f"--{_URL_FLAG[e.protocol]} {e.base_url}" for e in provider.endpoints if e.protocol in _URL_FLAG
        )
        ctx.out(f"Add it: switchover provider add {provider.name} {flags} --no-key")
    return 0


_URL_FLAG = {
    Protocol.ANTHROPIC: "anthropic-url",
    Protocol.OPENAI_CHAT: "openai-url",
    Protocol.OPENAI_RESPONSES: "responses-url",
    Protocol.OLLAMA: "ollama-url",
}


def _default_port(preset_id: str) -> int | None:
    from switchover.core.catalog import default_catalog

    preset = default_catalog().find(preset_id)
    return preset.default_port if preset else None
