"""`switchover gateway [status|log|token]`: the local gateway in the foreground, what it serves, its log.

`switchover gateway token` is what tools pointed at the gateway run as their key helper, so this module
imports nothing heavy at the top: each handler pulls in what it needs.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from switchover.cli.context import CliContext, add_json_flag, table


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "gateway",
        help="run the local gateway (tools keep working through an outage), or show its status and log",
        description="Without a subcommand: run the gateway in the foreground on 127.0.0.1 (one per user). "
        "Tools pointed at it with `switchover use P/M --tool T --via-gateway` reach their current provider "
        "through it, with request-level failover and protocol translation.",
    )
    parser.add_argument("--port", type=int, help="listen on this port instead of the configured one")
    parser.add_argument("--save", action="store_true", help="with --port: keep that port in the store")
    parser.set_defaults(handler=run_gateway)
    sub = parser.add_subparsers(dest="gateway_command", metavar="SUBCOMMAND")

    status = sub.add_parser("status", help="where the gateway listens and what each route serves now")
    add_json_flag(status)
    status.set_defaults(handler=run_status)

    log = sub.add_parser("log", help="recent requests through the gateway (redacted: no keys, no prompts)")
    log.add_argument("--limit", type=int, default=30, help="how many (default 30; 0 for all kept)")
    log.add_argument("--tool", help="only this tool's requests")
    log.add_argument("--usage", action="store_true", help="token totals per day, tool, provider and model")
    add_json_flag(log)
    log.set_defaults(handler=run_log)

    token = sub.add_parser("token", help="print the local gateway token (tools' key helper runs this)")
    token.add_argument("--rotate", action="store_true", help="replace it with a new one (restart tools after)")
    token.add_argument("--path", action="store_true", help="print where it is kept instead")
    token.set_defaults(handler=run_token)


# -- token (the key helper: stays light) ------------------------------------------------------------------------


def run_token(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.gateway.token import ensure_token, rotate_token, token_file

    if args.path:
        ensure_token()
        ctx.out(str(token_file()))
        return 0
    token = rotate_token() if args.rotate else ensure_token()
    ctx.stdout.write(token + "\n")
    return 0


# -- run --------------------------------------------------------------------------------------------------------


def run_gateway(args: argparse.Namespace, ctx: CliContext) -> int:
    import asyncio
    import contextlib
    import signal

    from switchover.core.store import edit_store
    from switchover.gateway.settings import SECTION, with_port
    from switchover.services.gateway_runtime import build_gateway, load_settings, serve

    settings = with_port(load_settings(), args.port)
    if args.save and args.port is not None:
        with edit_store() as store:
            store.section(SECTION)["port"] = args.port
    parts = build_gateway(settings)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            # Windows has no loop signal handlers: Ctrl-C raises KeyboardInterrupt there instead.
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, stop.set)

        def ready(url: str) -> None:
            routes = ", ".join(sorted(parts.routes.table().routes)) or "none"
            ctx.out(f"Switchover gateway listening on {url} (one route per tool: {url}/<tool-id>; routes: {routes}).")
            ctx.out("Point a tool at it with: switchover use PROVIDER/MODEL --tool TOOL --via-gateway. "
                    "Ctrl-C stops it.")
            ctx.stdout.flush()

        await serve(parts, stop, on_ready=ready)

    asyncio.run(main())
    ctx.out("Gateway stopped.")
    return 0


# -- status -----------------------------------------------------------------------------------------------------


def _route_rows(ctx: CliContext) -> list[dict[str, Any]]:
    """Per tool: whether its config points at the gateway, and what the route would serve (from the store)."""
    from switchover.services.gateway_routes import build_table, gateway_settings
    from switchover.services.gateway_tools import tool_modes

    store = ctx.store()
    settings = gateway_settings(store)
    table_ = build_table(store, {})
    modes = tool_modes(settings.base_url)
    rows = []
    for tool, mode in modes.items():
        route = table_.route(tool)
        rows.append({"tool": tool, "label": mode.label, "via_gateway": mode.via_gateway,
                     "choice": str(route.choice.entry) if route and route.choice else None,
                     "chain": [str(e) for e in route.chain] if route else []})
    return rows


def run_status(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.gateway.token import read_token
    from switchover.services.gateway_routes import gateway_settings
    from switchover.services.gateway_runtime import fetch_status, running_gateway

    settings = gateway_settings(ctx.store())
    running = running_gateway()
    live = None
    if running is not None:
        token = read_token()
        live = fetch_status(running, token) if token else None
    rows = _route_rows(ctx)
    live_routes = {r["tool"]: r for r in (live or {}).get("routes", [])}
    for row in rows:
        found = live_routes.get(row["tool"])
        row["serving"] = found["serving"] if found else None
        row["upstreams"] = found["upstreams"] if found else []
        row["last_request"] = found["last_request"] if found else None
    if args.json:
        ctx.emit_json({
            "running": running is not None,
            "url": running.url if running else settings.base_url,
            "pid": running.pid if running else None,
            "started_at": running.started_at if running else None,
            "breakers": (live or {}).get("breakers", {}),
            "routes": rows,
        })
        return 0
    if running is None:
        ctx.out(f"The gateway is not running (it would listen on {settings.base_url}). Start it with "
                "`switchover gateway`, or turn it on in the app's Settings.")
    else:
        since = time.strftime("%Y-%m-%d %H:%M", time.localtime(running.started_at))
        ctx.out(f"Gateway listening on {running.url} (pid {running.pid}, since {since}).")
    lines = []
    for row in rows:
        if not row["via_gateway"] and not row["choice"]:
            continue
        last = row["last_request"]
        served = f"{last['provider']}/{last['model']} ({last['outcome']})" if last else "—"
        lines.append([row["tool"], "gateway" if row["via_gateway"] else "direct",
                      row["choice"] or (row["chain"][0] + " (chain)" if row["chain"] else "—"),
                      row["serving"] or "—", served])
    if lines:
        ctx.out(table(lines, ["TOOL", "MODE", "ROUTE CHOICE", "SERVING NOW", "LAST REQUEST"]))
    else:
        ctx.out("No tool goes through the gateway yet: switchover use PROVIDER/MODEL --tool TOOL --via-gateway")
    open_ = {k: v for k, v in (live or {}).get("breakers", {}).items() if v.get("state") != "closed"}
    for key, info in open_.items():
        ctx.out(f"  breaker {key}: {info['state']} after {info['last_status']}; retried in {info['retry_in_s']} s")
    return 0


# -- log --------------------------------------------------------------------------------------------------------


def run_log(args: argparse.Namespace, ctx: CliContext) -> int:
    from switchover.gateway.requestlog import read_records, read_usage

    if args.usage:
        rows = read_usage()
        if args.tool:
            rows = [r for r in rows if r.get("tool") == args.tool]
        if args.json:
            ctx.emit_json(rows)
            return 0
        if not rows:
            ctx.out("No requests through the gateway yet.")
            return 0
        ctx.out(table([[str(r["day"]), str(r["tool"]), str(r["provider"]), str(r["model"]), str(r["requests"]),
                        str(r["errors"]), str(r["input_tokens"]), str(r["cached_input_tokens"]),
                        str(r["output_tokens"])] for r in rows],
                      ["DAY (UTC)", "TOOL", "PROVIDER", "MODEL", "REQUESTS", "ERRORS", "IN", "CACHED", "OUT"]))
        return 0
    records = read_records()
    if args.tool:
        records = [r for r in records if r.tool == args.tool]
    if args.limit:
        records = records[-args.limit:]
    if args.json:
        ctx.emit_json([r.to_json() for r in records])
        return 0
    if not records:
        ctx.out("No requests through the gateway yet.")
        return 0
    lines: list[list[str]] = []
    for r in records:
        when = time.strftime("%m-%d %H:%M:%S", time.localtime(r.at))
        hops = " → ".join(f"{h.upstream.split('/')[0]}:{h.status}" for h in r.hops) or "—"
        tokens = f"{r.usage.input_tokens}/{r.usage.output_tokens}" if r.usage else "—"
        lines.append([when, r.tool, r.api + (" stream" if r.stream else ""),
                      f"{r.provider or '—'}/{r.model or '—'}", str(r.status), r.outcome, f"{r.latency_ms:.0f}",
                      tokens, hops])
    ctx.out(table(lines, ["WHEN", "TOOL", "API", "SERVED BY", "HTTP", "OUTCOME", "MS", "TOKENS IN/OUT", "HOPS"]))
    return 0
