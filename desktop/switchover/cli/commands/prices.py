"""`switchover prices`: the price table that turns counted tokens into money, and the user's own prices."""

from __future__ import annotations

import argparse
import math
from typing import Any

from switchover.cli.context import NO_PROVIDERS, CliContext, add_json_flag, add_provider_names, table
from switchover.core.providers import Provider
from switchover.core.spend.prices import PriceList, Rates, prices_for, remove_user_price, set_user_price
from switchover.core.store import edit_store


def _price(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a price per 1M tokens, such as 0.3") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError("must be a price of 0 or more per 1M tokens")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "prices",
        help="show or set the prices that turn counted tokens into money",
        description=(
            "Prices per 1M tokens, per provider and model, as shipped (with where and when each was read) "
            "and as you set them. Your prices win over the shipped ones."
        ),
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="show the prices of your providers (the default)")
    add_provider_names(show, "show")
    add_json_flag(show)
    show.set_defaults(handler=run_show)
    set_ = actions.add_parser("set", help="set a model's price for one of your providers")
    set_.add_argument("name", metavar="NAME")
    set_.add_argument("model", metavar="MODEL")
    set_.add_argument("--input", type=_price, required=True, metavar="PRICE", help="per 1M uncached input tokens")
    set_.add_argument("--output", type=_price, required=True, metavar="PRICE", help="per 1M output tokens")
    set_.add_argument("--cached-input", type=_price, metavar="PRICE", help="per 1M input tokens read from cache")
    set_.add_argument("--cache-write", type=_price, metavar="PRICE", help="per 1M input tokens written to cache")
    set_.add_argument("--currency", default="USD", help="currency code (default USD)")
    set_.set_defaults(handler=run_set)
    reset = actions.add_parser("reset", help="forget your prices for a provider (or one model)")
    reset.add_argument("name", metavar="NAME")
    reset.add_argument("model", nargs="?", metavar="MODEL")
    reset.set_defaults(handler=run_reset)
    add_json_flag(parser)
    parser.set_defaults(handler=run_show, names=[])


def _rows(provider: Provider, prices: PriceList) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for model, per_currency in prices.models.items():
        for currency, rates in per_currency.items():
            rows.append({
                "provider": provider.name, "model": model, "currency": currency,
                "input": rates.input, "cached_input": rates.cached_input, "cache_write": rates.cache_write,
                "output": rates.output, "long_above": rates.long_above,
                "off_peak_factor": prices.peak.off_peak_factor if prices.peak else None,
            })
    used = [m for m in dict.fromkeys((*provider.models, provider.small_model)) if m]
    for model in used:
        if prices.find(model) is None:
            rows.append({"provider": provider.name, "model": model, "currency": None, "input": None,
                         "cached_input": None, "cache_write": None, "output": None, "long_above": None,
                         "off_peak_factor": None})
    return rows


def run_show(args: argparse.Namespace, ctx: CliContext) -> int:
    store = ctx.store()
    providers = ctx.chosen_providers(args.names)
    if not providers:
        return ctx.fail(NO_PROVIDERS)
    report: list[dict[str, Any]] = []
    for provider in providers:
        prices = prices_for(provider, store)
        report.append({"provider": provider.name, "source": prices.source or None, "checked": prices.checked or None,
                       "yours": prices.user, "peak_hours_utc": [list(h) for h in prices.peak.hours_utc]
                       if prices.peak else None, "models": _rows(provider, prices)})
    if args.json:
        ctx.emit_json(report)
        return 0
    lines = [[row["provider"], row["model"], row["currency"] or "-", _fmt(row["input"]), _fmt(row["cached_input"]),
              _fmt(row["output"]), _note(row)] for entry in report for row in entry["models"]]
    ctx.out(table(lines, ["PROVIDER", "MODEL", "CURRENCY", "INPUT/1M", "CACHED/1M", "OUTPUT/1M", "NOTE"]))
    sources = {(e["source"], e["checked"]) for e in report if e["source"]}
    for source, checked in sorted(sources):
        ctx.out(f"Checked {checked}: {source}")
    return 0


def _note(row: dict[str, Any]) -> str:
    if row["input"] is None:
        return "no price: counted in tokens only"
    factor = row["off_peak_factor"]
    if factor is None or factor == 1:
        return ""
    return "half price off-peak" if factor == 0.5 else f"x{factor:g} off-peak"


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def run_set(args: argparse.Namespace, ctx: CliContext) -> int:
    rates = Rates(input=args.input, output=args.output, cached_input=args.cached_input,
                  cache_write=args.cache_write)
    with edit_store() as store:
        set_user_price(store, args.name, args.model, args.currency, rates)
    ctx.out(f"{args.name} {args.model}: {args.input:g} in / {args.output:g} out per 1M tokens "
            f"({args.currency.upper()}), yours from now on.")
    return 0


def run_reset(args: argparse.Namespace, ctx: CliContext) -> int:
    with edit_store() as store:
        store.get(args.name)
        removed = remove_user_price(store, args.name, args.model)
    what = f"{args.name} {args.model}" if args.model else args.name
    ctx.out(f"Your prices for {what} are gone; the shipped ones apply." if removed
            else f"You had set no prices for {what}.")
    return 0
