"""A TCP proxy on loopback that can be paused, to stand for a database that stops answering.

Paused, it neither accepts nor forwards, but every connection stays open and the kernel keeps
acknowledging what clients send: what a client sees of a server that hangs, of a stalled proxy
or of a host behind a dead NAT entry. Keepalives and `tcp_user_timeout` cannot tell; only a
client-side deadline can.
"""

from __future__ import annotations

import select
import socket
import threading

_POLL_SECONDS = 0.1


class PausableProxy:
    """Forwards `127.0.0.1:<port>` to `target` until `pause()`; `resume()` carries on."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = int(self._listener.getsockname()[1])
        self._running = threading.Event()
        self._running.set()
        self._stopped = threading.Event()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def pause(self) -> None:
        """Stop accepting and forwarding; open connections stay open and silent."""
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def close(self) -> None:
        """Stop the proxy and close every connection through it."""
        self._stopped.set()
        self._running.set()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def _wait_until_running(self) -> bool:
        """False once the proxy is stopped."""
        while not self._running.wait(_POLL_SECONDS):
            if self._stopped.is_set():
                return False
        return not self._stopped.is_set()

    def _accept(self) -> None:
        while self._wait_until_running():
            ready, _, _ = select.select([self._listener], [], [], _POLL_SECONDS)
            if not ready or not self._running.is_set():
                continue
            try:
                client, _ = self._listener.accept()
                server = socket.create_connection(self._target, timeout=5)
            except OSError:
                continue
            with self._lock:
                self._sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                thread = threading.Thread(target=self._pump, args=(source, sink), daemon=True)
                thread.start()
                self._threads.append(thread)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while self._wait_until_running():
                ready, _, _ = select.select([source], [], [], _POLL_SECONDS)
                # Read nothing while paused: bytes wait in the kernel, as for a stopped process.
                if not ready or not self._running.is_set():
                    continue
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
