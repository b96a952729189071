"""The local gateway side by side with LiteLLM proxy and claude-code-router, in one run, on this machine.

Every peer forwards to the same loopback upstream (an aiohttp server answering after 200 ms, like a remote
provider's time to first byte) and is measured with the same client:

1. added latency of a small non-streamed request (p50/p99, minus the upstream measured directly in the run),
   beside the floor: a bare aiohttp forwarder (no auth, routing, logging) measured the same way;
2. streaming: added time to first byte, and how long each chunk takes from the upstream's send to the client;
3. throughput with 64 concurrent clients (requests/s; ratios gateway / peer);
4. outage: the primary starts answering 403 mid-run: failed requests, and what each request costs after
   the first failure (mean latency minus the upstream's 200 ms);
5. memory: each peer's RSS after the runs (standalone), and what enabling the gateway adds to the desktop
   app's idle RSS.

Peers speak their own native way: the gateway and LiteLLM get OpenAI chat completions passed through (and,
like claude-code-router, Anthropic Messages translated to chat); claude-code-router only translates
Anthropic → chat. LiteLLM (`litellm[proxy]`) and claude-code-router are installed into a scratch prefix by
this script (pip / npm registries); pass --no-peers to measure the gateway alone.

    .venv/bin/python benchmarks/gateway.py [--prefix DIR] [--quick] [--no-peers] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
UPSTREAM_LATENCY_S = 0.2
CHUNKS, CHUNK_GAP_S = 20, 0.01
CONCURRENCY = 64


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (Node and uvicorn spawn helpers)."""
    total = 0.0
    pids = [pid]
    with contextlib.suppress(OSError):
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    for one in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


def wait_port(port: int, timeout: float = 90.0, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before listening on {port}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port} after {timeout:.0f} s")


# ---------------------------------------------------------------- the upstream (run in its own process)


def run_upstream(port: int) -> None:
    from aiohttp import web

    state = {"fail": False}
    body = json.dumps({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "bench",
                       "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                                    "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 5, "completion_tokens": 1, "total_tokens": 6}}).encode()
    forbidden = json.dumps({"error": {"message": "Country, region, or territory not supported",
                                      "code": "unsupported_country_region_territory"}}).encode()

    async def chat(request: web.Request) -> web.StreamResponse:
        payload = await request.json()
        await asyncio.sleep(UPSTREAM_LATENCY_S)
        if state["fail"]:
            return web.Response(status=403, body=forbidden, content_type="application/json")
        if not payload.get("stream"):
            return web.Response(body=body, content_type="application/json")
        response = web.StreamResponse(headers={"content-type": "text/event-stream"})
        await response.prepare(request)
        for i in range(CHUNKS):
            if i:
                await asyncio.sleep(CHUNK_GAP_S)
            chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "bench",
                     "choices": [{"index": 0, "delta": {"content": f"<{time.time():.6f}>"}, "finish_reason": None}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        end = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "bench",
               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
               "usage": {"prompt_tokens": 5, "completion_tokens": CHUNKS, "total_tokens": 5 + CHUNKS}}
        await response.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
        await response.write_eof()
        return response

    async def mode(request: web.Request) -> web.Response:
        state["fail"] = bool((await request.json()).get("fail"))
        return web.json_response(state)

    async def models(_request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "bench", "object": "model"}]})

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/_mode", mode)
    app.router.add_get("/v1/models", models)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


def run_floor(port: int, upstream: int) -> None:
    """The least a Python forwarder on aiohttp can do (no auth, routing, logging, failover): read the body,
    POST it on a pooled session, relay the answer chunk by chunk. What it adds over the direct path is the
    floor of any gateway built like ours on this machine (an extra process hop: two more loopback sends and
    two more process wake-ups per request)."""
    from aiohttp import ClientSession, TCPConnector, web

    sessions: list[ClientSession] = []

    async def forward(request: web.Request) -> web.StreamResponse:
        if not sessions:
            sessions.append(ClientSession(connector=TCPConnector(limit=0)))
        body = await request.read()
        async with sessions[0].post(f"http://127.0.0.1:{upstream}/v1/chat/completions", data=body,
                                    headers={"content-type": "application/json"}) as answer:
            if "event-stream" not in answer.headers.get("content-type", ""):
                return web.Response(status=answer.status, body=await answer.read(), content_type="application/json")
            response = web.StreamResponse(status=answer.status, headers={"content-type": "text/event-stream"})
            await response.prepare(request)
            async for chunk in answer.content.iter_any():
                await response.write(chunk)
            await response.write_eof()
            return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", forward)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None, handle_signals=True)


