"""The CLI in a child process, as a user runs it: for the end-to-end tests and the benchmarks.

Each `Cli` has its own state folder and local-AWS ports, so runs never touch the user's `.state`
or each other.
"""
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from . import PROJECT_ROOT
from .ports import HOST, free_port
from .wait import NotYet, WaitTimeout, wait_until

URL_RE = re.compile(r"Open (http://127\.0\.0\.1:(\d+)/\S*\?token=(\S+))")


class CliFailed(AssertionError):
    """A command the caller expected to succeed exited non-zero; the message has its output."""


def invoke_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT), *args]


class Cli:
    """`invoke` with settings of its own (INVOKE_* variables), run to completion per call."""

    def __init__(self, state_dir: Path, **settings):
        self.env = dict(os.environ, INVOKE_STATE_DIR=str(state_dir),
                        INVOKE_AWS_PORT=str(free_port()),
                        INVOKE_AWS_REGISTRY_PORT=str(free_port()))
        self.env.update({f"INVOKE_{k.upper()}": str(v) for k, v in settings.items()})

    def argv(self, *args: str) -> list[str]:
        return invoke_argv(*args)

    def __call__(self, *args: str, check: bool = True, timeout: float | None = 900):
        done = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check and done.returncode != 0:
            raise CliFailed(f"invoke {' '.join(args)} exited {done.returncode}:\n"
                            f"{done.stdout}{done.stderr}")
        return done

    def timed(self, *args: str) -> tuple[float, str]:
        """Seconds a successful run took (no time limit: a first build may be long), its output."""
        started = time.monotonic()
        done = self(*args, timeout=None)
        return time.monotonic() - started, done.stdout

    def aws_session(self):
        """A boto3 session on the local AWS, from `invoke aws.env` as a shell would use it."""
        import boto3
        exports = self("aws.env").stdout
        values = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
        return values["AWS_ENDPOINT_URL"], boto3.session.Session(
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
            region_name=values["AWS_REGION"])


class LocalRun:
    """`invoke local` in a child process, its output collected line by line."""

    def __init__(self, env: dict, *args: str):
        self.env = env
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            invoke_argv("local", *args), env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, start_new_session=True,
            # A runner started in the background by a shell inherits SIGINT ignored, and Python then
            # never turns SIGINT into KeyboardInterrupt: give the child a terminal's Ctrl-C back.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.lines: "queue.Queue[str]" = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for line in self.proc.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for_url(self, timeout: float) -> tuple[str, str, str]:
        """The printed URL, the lab's base URL and its token."""
        def printed():
            if self.proc.poll() is not None and self.lines.empty():
                raise CliFailed("invoke local exited before it printed a URL:\n" + "".join(self.output))
            try:
                return URL_RE.search(self.lines.get(timeout=1)) or NotYet(self.output[-1].strip())
            except queue.Empty:
                return NotYet(self.output[-1].strip() if self.output else "no output yet")
        try:
            match = wait_until(printed, timeout=timeout, interval=0, what="`invoke local` to print its URL")
        except WaitTimeout as exc:
            raise CliFailed(f"{exc}:\n" + "".join(self.output)) from None
        url, port, token = match.groups()
        return url, f"http://{HOST}:{port}", token

    def interrupt(self, timeout: float = 60) -> int:
        os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        return self.proc.wait(timeout)

    def kill(self):
        """After a failed test: kill it, then sweep what it left (container, JupyterLab)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            subprocess.run(invoke_argv("local", "--stop"), env=self.env, capture_output=True,
                           timeout=120)

    def record(self) -> dict:
        """What the running session recorded: image, URL, container name, lab pid."""
        from .local.lock import SessionLock
        return SessionLock(Path(self.env["INVOKE_STATE_DIR"])).read()

    def gateway(self) -> tuple[str, str]:
        """URL and token of the running gateway container, read from the engine."""
        import docker

        from .runtime.gateway import gateway_port_of
        container = docker.from_env().containers.get(self.record()["container"])
        env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
        port = gateway_port_of(container)
        return f"http://{HOST}:{port}", env["KG_AUTH_TOKEN"]
