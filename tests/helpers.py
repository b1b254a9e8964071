"""Shared test helpers: settings, image folders, `invoke` (and `invoke local`) as child processes."""
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker
from invoke import Config

from studio_containers import PROJECT_ROOT
from studio_containers.runtime.kernel_client import execute  # noqa: F401 - tests import it from here
from studio_containers.settings import Settings, keep_env_strings


def project_settings(**overrides) -> Settings:
    """Settings as the tasks see them (invoke.yaml + INVOKE_* variables), with overrides."""
    keep_env_strings()
    cfg = Config(project_location=str(PROJECT_ROOT))
    cfg.load_project()
    cfg.load_shell_env()
    for dotted, value in overrides.items():
        section, _, key = dotted.rpartition("__")
        target = cfg[section] if section else cfg
        target[key] = value
    return Settings.from_config(cfg)



def write_image(folder: Path, dockerfile: str, spec_yaml: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "image.yaml").write_text(spec_yaml)
    return folder


class InvokeCli:
    """`invoke` as a user runs it, in a child process, with its own state folder and ports."""

    def __init__(self, state_dir: Path, **settings: str):
        from studio_containers.ports import free_port
        self.env = dict(os.environ, INVOKE_STATE_DIR=str(state_dir),
                        INVOKE_AWS_PORT=str(free_port()),
                        INVOKE_AWS_REGISTRY_PORT=str(free_port()))
        self.env.update({f"INVOKE_{k.upper()}": str(v) for k, v in settings.items()})

    def argv(self, *args: str) -> list[str]:
        from studio_containers import PROJECT_ROOT
        return [sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT), *args]

    def __call__(self, *args: str, check: bool = True, timeout: float = 900):
        done = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check:
            assert done.returncode == 0, f"invoke {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done

    def aws_session(self):
        """A boto3 session on the local AWS, from `invoke aws.env` as a shell would use it."""
        import boto3
        exports = self("aws.env").stdout
        values = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
        return values["AWS_ENDPOINT_URL"], boto3.session.Session(
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
            region_name=values["AWS_REGION"])


URL_RE = re.compile(r"Open (http://127\.0\.0\.1:(\d+)/lab\?token=(\S+))")


class LocalRun:
    """`invoke local` in a child process, its output collected line by line."""

    def __init__(self, env: dict, *args: str):
        self.env = env
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT), "local", *args],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            match = URL_RE.search(line)
            if match:
                url, port, token = match.groups()
                return url, f"http://127.0.0.1:{port}", token
        raise AssertionError("invoke local printed no URL:\n" + "".join(self.output))

    def interrupt(self, timeout: float = 60) -> int:
        os.killpg(self.proc.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        return self.proc.wait(timeout)

    def kill(self):
        """After a failed test: kill it, then sweep what it left (container, JupyterLab)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            subprocess.run([sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT),
                            "local", "--stop"], env=self.env, capture_output=True, timeout=120)

    def gateway(self) -> tuple[str, str]:
        """URL and token of the running gateway container, read from the engine."""
        session = json.loads((Path(self.env["INVOKE_STATE_DIR"]) / "local" /
                              "session.json").read_text())
        container = docker.from_env().containers.get(session["container"])
        env = dict(e.split("=", 1) for e in container.attrs["Config"]["Env"])
        port = container.attrs["NetworkSettings"]["Ports"]["8888/tcp"][0]["HostPort"]
        return f"http://127.0.0.1:{port}", env["KG_AUTH_TOKEN"]