# ---------------------------------------------------------------- peers


@dataclass
class Peer:
    name: str
    process: subprocess.Popen[bytes]
    chat_url: str | None  # OpenAI chat completions passthrough
    messages_url: str | None  # Anthropic Messages, translated to chat
    headers: dict[str, str]
    chat_model: str = "bench"
    messages_model: str = "claude-sonnet-4-5"  # what Claude Code would ask for (LiteLLM needs its own name)
    results: dict[str, Any] = field(default_factory=dict)

    def stop(self) -> None:
        """The peer's whole process group (and ccr's daemonised server, if any)."""
        pid = self.results.get("pid")
        if pid and pid != self.process.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGTERM)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def start(argv: list[str], env: dict[str, str], log: Path, cwd: Path | None = None) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=True)


def start_switchover(scratch: Path, primary: int, fallback: int) -> Peer:
    config, data = scratch / "so-config", scratch / "so-data"
    config.mkdir(parents=True, exist_ok=True)
    port = free_port()
    store = f"""schema_version = 1
[providers.primary]
credential = "none"
models = ["bench"]
[providers.primary.endpoints]
openai-chat = "http://127.0.0.1:{primary}/v1"
[providers.fallback]
credential = "none"
models = ["bench"]
[providers.fallback.endpoints]
openai-chat = "http://127.0.0.1:{fallback}/v1"
[chains]
claude-code = ["primary/bench", "fallback/bench"]
[gateway]
port = {port}
"""
    (config / "switchover.toml").write_text(store)
    env = {**os.environ, "SWITCHOVER_CONFIG_DIR": str(config), "SWITCHOVER_DATA_DIR": str(data),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "desktop"), os.environ.get("PYTHONPATH")]))}
    process = start([sys.executable, "-m", "switchover", "gateway"], env, scratch / "switchover.log")
    wait_port(port, process=process)
    token = (config / "gateway.token").read_text().strip()
    base = f"http://127.0.0.1:{port}/claude-code"
    return Peer("switchover", process, base + "/v1/chat/completions", base + "/v1/messages",
                {"Authorization": f"Bearer {token}", "anthropic-version": "2023-06-01"}, "switchover-main")


def install_peers(prefix: Path) -> tuple[Path | None, Path | None]:
    """LiteLLM proxy into a venv, claude-code-router into an npm prefix (skipped when already there)."""
    litellm = prefix / "litellm-venv" / "bin" / "litellm"
    if not litellm.exists():
        print(f"installing litellm[proxy] into {prefix / 'litellm-venv'} (a few minutes)…", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(prefix / "litellm-venv")], check=True)
        subprocess.run([str(prefix / "litellm-venv" / "bin" / "pip"), "install", "-q", "litellm[proxy]"],
                       check=True)
    ccr = prefix / "ccr" / "node_modules" / ".bin" / "ccr"
    if not ccr.exists() and shutil.which("npm"):
        print(f"installing @musistudio/claude-code-router into {prefix / 'ccr'}…", flush=True)
        (prefix / "ccr").mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(prefix / "ccr"),
                        "@musistudio/claude-code-router"], check=True)
    return (litellm if litellm.exists() else None), (ccr if ccr.exists() else None)


