"""Find a Docker engine, or install and start one where that is safe (Debian, as root)."""
import os
import shutil
import subprocess
from pathlib import Path

import docker
from docker.errors import DockerException

from .. import host
from ..console import say, show_tail
from ..errors import UserError
from ..wait import NotYet, WaitTimeout, wait_until

START_TIMEOUT = 60
HOW_TO_GET_ONE = ("Start Docker (e.g. `sudo systemctl start docker`) or point DOCKER_HOST at a running "
                  "engine; see https://docs.docker.com/engine/install/")


def connect() -> docker.DockerClient | None:
    """A client whose engine answers, from DOCKER_HOST or the default socket; else None."""
    try:
        client = docker.from_env(timeout=300)
        client.ping()
        return client
    except DockerException:
        return None


def ensure_engine(state_dir: Path) -> docker.DockerClient:
    client = connect()
    if client is not None:
        return client
    if os.environ.get("DOCKER_HOST"):
        raise UserError(f"DOCKER_HOST={os.environ['DOCKER_HOST']}: no Docker engine answers there. "
                        "Start it, or unset DOCKER_HOST to use a local engine.")
    if not host.can_install_here():
        raise UserError(f"No Docker engine answers on the default socket. {HOW_TO_GET_ONE}")
    if shutil.which("dockerd") is None:
        say("No Docker engine here: installing Debian's docker.io (apt-get)")
        host.apt_install(["docker.io"])
    start_dockerd(state_dir)
    client = connect()
    if client is None:
        raise UserError(f"dockerd started but does not answer; see {state_dir / 'dockerd.log'}")
    return client


def start_dockerd(state_dir: Path) -> None:
    """Start dockerd in the background, the way docs/environment.md records that it works here."""
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "dockerd.log"
    say(f"Starting the Docker engine (dockerd --iptables=false, log: {log_path})")
    log = open(log_path, "ab")
    # Own session: the engine outlives this command and is not hit by the terminal's Ctrl-C.
    proc = subprocess.Popen(["dockerd", "--iptables=false"], stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True)

    def answers():
        if proc.poll() is not None:
            show_tail(str(log_path), log_path.read_text(errors="replace").splitlines())
            raise UserError(f"dockerd exited with code {proc.returncode}; see {log_path}")
        return connect() is not None or NotYet("no answer on the engine's socket")
    try:
        wait_until(answers, timeout=START_TIMEOUT, interval=0.5, what="dockerd to answer",
                   hint=f"see {log_path}")
    except WaitTimeout:
        show_tail(str(log_path), log_path.read_text(errors="replace").splitlines())
        raise
