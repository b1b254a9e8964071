"""Second Docker engines of the tests' own: their own data root, socket and containerd, so the
suite's engine is never touched, started and stopped as a user's engine is.

- `own_network`: in a network namespace of its own (an engine manages, and on some settings
  deletes, the host's docker0, which the suite's engine uses). Its builds and apps cannot reach
  this machine's loopback (the local AWS, the registry).
- otherwise it shares this machine's network, with a bridge of its own (made here, on a subnet
  no route uses): builds and apps reach 127.0.0.1, and publish ports there, as a second engine a
  user starts does.
- `hidden_layers`: its data root is a tmpfs mounted in a mount namespace of its own, so this
  process cannot see its layer folders, as with an engine on another machine.
"""
import random
import shlex
import signal
import subprocess
import tempfile
from pathlib import Path

import docker

from studio_containers.wait import NotYet, wait_until


class Engine:
    def __init__(self, own_network: bool = True, hidden_layers: bool = False):
        # Short: the engine's and containerd's unix sockets live under these folders.
        self.root = Path(tempfile.mkdtemp(prefix="sc-engine-", dir="/tmp"))
        self.socket = self.root / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.own_network, self.hidden_layers = own_network, hidden_layers
        self.proc = None
        self.bridge = None if own_network else "sc-" + self.root.name[-8:].lower().replace("_", "0")

    def command(self) -> list[str]:
        data = self.root / "data"
        data.mkdir(exist_ok=True)
        dockerd = ["dockerd", "--data-root", str(data), "--exec-root", str(self.root / "x"),
                   "--pidfile", str(self.root / "dockerd.pid"), "-H", self.url,
                   "--iptables=false", "--ip-masq=false"]
        if self.bridge:
            dockerd.append(f"--bridge={self.bridge}")
        if self.hidden_layers:
            dockerd = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                       f"mount -t tmpfs studio-containers-test {shlex.quote(str(data))} && exec "
                       + shlex.join(dockerd)]
        return (["unshare", "--net", "--"] if self.own_network else []) + dockerd

    def _make_bridge(self) -> None:
        if self.bridge is None or subprocess.run(["ip", "link", "show", self.bridge],
                                                 capture_output=True).returncode == 0:
            return
        routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
        third = next(n for n in random.sample(range(1, 255), 254) if f"10.213.{n}." not in routes)
        for command in (["link", "add", "name", self.bridge, "type", "bridge"],
                        ["addr", "add", f"10.213.{third}.1/24", "dev", self.bridge],
                        ["link", "set", self.bridge, "up"]):
            subprocess.run(["ip", *command], check=True, capture_output=True)

    def start(self) -> docker.DockerClient:
        """Started, or the client of the one already running (a second dockerd on the same
        socket would fail, after this one answered for it, and the first would outlive remove())."""
        if self.proc and self.proc.poll() is None:
            return docker.DockerClient(base_url=self.url, timeout=300)
        self._make_bridge()
        log = open(self.root / "dockerd.log", "ab")
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

        def answers():
            if self.proc.poll() is not None:
                raise AssertionError((self.root / "dockerd.log").read_text()[-3000:])
            try:
                client = docker.DockerClient(base_url=self.url, timeout=300)
                client.ping()
                return client
            except docker.errors.DockerException as exc:
                return NotYet(str(exc))
        return wait_until(answers, timeout=60, interval=0.3, what="the test's own dockerd to answer")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)     # what `systemctl stop docker` sends
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def remove(self) -> None:
        """Stop it and remove its folders: what it ran is gone with it."""
        self.stop()
        if self.bridge:
            subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        subprocess.run(["umount", "-R", str(self.root)], capture_output=True)
        subprocess.run(["rm", "-rf", "--one-file-system", str(self.root)], capture_output=True)
