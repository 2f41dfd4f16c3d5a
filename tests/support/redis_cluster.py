"""A Redis Cluster of six redis-servers on loopback (3 primaries, 3 replicas), for the tests.

Each node is a `redis-server --cluster-enabled yes` with its files in a temporary folder;
`redis-cli --cluster create ... --cluster-replicas 1` joins them. A short node timeout makes a
replica take over from a killed primary within about two seconds.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import redis

NODES = 6
NODE_TIMEOUT_MS = 1000


def _free_ports(count: int) -> list[int]:
    """Ports free right now, held together while chosen so that none repeats."""
    with ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


class RedisClusterNodes:
    """Six cluster nodes; `url` reaches the cluster through any one of them."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        ports = _free_ports(2 * NODES)
        # Each node's cluster bus gets a port of its own rather than port + 10000.
        self.ports, self._bus_ports = ports[:NODES], ports[NODES:]
        self.url = f"redis://127.0.0.1:{self.ports[0]}/0"
        self._processes: dict[int, subprocess.Popen[bytes]] = {}

    def start(self) -> None:
        """Start the nodes and form the cluster; returns once every slot is served."""
        for port, bus_port in zip(self.ports, self._bus_ports, strict=True):
            folder = self.directory / str(port)
            folder.mkdir(parents=True, exist_ok=True)
            self._processes[port] = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(port),
                    "--cluster-port",
                    str(bus_port),
                    "--bind",
                    "127.0.0.1",
                    "--dir",
                    str(folder),
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    "nodes.conf",
                    "--cluster-node-timeout",
                    str(NODE_TIMEOUT_MS),
                    # The slots of a failing primary fail alone; the others keep answering.
                    "--cluster-require-full-coverage",
                    "no",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        for port in self.ports:
            self._wait(lambda port=port: self._client(port).ping(), f"node {port} to start")
        subprocess.run(
            [
                shutil.which("redis-cli") or "redis-cli",
                "--cluster",
                "create",
                *(f"127.0.0.1:{port}" for port in self.ports),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        self._wait(self.is_healthy, "the cluster to serve every slot with a replica each")

    def primaries(self) -> list[int]:
        """Ports of the nodes that are primaries now."""
        return [port for port in self._processes if self._role(port) == "master"]

    def primary_of(self, key: str) -> int:
        """Port of the primary that serves `key`'s slot now."""
        slot = int(self._client(self.ports[0]).execute_command("CLUSTER", "KEYSLOT", key))
        for start, end, primary, *_ in self._client(self.ports[0]).execute_command(
            "CLUSTER", "SLOTS"
        ):
            if int(start) <= slot <= int(end):
                return int(primary[1])
        raise LookupError(f"no primary serves slot {slot}")

    def kill(self, port: int) -> None:
        """SIGKILL one node; it is not started again."""
        process = self._processes.pop(port)
        process.kill()
        process.wait()

    def is_healthy(self) -> bool:
        """Every running node says the cluster is ok, and each primary has a replica in sync."""
        for port in self._processes:
            info = self._client(port).execute_command("CLUSTER", "INFO").decode()
            if "cluster_state:ok" not in info:
                return False
        primaries = self.primaries()
        if len(primaries) != NODES // 2:
            return False
        for port in primaries:
            replication = self._client(port).info("replication")
            if int(replication.get("connected_slaves", 0)) < 1:
                return False
            if replication["slave0"]["state"] != "online":
                return False
        return True

    def wait_for_failover(self, killed: int) -> None:
        """Return once the cluster serves every slot again without the `killed` node."""

        def served() -> bool:
            for port in self._processes:
                info = self._client(port).execute_command("CLUSTER", "INFO").decode()
                if "cluster_state:ok" not in info:
                    return False
            return len(self.primaries()) == NODES // 2

        self._wait(served, f"a replica to take over from node {killed}")

    def stop(self) -> None:
        for process in self._processes.values():
            process.kill()
            process.wait()
        self._processes.clear()

    def _role(self, port: int) -> str:
        return str(self._client(port).info("replication")["role"])

    @staticmethod
    def _client(port: int) -> redis.Redis:
        return redis.Redis(port=port, socket_timeout=2, socket_connect_timeout=2)

    @staticmethod
    def _wait(ready: object, what: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                if ready():  # type: ignore[operator]
                    return
            except redis.RedisError as exc:
                error = exc
            time.sleep(0.1)
        raise RuntimeError(f"timed out waiting for {what} (last error: {error})")