def start_litellm(binary: Path, scratch: Path, primary: int, fallback: int) -> Peer:
    port = free_port()
    config = scratch / "litellm.yaml"
    config.write_text(f"""model_list:
  - model_name: bench
    litellm_params: {{model: openai/bench, api_base: "http://127.0.0.1:{primary}/v1", api_key: x}}
  - model_name: bench-fallback
    litellm_params: {{model: openai/bench, api_base: "http://127.0.0.1:{fallback}/v1", api_key: x}}
router_settings:
  num_retries: 0
  fallbacks: [{{"bench": ["bench-fallback"]}}]
litellm_settings:
  drop_params: true
  telemetry: false
general_settings:
  master_key: sk-bench-0123456789abcdef0123456789abcdef
""")
    env = {**os.environ, "LITELLM_LOG": "ERROR", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_PROXY": "*"}
    process = start([str(binary), "--config", str(config), "--port", str(port), "--num_workers", "1"], env,
                    scratch / "litellm.log")
    wait_port(port, timeout=180, process=process)
    base = f"http://127.0.0.1:{port}"
    key = "sk-bench-0123456789abcdef0123456789abcdef"  # LiteLLM refuses to start without one
    return Peer("litellm", process, base + "/v1/chat/completions", base + "/v1/messages",
                {"Authorization": f"Bearer {key}", "x-api-key": key, "anthropic-version": "2023-06-01"},
                messages_model="bench")


def start_ccr(binary: Path, scratch: Path, primary: int, fallback: int) -> Peer:
    port = free_port()
    home = scratch / "ccr-home"
    (home / ".claude-code-router").mkdir(parents=True, exist_ok=True)
    config = {
        "PORT": port, "LOG": False, "HOST": "127.0.0.1",
        "Providers": [
            {"name": "primary", "api_base_url": f"http://127.0.0.1:{primary}/v1/chat/completions", "api_key": "x",
             "models": ["bench"]},
            {"name": "fallback", "api_base_url": f"http://127.0.0.1:{fallback}/v1/chat/completions",
             "api_key": "x", "models": ["bench"]},
        ],
        "Router": {"default": "primary,bench"},
        "fallback": {"default": ["fallback,bench"]},
    }
    (home / ".claude-code-router" / "config.json").write_text(json.dumps(config))
    env = {**os.environ, "HOME": str(home), "NO_PROXY": "*"}
    process = start([str(binary), "start"], env, scratch / "ccr.log", cwd=home)
    wait_port(port, timeout=60, process=None)
    server_pid = _listener_pid(port) or process.pid
    peer = Peer("claude-code-router", process, None, f"http://127.0.0.1:{port}/v1/messages",
                {"x-api-key": "x", "anthropic-version": "2023-06-01"})
    peer.results["pid"] = server_pid
    return peer


def _listener_pid(port: int) -> int | None:
    """The pid listening on `port` (ccr's `start` daemonises)."""
    try:
        out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=False).stdout
    except OSError:
        return None
    marker = "pid="
    if marker in out:
        return int(out.split(marker, 1)[1].split(",", 1)[0])
    return None


# ---------------------------------------------------------------- measurements


