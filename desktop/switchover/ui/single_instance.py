"""One running app per user and config dir: a second launch asks the first to show itself and exits.

The socket name includes the user and a hash of the config dir, so isolated test runs (each with its own
SWITCHOVER_CONFIG_DIR) never find each other, and two users on one machine never collide.
"""

from __future__ import annotations

import getpass
import hashlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from switchover.core import paths

_TIMEOUT_MS = 1000


def server_name() -> str:
    where = str(paths.config_dir().resolve())
    digest = hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]
    user = "".join(ch for ch in getpass.getuser() if ch.isalnum())[:24] or "user"
    return f"switchover-{user}-{digest}"


def notify_running_instance(message: str = "show", name: str | None = None) -> bool:
    """Tell a running instance `message`; False if there is none."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(_TIMEOUT_MS):
        return False
    socket.write((message + "\n").encode("utf-8"))
    socket.flush()
    socket.waitForBytesWritten(_TIMEOUT_MS)
    # Wait for the primary's acknowledgement so we never exit before it read the message.
    socket.waitForReadyRead(_TIMEOUT_MS)
    socket.disconnectFromServer()
    return True


class SingleInstanceServer(QObject):
    """Listens for later launches.

    Signals:
        message_received(str): a later launch sent this (e.g. "show").
    """

    message_received = Signal(str)

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)

    def listen(self) -> bool:
        if self._server.listen(self.name):
            return True
        # A stale socket file left by a crashed instance (we already know nobody answers on it).
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _on_new_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            line = bytes(socket.readLine().data()).decode("utf-8", "replace").strip()
            socket.write(b"ok\n")
            socket.flush()
            self.message_received.emit(line)
