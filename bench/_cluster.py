"""Three-node broker clusters on loopback for the benchmarks: NATS with JetStream, and RabbitMQ with MQTT.

Both from Debian's packages (`make bench-deps`: nats-server, rabbitmq-server),
each node its own folder and ports, started and killed by the benchmark.
- NATS (`nats-server`): one `cluster {}` of routes, JetStream on every node
  (its MQTT layer keeps sessions, QoS 1 messages and retained messages in
  JetStream streams, replicated to 3 nodes), an `mqtt {}` listener each.
  No authorization block: every login is accepted (loopback only).
- RabbitMQ 3.10 (`/usr/lib/rabbitmq/bin/rabbitmq-server`, run as this user
  with the Erlang cookie in the folder): the `rabbitmq_mqtt` plugin, QoS 1
  subscriptions of persistent sessions on quorum queues
  (`mqtt.durable_queue_type = quorum`), the nodes joined by classic-config
  peer discovery, anonymous MQTT logins as guest.
`kill(i)` is SIGKILL, `start(i)` brings the node back on its folder and ports.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from _common import free_port

NATS = shutil.which("nats-server") or "/usr/sbin/nats-server"
RABBIT = "/usr/lib/rabbitmq/bin/rabbitmq-server"


def reachable(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


class Cluster:
    """Three nodes; `mqtt_ports[i]` is node i's MQTT listener."""
    name = ""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"cluster-{self.name}-"))
        self.mqtt_ports = [free_port() for _ in range(3)]
        self.procs: list[subprocess.Popen | None] = [None, None, None]

    def hosts(self) -> list[tuple[str, int]]:
        return [("127.0.0.1", port) for port in self.mqtt_ports]

    def start_all(self, timeout: float = 120.0) -> float:
        """Every node started and accepting MQTT; seconds it took."""
        began = time.monotonic()
        for i in range(3):
            self.procs[i] = self._spawn(i)
        self._wait(range(3), timeout)
        return time.monotonic() - began

    def start(self, i: int, timeout: float = 120.0) -> float:
        began = time.monotonic()
        self.procs[i] = self._spawn(i)
        self._wait([i], timeout)
        return time.monotonic() - began

    def kill(self, i: int) -> None:
        """SIGKILL: a node's power cut."""
        proc = self.procs[i]
        if proc and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        self.procs[i] = None

    def close(self, *, keep: bool = False) -> None:
        """Stop every node; `keep`: leave the folder (the nodes' logs) for a look."""
        for i in range(3):
            proc = self.procs[i]
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.kill(i)
        self._after_close()
        if not keep:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _wait(self, nodes, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(reachable(self.mqtt_ports[i]) for i in nodes):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name}: nodes {list(nodes)} not listening after {timeout:.0f} s; "
                                   f"see {self.folder}")
            time.sleep(0.2)

    def _spawn(self, i: int) -> subprocess.Popen:
        raise NotImplementedError

    def _after_close(self) -> None:
        pass


class NatsCluster(Cluster):
    """`consumer_replicas` / `consumer_memory`: how the MQTT layer keeps each QoS 1 subscription's JetStream
    consumer (NATS's default: as many replicas as the streams, 3, on file). A station has six."""
    name = "nats"

    def __init__(self, consumer_replicas: int | None = None, consumer_memory: bool = False) -> None:
        super().__init__()
        self.route_ports = [free_port() for _ in range(3)]
        self.mqtt_options = "".join([f", consumer_replicas: {consumer_replicas}" if consumer_replicas else "",
                                     ", consumer_memory_storage: true" if consumer_memory else ""])

    def describe(self) -> str:
        """The consumers' settings, as the `mqtt {}` block has them."""
        return self.mqtt_options.lstrip(", ") or "consumers as the streams (3 replicas, file)"

    def _spawn(self, i: int) -> subprocess.Popen:
        node = self.folder / f"n{i + 1}"
        node.mkdir(exist_ok=True)
        routes = ", ".join(f"nats-route://127.0.0.1:{p}" for p in self.route_ports)
        (node / "nats.conf").write_text(
            f"server_name: n{i + 1}\nlisten: 127.0.0.1:{free_port()}\n"
            f"jetstream {{ store_dir: {node / 'js'}, max_memory_store: 256MB, max_file_store: 4GB }}\n"
            f"cluster {{ name: district, listen: 127.0.0.1:{self.route_ports[i]}, routes: [{routes}] }}\n"
            f"mqtt {{ listen: 127.0.0.1:{self.mqtt_ports[i]}, max_ack_pending: 1024{self.mqtt_options} }}\n")
        log = open(node / "log", "a")
        return subprocess.Popen([NATS, "-c", str(node / "nats.conf")], stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


class RabbitCluster(Cluster):
    name = "rabbitmq"

    def __init__(self) -> None:
        super().__init__()
        self.amqp_ports = [free_port() for _ in range(3)]
        self.dist_ports = [free_port() for _ in range(3)]
        self._epmd_was_running = subprocess.run(["epmd", "-names"], capture_output=True).returncode == 0
        cookie = self.folder / ".erlang.cookie"
        cookie.write_text(os.urandom(16).hex())
        cookie.chmod(0o400)

    def _spawn(self, i: int) -> subprocess.Popen:
        node = self.folder / f"r{i + 1}"
        node.mkdir(exist_ok=True)
        (node / "enabled_plugins").write_text("[rabbitmq_mqtt].\n")
        peers = "".join(f"cluster_formation.classic_config.nodes.{k + 1} = rabbit{k + 1}@localhost\n" for k in range(3))
        (node / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.amqp_ports[i]}\n"
            f"mqtt.listeners.tcp.default = 127.0.0.1:{self.mqtt_ports[i]}\n"
            "mqtt.allow_anonymous = true\nloopback_users = none\nmqtt.durable_queue_type = quorum\n"
            "cluster_formation.peer_discovery_backend = classic_config\n" + peers)
        env = {**os.environ, "HOME": str(self.folder), "RABBITMQ_NODENAME": f"rabbit{i + 1}@localhost",
               "RABBITMQ_DIST_PORT": str(self.dist_ports[i]), "RABBITMQ_NODE_PORT": str(self.amqp_ports[i]),
               "RABBITMQ_MNESIA_BASE": str(node / "mnesia"), "RABBITMQ_LOG_BASE": str(node / "log"),
               "RABBITMQ_CONFIG_FILE": str(node / "rabbitmq.conf"), "RABBITMQ_PID_FILE": str(node / "pid"),
               "RABBITMQ_ENABLED_PLUGINS_FILE": str(node / "enabled_plugins")}
        log = open(node / "out", "a")
        return subprocess.Popen([RABBIT], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def _after_close(self) -> None:
        """The Erlang port mapper the first node started (it outlives the nodes), unless it ran before."""
        if not self._epmd_was_running:
            subprocess.run(["epmd", "-kill"], capture_output=True)