def chat_body(model: str, stream: bool = False) -> dict[str, Any]:
    return {"model": model, "stream": stream, "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}


def messages_body(stream: bool = False, model: str = "claude-sonnet-4-5") -> dict[str, Any]:
    return {"model": model, "stream": stream, "max_tokens": 8,
            "messages": [{"role": "user", "content": "hi"}]}


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def latency(session: Any, url: str, headers: dict[str, str], body: dict[str, Any], n: int) -> list[float]:
    out = []
    for _ in range(5):  # warm the connection pools
        async with session.post(url, json=body, headers=headers) as response:
            await response.read()
    for _ in range(n):
        started = time.perf_counter()
        async with session.post(url, json=body, headers=headers) as response:
            await response.read()
            if response.status != 200:
                raise RuntimeError(f"{url} answered {response.status}: {(await response.text())[:200]}")
        out.append((time.perf_counter() - started) * 1000)
    return out


async def streaming(session: Any, url: str, headers: dict[str, str], body: dict[str, Any],
                    n: int) -> tuple[list[float], list[float]]:
    """(time to first byte, per-chunk delay from the upstream's send to arrival), in ms."""
    ttfb, delays = [], []
    for _ in range(n):
        started = time.perf_counter()
        first = None
        async with session.post(url, json=body, headers=headers) as response:
            async for chunk in response.content.iter_any():
                now_wall, now = time.time(), time.perf_counter()
                if first is None:
                    first = now
                text = chunk.decode(errors="replace")
                for piece in text.split("<")[1:]:
                    stamp = piece.split(">", 1)[0]
                    with contextlib.suppress(ValueError):
                        delays.append((now_wall - float(stamp)) * 1000)
        if first is not None:
            ttfb.append((first - started) * 1000)
    return ttfb, delays


async def throughput(url: str, headers: dict[str, str], body: dict[str, Any], seconds: float) -> tuple[float, int]:
    import aiohttp

    done, failed = 0, 0
    deadline = time.perf_counter() + seconds
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=CONCURRENCY)) as session:
        async def worker() -> None:
            nonlocal done, failed
            while time.perf_counter() < deadline:
                async with session.post(url, json=body, headers=headers) as response:
                    await response.read()
                    if response.status == 200:
                        done += 1
                    else:
                        failed += 1
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    return done / elapsed, failed


async def outage(url: str, headers: dict[str, str], body: dict[str, Any], primary: int, before: int,
                 after: int) -> dict[str, Any]:
    """Sequential requests; the primary turns to 403 after `before` of them. Failed requests, and the
    mean / p99 latency of the requests after the first failure."""
    import aiohttp

    failed, costs = 0, []
    async with aiohttp.ClientSession() as session:
        for i in range(before + after):
            if i == before:
                async with session.post(f"http://127.0.0.1:{primary}/_mode", json={"fail": True}) as flip:
                    await flip.read()
            started = time.perf_counter()
            async with session.post(url, json=body, headers=headers) as response:
                await response.read()
                ok = response.status == 200
            if i >= before:
                failed += 0 if ok else 1
                if i > before:
                    costs.append((time.perf_counter() - started) * 1000)
        async with session.post(f"http://127.0.0.1:{primary}/_mode", json={"fail": False}) as flip:
            await flip.read()
    return {"failed": failed, "of": after, "mean_ms": statistics.fmean(costs) if costs else None,
            "p50_ms": pct(costs, 0.5) if costs else None, "p99_ms": pct(costs, 0.99) if costs else None}


async def measure(peer: Peer | None, url: str, model: str, headers: dict[str, str], quick: bool,
                  chat: bool) -> dict[str, Any]:
    import aiohttp

    n = 60 if quick else 300
    body = chat_body(model) if chat else messages_body(model=model)
    stream_body = chat_body(model, True) if chat else messages_body(True, model)
    async with aiohttp.ClientSession() as session:
        lat = await latency(session, url, headers, body, n)
        ttfb, delays = await streaming(session, url, headers, stream_body, 10 if quick else 40)
    out: dict[str, Any] = {"p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99),
                           "ttfb_ms": statistics.median(ttfb) if ttfb else None,
                           "chunk_p50_ms": pct(delays, 0.5) if delays else None,
                           "chunk_p99_ms": pct(delays, 0.99) if delays else None}
    if peer is not None:
        rps, failed = await throughput(url, headers, body, 4.0 if quick else 10.0)
        out["rps"], out["throughput_failed"] = rps, failed
    return out


# ---------------------------------------------------------------- memory of the app


