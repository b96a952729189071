"""Fixtures for the desktop app's tests: a controller over the isolated store, and local HTTP servers."""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from switchover.core.store import load_store
from tests.ui.app_support import close_app

# The offscreen platform cannot raise windows or propagate size hints; it says so at WARNING level.
OFFSCREEN_NOISE = (
    r"This plugin does not support propagateSizeHints\(\)",
    r"This plugin does not support raise\(\)",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.qt_log_ignore(*OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def collect_garbage_on_main_thread() -> Iterator[None]:
    """As in the app (ui/gc_guard.py): a collection started on a worker thread must never destroy Qt objects."""
    was_enabled = gc.isenabled()
    gc.disable()
    yield
    gc.collect()
    if was_enabled:
        gc.enable()


@pytest.fixture
def controller(qapp: Any, qtbot: Any) -> Iterator[Any]:
    """A real `AppController` without tray (offscreen has none), store loaded."""
    from switchover.ui.app import AppController

    ctl = AppController(qapp, use_tray=False)
    with qtbot.waitSignal(ctl.state.store_changed, timeout=5000):
        ctl.state.reload()
    yield ctl
    close_app(qapp, ctl)


@pytest.fixture
def store_on_disk() -> Callable[[], Any]:
    return load_store


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = self.server.routes.get(self.path, (404, {"error": "not found"}))  # type: ignore[attr-defined]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LocalServer:
    """A tiny JSON server on 127.0.0.1 whose routes a test sets: path -> (status, body)."""

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.routes = {}  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def route(self, path: str, status: int, body: dict[str, Any]) -> None:
        self.httpd.routes[path] = (status, body)  # type: ignore[attr-defined]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer()
    yield server
    server.close()
