"""Starts, stops and reports the local AWS: the API server and the registry behind local ECR."""
import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import boto3
import requests
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from .. import PROJECT_ROOT
from ..console import detail, say, to_terminal, warn
from ..errors import UserError
from ..ports import HOST, ensure_free, holders, wait_free
from ..runtime.credentials_endpoint import Unavailable
from ..settings import Settings
from ..wait import NotYet, WaitTimeout, wait_until
from .credentials import LocalCredentials
from .daemon import Daemon
from .ecr.registry import registry_binary, write_config

SERVER_MODULE = "studio_containers.localaws.server"


@dataclass(frozen=True)
class Endpoint:
    """How to reach a running local AWS."""
    url: str
    region: str
    registry_host: str
    credentials: LocalCredentials

    def client(self, service: str, timeout: float = 30):
        return boto3.session.Session().client(
            service, endpoint_url=self.url, region_name=self.region,
            aws_access_key_id=self.credentials.access_key_id,
            aws_secret_access_key=self.credentials.secret_access_key,
            config=Config(connect_timeout=timeout, read_timeout=timeout,
                          retries={"max_attempts": 2, "mode": "standard"}))

    def environment(self) -> dict[str, str]:
        """Variables that point the AWS CLI, boto3 and Terraform at the local AWS."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
                "AWS_ACCESS_KEY_ID": self.credentials.access_key_id,
                "AWS_SECRET_ACCESS_KEY": self.credentials.secret_access_key}


class LocalAws:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.folder = settings.state_dir / "aws"
        self.state_file = self.folder / "state.bin"
        self.registry_folder = self.folder / "registry"
        self.server = Daemon("server", self.folder, SERVER_MODULE)
        self.registry = Daemon("registry", self.folder, "docker-registry")

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.settings.aws_port}"

    @property
    def registry_host(self) -> str:
        return f"{HOST}:{self.settings.registry_port}"

    def endpoint(self) -> Endpoint:
        creds = LocalCredentials.load_or_create(self.folder / "credentials.json")
        return Endpoint(self.url, self.settings.aws_region, self.registry_host, creds)

    def running(self) -> bool:
        return self.server.pid() is not None and self.registry.pid() is not None

    def died(self) -> bool:
        """Killed or crashed: a pid file left behind by a process that is gone (a stop on
        purpose removes it)."""
        return any(d.pid_file.exists() and d.pid() is None for d in (self.server, self.registry))

    def ensure_started(self) -> Endpoint:
        """The endpoint of the local AWS, started first when it is not running."""
        return self.endpoint() if self.running() else self.start()

    def start(self, environ: dict[str, str] | None = None) -> Endpoint:
        """`environ`: the environment to start from (default: this process's), for a caller on a
        thread while os.environ is being changed (runner.py sets Terraform's around each call)."""
        environ = _without_aws(dict(os.environ) if environ is None else environ)
        if self.running():
            say(f"Local AWS already running at {self.url}")
            return self.endpoint()
        # Half-started leftovers (one of the two died) are stopped so both start clean; a port
        # one of them held is given a moment to be released (CI saw the registry's still bound
        # right after its stop, as the local AWS was started again during a deploy).
        if self.server.stop() | self.registry.stop():
            for port, name in ((self.settings.aws_port, "aws.port"),
                               (self.settings.registry_port, "aws.registry_port")):
                if not wait_free(port, timeout=10):
                    raise UserError(f"{name} {port}: still in use after the local AWS's own "
                                    f"{'server' if name == 'aws.port' else 'registry'} stopped: "
                                    + ("; ".join(holders(port)) or "held by no visible process"))
        ensure_free(self.settings.aws_port, "aws.port")
        ensure_free(self.settings.registry_port, "aws.registry_port")
        binary = registry_binary()
        endpoint = self.endpoint()
        say(f"Starting the local AWS at {self.url} (state: {self.state_file}, "
            f"log: {self.server.log_file})")
        try:
            self._start_server(endpoint, environ)
            say(f"Starting the local ECR registry at {self.registry_host} "
                f"(storage: {self.registry_folder / 'data'}, log: {self.registry.log_file})")
            self._start_registry(binary, endpoint, environ)
        except BaseException:
            self.server.stop()
            self.registry.stop()
            raise
        return endpoint

    def _start_server(self, endpoint: Endpoint, environ: dict[str, str]) -> None:
        creds = endpoint.credentials
        env = dict(environ)
        env.update(LOCALAWS_HOST=HOST, LOCALAWS_PORT=str(self.settings.aws_port),
                   MOTO_PORT=str(self.settings.aws_port),
                   LOCALAWS_REGION=endpoint.region, LOCALAWS_STATE_FILE=str(self.state_file),
                   LOCALAWS_REGISTRY_HOST=endpoint.registry_host,
                   LOCALAWS_REGISTRY_PASSWORD=creds.registry_password,
                   LOCALAWS_ACCESS_KEY_ID=creds.access_key_id,
                   LOCALAWS_SECRET_ACCESS_KEY=creds.secret_access_key,
                   LOCALAWS_EVENTS_TOKEN=creds.events_token,
                   # CreateApp launches apps as the tasks would: same state, engine, base, runtime.
                   LOCALAWS_SETTINGS=self.settings.dumps())
        proc = self.server.start([sys.executable, "-m", SERVER_MODULE], env, PROJECT_ROOT)
        sts = endpoint.client("sts", timeout=2)
        started = time.monotonic()

        def signed_call() -> bool:
            # Through the whole stack (signature, moto), not just an open port.
            sts.get_caller_identity()
            return True
        self._wait(proc, self.server, "local AWS server", signed_call,
                   retry_on=(BotoCoreError, ClientError))
        detail(f"ready in {time.monotonic() - started:.1f}s")

    def _start_registry(self, binary: str, endpoint: Endpoint, environ: dict[str, str]) -> None:
        creds = endpoint.credentials
        config = write_config(self.registry_folder, self.settings.registry_port,
                              self.settings.aws_port, creds.registry_password, creds.events_token)
        proc = self.registry.start([binary, "serve", str(config)], environ, PROJECT_ROOT)
        url = f"http://{self.registry_host}/v2/"

        def logged_in():
            status = requests.get(url, auth=("AWS", creds.registry_password),
                                  timeout=2).status_code
            return status == 200 or NotYet(f"HTTP {status}")
        self._wait(proc, self.registry, "local ECR registry", logged_in,
                   retry_on=(requests.RequestException,))

    def _wait(self, proc: subprocess.Popen, daemon: Daemon, what: str, probe,
              retry_on: tuple[type[BaseException], ...]) -> None:
        def ready():
            if proc.poll() is not None:
                daemon.show_log_tail()
                raise UserError(f"the {what} failed to start: {_exit_reason(daemon, proc)} "
                                f"(log: {daemon.log_file})")
            return probe()
        try:
            wait_until(ready, timeout=self.settings.aws_start_timeout, what=f"the {what} to answer",
                       hint=f"setting aws.start_timeout; see {daemon.log_file}", retry_on=retry_on)
        except WaitTimeout:
            daemon.show_log_tail()
            raise

    def stop(self) -> bool:
        # Registry first: its last notifications still reach the server.
        stopped_registry = self.registry.stop()
        stopped_server = self.server.stop()
        return stopped_registry or stopped_server

    def status(self) -> dict[str, str]:
        server, registry = self.server.pid(), self.registry.pid()
        return {
            "server": f"running, pid {server}, {self.url}" if server else "stopped",
            "registry": f"running, pid {registry}, {self.registry_host}" if registry else "stopped",
            "region": self.settings.aws_region,
            "state": (f"{self.state_file} ({self.state_file.stat().st_size} bytes)"
                      if self.state_file.exists() else f"{self.state_file} (none yet)"),
        }


def _exit_reason(daemon: Daemon, proc: subprocess.Popen) -> str:
    # The server ends a refusal to start (a corrupt state file, a taken port) with "error: …".
    errors = [line for line in daemon.log_tail() if line.startswith("error: ")]
    return errors[-1][len("error: "):] if errors else f"exit code {proc.returncode}"


@contextlib.contextmanager
def kept_running(local: LocalAws, poll: float = 1.0):
    """While a deploy runs against it, a local AWS that died is started again from its saved
    state: Terraform's provider retries refused connections, so the deploy carries on. Stopping
    it on purpose (`aws.stop`) is left alone."""
    done = threading.Event()
    # Taken now: while Terraform runs, sys.stdout/sys.stderr are its output pipe and os.environ
    # holds its variables (runner.py).
    terminal, environ = sys.stderr, dict(os.environ)

    def watch():
        with to_terminal(terminal):
            while not done.wait(poll):     # for the deploy's life, not a wait: no deadline
                if not local.died():
                    continue
                warn(f"the local AWS stopped during the deploy (see {local.server.log_file}); "
                     "starting it again from its saved state")
                try:
                    local.start(environ)
                except Exception as exc:  # noqa: BLE001 - said; the deploy's own error follows
                    warn(f"could not start the local AWS again: {exc}")
                    return
                warn(f"the local AWS is back at {local.url}; the deploy carries on")
    thread = threading.Thread(target=watch, name="local-aws-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _without_aws(environ: dict[str, str]) -> dict[str, str]:
    # The local AWS has credentials of its own; a user's (or Terraform's) must not reach it.
    return {k: v for k, v in environ.items() if not k.startswith("AWS_")}


def require_running(settings: Settings) -> Endpoint:
    local = LocalAws(settings)
    if not local.running():
        raise UserError("the local AWS is not running; start it with `./inv aws.start`")
    return local.endpoint()


def running_local_aws(settings: Settings) -> Callable[[], Endpoint]:
    """The running local AWS's endpoint, looked up each time it is asked (runtime/
    app_credentials.py's LocalAwsEndpoint): `invoke local`'s kernels may call AWS long after
    the app started, or before the user started the local AWS."""
    def endpoint() -> Endpoint:
        local = LocalAws(settings)
        if not local.running():
            raise Unavailable("the local AWS is not running; start it with `./inv aws.start` "
                              "(kernels get their AWS credentials and endpoint from it)")
        return local.endpoint()
    return endpoint
