"""A sweep of hostile endpoints through the real `switchover check --json`, in one concurrent run.

Every check must end within its timeout with the right status, the process's peak memory must stay far below
what the hostile bodies would take if buffered (100 MB body, a gzip bomb expanding to 1 GiB, endless bodies),
and the key must reach no host but the configured one.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from switchover.core.providers import Credential, Endpoint, Protocol, Provider
from switchover.core.store import edit_store
from tests.support.cli import REPO_ROOT
from tests.support.provider_server import ProviderServer, Reply, TestCertificates, model_list_reply

pytestmark = pytest.mark.slow

KEY = "sk-fake-HOSTILE-ENDPOINT-6a1f0c9e2b7d"
MODEL = "test-model"
TIMEOUT_S = 3.0
Server = Callable[..., ProviderServer]


def _gzip_bomb(expanded: int = 1024 * 1024 * 1024) -> bytes:
    """A valid gzip stream of `expanded` zero bytes (~1 MB compressed)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip container
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(expanded // len(chunk))]
    parts.append(compressor.flush())
    return b"".join(parts)


class RawServer:
    """A bare TCP server for what http.server cannot do: HTTP/1.0 bodies ended by close, or never accepting."""

    def __init__(self, respond: Callable[[socket.socket], None] | None):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.respond = respond
        self.received: list[bytes] = []
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        if respond is not None:
            self._start(self._accept_loop)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _start(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _accept_loop(self) -> None:
        self.sock.settimeout(0.1)
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._start(self._serve, conn)

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            data = b""
            with contextlib.suppress(OSError):
                while b"\r\n\r\n" not in data:
                    piece = conn.recv(4096)
                    if not piece:
                        return
                    data += piece
            self.received.append(data)
            assert self.respond is not None
            with contextlib.suppress(OSError):
                self.respond(conn)

    def close(self) -> None:
        self.stopping.set()
        self.sock.close()
        for thread in self.threads:
            thread.join(5)


def _http10(body: bytes | None, endless: bool = False) -> Callable[[socket.socket], None]:
    """HTTP/1.0, no Content-Length: the body ends when the server closes (or never, when endless)."""

    def respond(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n")
        if endless:
            chunk = b" " * 65536
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                conn.sendall(chunk)
        elif body is not None:
            conn.sendall(body)

    return respond


@pytest.fixture
def raw_servers() -> Iterator[Callable[[Callable[[socket.socket], None] | None], RawServer]]:
    started: list[RawServer] = []

    def start(respond: Callable[[socket.socket], None] | None) -> RawServer:
        started.append(RawServer(respond))
        return started[-1]

    yield start
    for server in started:
        server.close()


def _add(name: str, url: str) -> None:
    """What `switchover provider add NAME --openai-url URL --key-env HOSTILE_KEY` stores."""
    with edit_store() as store:
        store.add(Provider(name, (Endpoint.make(Protocol.OPENAI_CHAT, url),), models=(MODEL,),
                           credential=Credential.env("HOSTILE_KEY")))


# Runs the real CLI and, at exit, writes its own peak RSS (VmHWM). rusage is no good here: on Linux a child's
# ru_maxrss starts from the parent's high-water mark at fork/exec, i.e. the size of this pytest process.
_PEAK_RSS_WRAPPER = """
import atexit, os, runpy, sys
def _report():
    with open("/proc/self/status") as status, open(os.environ["PEAK_RSS_FILE"], "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM:")).split()[1])
atexit.register(_report)
sys.argv = ["switchover", *sys.argv[1:]]
runpy.run_module("switchover", run_name="__main__", alter_sys=True)
"""


def _check(args: list[str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], int, float]:
    """Run `switchover check` and return (result, peak RSS in KiB of that very process, seconds)."""
    peak_file = tmp_path / "peak-rss"
    env = dict(os.environ, HOSTILE_KEY=KEY, PYTHONPATH=REPO_ROOT, PEAK_RSS_FILE=str(peak_file))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", _PEAK_RSS_WRAPPER, "check", *args], capture_output=True,
                          text=True, env=env, timeout=120, check=False)
    elapsed = time.monotonic() - started
    return done, int(peak_file.read_text()), elapsed


def test_hostile_endpoint_sweep_through_the_cli(provider_server: Server, raw_servers: Any,
                                                test_certificates: TestCertificates, tmp_path: Path) -> None:
    good = provider_server().play("openai-chat", "ok", models=(MODEL,))
    _add("baseline", good.base_url("openai-chat"))
    baseline, baseline_rss, _ = _check(["baseline", "--json", "--timeout", str(TIMEOUT_S)], tmp_path)
    assert baseline.returncode == 0 and json.loads(baseline.stdout)[0]["status"] == "ok", baseline.stderr

    elsewhere = provider_server().play("openai-chat", "ok", models=(MODEL,))
    list_path = "/v1/models"
    servers: dict[str, ProviderServer | RawServer] = {
        "slow-drip": provider_server().on("GET", list_path, Reply.drip(per_s=2.0)),
        "endless-body": provider_server().on("GET", list_path, Reply.huge(50 * 1024**3)),
        "body-100mb": provider_server().on("GET", list_path, Reply.huge(100 * 1024**2)),
        "redirect-loop": provider_server().on_any(Reply.redirect(list_path, 302)),
        "redirect-offsite": provider_server().on_any(Reply.redirect(f"http://localhost:{elsewhere.port}/v1/models")),
        "gzip-bomb": provider_server().on("GET", list_path, Reply(200, _gzip_bomb(), (
            ("Content-Type", "application/json"), ("Content-Encoding", "gzip")))),
        "gzip-ok": provider_server().on("GET", list_path, Reply(200, gzip.compress(
            model_list_reply("openai-chat", (MODEL,)).body), (("Content-Type", "application/json"),
                                                               ("Content-Encoding", "gzip")))),
        "invalid-tls": provider_server(tls=test_certificates.server_context("self_signed")).play("openai-chat", "ok"),
        "http10-no-length": raw_servers(_http10(model_list_reply("openai-chat", (MODEL,)).body)),
        "http10-endless": raw_servers(_http10(None, endless=True)),
        "json-as-octet-stream": provider_server().on("GET", list_path, Reply(200, model_list_reply(
            "openai-chat", (MODEL,)).body, (("Content-Type", "application/octet-stream"),))),
        "json-labelled-html": provider_server().on("GET", list_path, Reply(200, model_list_reply(
            "openai-chat", (MODEL,)).body, (("Content-Type", "text/html"),))),
        "html-labelled-json": provider_server().on("GET", list_path, Reply.text("<html><body>Login</body></html>")),
        "accepts-never-answers": raw_servers(None),  # listens; the kernel completes the handshake; nobody reads
        "stalls-after-request": provider_server().on_any(Reply.stalled()),
    }
    for name, server in servers.items():
        _add(name, server.url + "/v1")

    run, peak_rss, elapsed = _check(["--json", "--timeout", str(TIMEOUT_S)], tmp_path)
    assert run.returncode == 1, run.stderr
    rows = {r["provider"]: r for r in json.loads(run.stdout)}
    statuses = {name: (rows[name]["status"], rows[name]["reason"]) for name in servers}
    print(f"\nhostile endpoints: {len(servers)}; one concurrent CLI run took {elapsed:.1f} s; peak RSS "
          f"{peak_rss / 1024:.0f} MiB (a healthy single check: {baseline_rss / 1024:.0f} MiB)")
    for name, (status, reason) in statuses.items():
        print(f"  {name:22} {status:14} {reason[:90]}")

    expected = {
        "slow-drip": ("timeout", ""),
        "endless-body": ("bad_response", "larger than"),
        "body-100mb": ("bad_response", "larger than"),
        "redirect-loop": ("bad_response", "loop"),
        "redirect-offsite": ("bad_response", "another host"),
        "gzip-bomb": ("bad_response", "larger than"),
        "gzip-ok": ("ok", ""),
        "invalid-tls": ("tls_error", "not trusted"),
        "http10-no-length": ("ok", ""),
        "http10-endless": ("bad_response", "larger than"),
        "json-as-octet-stream": ("ok", ""),
        "json-labelled-html": ("bad_response", "HTML"),
        "html-labelled-json": ("bad_response", "HTML"),
        "accepts-never-answers": ("timeout", ""),
        "stalls-after-request": ("timeout", ""),
    }
    wrong = {n: statuses[n] for n, (status, phrase) in expected.items()
             if statuses[n][0] != status or phrase not in statuses[n][1]}
    assert not wrong, wrong

    # Bounded in time: every check ends by its timeout (concurrently), so the whole run does too.
    for name in servers:
        latency = rows[name]["latency_ms"]
        assert latency is None or latency <= TIMEOUT_S * 1000 + 1500, (name, latency)
    assert elapsed < TIMEOUT_S + 20, elapsed  # interpreter start-up on a loaded machine included
    # Bounded in memory: 100 MB and 1 GiB bodies were never held; the caps (4 MiB each) bound it.
    # (Four capped bodies of 4 MiB, each joined once, are ~32 MiB; before bounded inflating, the gzip bomb
    # alone added ~130 MiB.)
    assert peak_rss < baseline_rss + 64 * 1024, (peak_rss, baseline_rss)

    # The key went only where it was configured: never to the redirect target, never in output.
    assert elsewhere.requests == []
    assert KEY not in run.stdout + run.stderr
    for name, server in servers.items():
        if isinstance(server, ProviderServer):
            for request in server.requests:
                assert request.headers.get("authorization") == f"Bearer {KEY}", name
                assert request.headers.get("host", "").startswith("127.0.0.1"), name
    tls = servers["invalid-tls"]
    assert isinstance(tls, ProviderServer) and tls.requests == []  # the handshake failed before any byte
