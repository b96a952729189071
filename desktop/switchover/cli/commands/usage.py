"""`switchover usage`: what each tool, provider or model spent, counted from the gateway's requests."""

from __future__ import annotations

import argparse
from typing import Any

from switchover.cli.context import CliContext, add_json_flag, table
from switchover.core.balance.results import format_money
from switchover.core.spend.usage import MAX_DAYS, Group, GroupBy


def _days(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a whole number of days") from None
    if not 1 <= value <= MAX_DAYS:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_DAYS} days")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "usage",
        help="show what each tool, provider or model spent (counted by the gateway)",
        description=(
            "Tokens counted from every request the gateway relayed (each response's own usage fields, streamed "
            "ones included), priced from the price table (switchover prices), per tool, provider, model or day. "
            "Where a balance and a spend rate are both known, says when the money runs out."
        ),
    )
    parser.add_argument("--days", type=_days, default=7, metavar="N", help="the last N days (default 7)")
    parser.add_argument("--by", choices=[b.value for b in GroupBy], default=GroupBy.PROVIDER.value,
                        help="group by tool, provider, model or day (default provider)")
    add_json_flag(parser)
    parser.set_defaults(handler=run_usage)


def _tokens(count: int) -> str:
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if count >= size:
            return f"{count / size:.1f}{unit}"
    return str(count)


def _cost(group: Group) -> str:
    if not group.cost:
        return "no price" if group.unpriced_tokens else "-"
    text = " + ".join(format_money(v, c) for c, v in sorted(group.cost.items(), key=lambda item: -item[1]))
    return ("~" + text) if group.estimated else text


def run_usage(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.services.spend import load_report

    by = GroupBy(args.by)
    report = load_report(ctx.store(), days=args.days)
    if args.json:
        ctx.emit_json(report.to_json(by))
        return 0
    groups = report.groups.get(by, [])
    if not groups:
        ctx.out(f"Nothing counted in the last {args.days} days. Spend is counted from requests the gateway relays: "
                "switchover use PROVIDER/MODEL --tool TOOL --via-gateway")
        return 0
    rows = [[report.label(by, g.key), str(g.requests), _tokens(g.tokens.input), _tokens(g.tokens.cached_input),
             _tokens(g.tokens.output), _cost(g)] for g in groups]
    ctx.out(table(rows, [by.value.upper(), "REQUESTS", "INPUT", "CACHED", "OUTPUT", "SPEND"]))
    ctx.out("")
    ctx.out(f"Last {args.days} days: {report.total_text()}, {_tokens(report.tokens)} tokens.")
    if any(g.estimated for g in groups):
        ctx.out("~ part of it at the list (peak) price: those requests' times are no longer in the log.")
    for sentence in report.forecasts.values():
        ctx.out(sentence)
    for key, tokens in sorted(report.unpriced.items(), key=lambda item: -item[1])[:5]:
        ctx.out(f"No price for {key} ({_tokens(tokens)} tokens): add one with switchover prices set.")
    return 0
