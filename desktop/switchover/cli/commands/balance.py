"""`switchover balance`: what is left to spend at each prepaid provider, before requests start failing."""

from __future__ import annotations

import argparse
import math
from typing import Any

from switchover.cli.context import NO_PROVIDERS, CliContext, add_json_flag, add_provider_names, table
from switchover.core.balance.forecast import result_forecast
from switchover.core.balance.results import BalanceResult, BalanceStatus, format_money
from switchover.core.store import edit_store

_UNSET: Any = object()


def _amount_or_off(text: str) -> float | None:
    if text.strip().lower() in ("off", "none", "auto"):
        return None
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be an amount such as 5 or 12.50, or 'off'") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("must be a positive amount, or 'off'")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "balance",
        help="show what is left to spend at each provider (and when it runs out)",
        description=(
            "Ask each provider with a documented balance API (DeepSeek, Moonshot, OpenRouter, SiliconFlow) what "
            "is left, and classify it: ok, low (below your threshold, or below three days of recent spend), "
            "empty, or why it could not be asked. Providers without a balance API say so; their spend is "
            "counted from the requests the gateway relays (switchover usage). Exits 0 unless a balance is low "
            "or empty or could not be read."
        ),
    )
    add_provider_names(parser, "ask")
    parser.add_argument("--low-below", type=_amount_or_off, metavar="AMOUNT", default=_UNSET,
                        help="set the named providers' low threshold (in the balance's currency), or 'off' to go "
                             "back to the default (three days of recent spend)")
    add_json_flag(parser)
    parser.set_defaults(handler=run_balance)


def run_balance(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.low_below is not _UNSET:
        return _set_threshold(args, ctx)
    store = ctx.store()
    providers = ctx.chosen_providers(args.names)
    if not providers:
        return ctx.fail(NO_PROVIDERS)
    from switchover.core.balance.checks import check_providers

    results = check_providers(providers, store, keychain=ctx.keychain())
    labels = {p.name: p.display_name for p in providers}
    if args.json:
        ctx.emit_json([{**r.to_json(), "label": labels.get(r.provider, r.provider),
                        "forecast": result_forecast(r, labels.get(r.provider, r.provider))} for r in results])
    else:
        _print(results, labels, ctx)
    troubled = [r for r in results if r.status in (BalanceStatus.LOW, BalanceStatus.EMPTY) or r.status.is_failure]
    return 1 if troubled else 0


def _set_threshold(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.core.balance.settings import set_low_threshold

    if not args.names:
        return ctx.fail("Name the providers whose threshold to set, e.g. switchover balance deepseek --low-below 5")
    with edit_store() as store:
        for name in args.names:
            set_low_threshold(store, name, args.low_below)
    what = f"below {args.low_below:g}" if args.low_below is not None else "by recent spend (three days' worth)"
    ctx.out(f"Low balance for {', '.join(args.names)} now means {what}.")
    return 0


def _print(results: list[BalanceResult], labels: dict[str, str], ctx: CliContext) -> None:
    rows = []
    for r in results:
        low = "-" if r.threshold is None else format_money(r.threshold, r.currency) + (
            " (3 days' spend)" if r.threshold_source == "spend" else "")
        why = result_forecast(r, labels.get(r.provider, r.provider)) if r.status.has_amount else None
        rows.append([r.provider, r.status.value, r.money(), low, why or r.reason])
    ctx.out(table(rows, ["PROVIDER", "STATUS", "BALANCE", "LOW BELOW", "WHY"]))