def app_rss(scratch: Path, enabled: bool, idle_s: float) -> float | None:
    """The desktop app's RSS after `idle_s` at rest, offscreen, with the gateway on or off."""
    config, data = scratch / f"app-config-{enabled}", scratch / f"app-data-{enabled}"
    config.mkdir(parents=True, exist_ok=True)
    (config / "switchover.toml").write_text(
        f'schema_version = 1\n[setup]\ncompleted = true\nversion = 1\n[gateway]\nenabled = {str(enabled).lower()}\n'
        f'port = {free_port()}\n')
    env = {**os.environ, "SWITCHOVER_CONFIG_DIR": str(config), "SWITCHOVER_DATA_DIR": str(data),
           "QT_QPA_PLATFORM": "offscreen", "SWITCHOVER_REPORT_READY": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "desktop"), os.environ.get("PYTHONPATH")]))}
    process = subprocess.Popen([sys.executable, "-m", "switchover"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if b"ready" not in line:
            return None
        time.sleep(idle_s)
        return rss_mb(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------- the run


@contextlib.contextmanager
def upstreams() -> Iterator[tuple[int, int]]:
    ports = free_port(), free_port()
    procs = [subprocess.Popen([sys.executable, __file__, "--upstream", str(p)], start_new_session=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for p in ports]
    try:
        for port, process in zip(ports, procs, strict=True):
            wait_port(port, process=process)
        yield ports
    finally:
        for process in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            process.wait(10)


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a and b else "n/a"


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--upstream", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--floor", type=int, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", type=Path, default=Path(tempfile.gettempdir()) / "switchover-bench-peers",
                        help="scratch prefix for the peers (kept between runs)")
    parser.add_argument("--no-peers", action="store_true", help="measure the gateway only")
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.upstream:
        run_upstream(args.upstream)
        return
    if args.floor:
        run_floor(*args.floor)
        return
    args.prefix.mkdir(parents=True, exist_ok=True)
    litellm_bin, ccr_bin = (None, None) if args.no_peers else install_peers(args.prefix)
    report: dict[str, Any] = {"upstream_latency_ms": UPSTREAM_LATENCY_S * 1000, "concurrency": CONCURRENCY}
    with tempfile.TemporaryDirectory(prefix="switchover-bench-") as tmp, upstreams() as (primary, fallback):
        scratch = Path(tmp)
        print(f"peer logs in {scratch} while it runs", flush=True)
        direct_url = f"http://127.0.0.1:{primary}/v1/chat/completions"
        report["direct"] = asyncio.run(measure(None, direct_url, "bench", {}, args.quick, True))
        floor_port = free_port()
        floor = subprocess.Popen([sys.executable, __file__, "--floor", str(floor_port), str(primary)],
                                 start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_port(floor_port, process=floor)
            report["floor"] = asyncio.run(measure(None, f"http://127.0.0.1:{floor_port}/v1/chat/completions",
                                                  "bench", {}, args.quick, True))
        finally:
            os.killpg(floor.pid, signal.SIGTERM)
            floor.wait(10)
        peers: list[Peer] = [start_switchover(scratch, primary, fallback)]
        if litellm_bin:
            peers.append(start_litellm(litellm_bin, scratch, primary, fallback))
        if ccr_bin:
            peers.append(start_ccr(ccr_bin, scratch, primary, fallback))
        try:
            for peer in peers:
                print(f"measuring {peer.name}…", flush=True)
                if peer.chat_url:
                    peer.results["chat"] = asyncio.run(measure(peer, peer.chat_url, peer.chat_model, peer.headers,
                                                               args.quick, True))
                if peer.messages_url:
                    try:
                        peer.results["messages"] = asyncio.run(measure(
                            peer, peer.messages_url, peer.messages_model, peer.headers, args.quick, False))
                    except Exception as exc:  # a peer that cannot translate: say so, keep going
                        peer.results["messages"] = {"error": str(exc)[:200]}
                url = peer.chat_url or peer.messages_url
                assert url is not None
                try:
                    peer.results["outage"] = asyncio.run(outage(
                        url, peer.headers,
                        chat_body(peer.chat_model) if peer.chat_url else messages_body(model=peer.messages_model),
                        primary, 5, 20 if args.quick else 60))
                except Exception as exc:
                    peer.results["outage"] = {"error": str(exc)[:200]}
                peer.results["rss_mb"] = rss_mb(int(peer.results.get("pid", peer.process.pid)))
        finally:
            for peer in peers:
                peer.stop()
        report["peers"] = {p.name: p.results for p in peers}
        idle = 3.0 if args.quick else 8.0
        off, on = app_rss(scratch, False, idle), app_rss(scratch, True, idle)
        report["app_idle_rss_mb"] = {"gateway_off": off, "gateway_on": on,
                                     "delta": (on - off) if on is not None and off is not None else None}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


def print_report(report: dict[str, Any]) -> None:
    direct = report["direct"]
    peers = report["peers"]
    print(f"\nUpstream: loopback, {report['upstream_latency_ms']:.0f} ms to first byte; direct p50 "
          f"{direct['p50_ms']:.1f} ms, p99 {direct['p99_ms']:.1f} ms, TTFB {fmt(direct['ttfb_ms'])} ms, "
          f"chunk delay p50 {fmt(direct['chunk_p50_ms'], 2)} ms")
    rows = []
    floor = report.get("floor")
    for name, res in [("floor (bare forwarder)", {"chat": floor})] * bool(floor) + list(peers.items()):
        for mode in ("chat", "messages"):
            got = res.get(mode)
            if not got or "error" in got:
                if got:
                    rows.append(f"  {name:<20} {mode:<9} error: {got['error']}")
                continue
            rows.append(
                f"  {name:<20} {mode:<9} +p50 {got['p50_ms'] - direct['p50_ms']:6.2f} ms  "
                f"+p99 {got['p99_ms'] - direct['p99_ms']:6.2f} ms  "
                f"+TTFB {fmt(got['ttfb_ms'] - direct['ttfb_ms'] if got['ttfb_ms'] else None, 2):>6} ms  "
                f"chunk +{fmt(got['chunk_p50_ms'] - direct['chunk_p50_ms'] if got['chunk_p50_ms'] else None, 2)}"
                f"/{fmt(got['chunk_p99_ms'] - direct['chunk_p99_ms'] if got['chunk_p99_ms'] else None, 2)} ms  "
                + (f"{got['rps']:7.1f} req/s" if "rps" in got else ""))
    print("Added latency (p50, p99), streaming TTFB and chunk relay (p50/p99), throughput at "
          f"{report['concurrency']} clients:")
    print("\n".join(rows))
    ours = peers.get("switchover", {})
    if floor and ours.get("chat") and "error" not in ours["chat"]:
        own = {k: ours["chat"][k] - floor[k] for k in ("p50_ms", "p99_ms", "ttfb_ms", "chunk_p50_ms", "chunk_p99_ms")
               if ours["chat"].get(k) is not None and floor.get(k) is not None}
        print("  the gateway's own cost over the bare forwarder (chat): "
              + ", ".join(f"{k.removesuffix('_ms')} {v:+.2f} ms" for k, v in own.items()))
    for name, res in peers.items():
        if name == "switchover":
            continue
        for mode in ("chat", "messages"):
            a, b = ours.get(mode, {}).get("rps"), res.get(mode, {}).get("rps")
            if a and b:
                print(f"  throughput ratio switchover/{name} ({mode}): {ratio(a, b)}")
    print("Outage (primary answers 403 mid-run): failed requests, and cost per request after the first failure:")
    for name, res in peers.items():
        out = res.get("outage", {})
        if "error" in out:
            print(f"  {name:<20} error: {out['error']}")
            continue
        base = report["direct"]["p50_ms"]  # the upstream's own latency as measured directly in this run
        extra = out["p50_ms"] - base if out.get("p50_ms") else None
        print(f"  {name:<20} failed {out['failed']}/{out['of']}, per request p50 {fmt(out.get('p50_ms'))} ms "
              f"(+{fmt(extra)} ms over the upstream measured directly), mean {fmt(out.get('mean_ms'))} ms, "
              f"p99 {fmt(out.get('p99_ms'))} ms")
    print("Memory (RSS after the runs):")
    for name, res in peers.items():
        print(f"  {name:<20} {res['rss_mb']:.0f} MB")
    app = report["app_idle_rss_mb"]
    print(f"  desktop app idle: gateway off {fmt(app['gateway_off'], 0)} MB, on {fmt(app['gateway_on'], 0)} MB "
          f"(adds {fmt(app['delta'])} MB)")


if __name__ == "__main__":
    main()
