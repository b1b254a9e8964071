"""The local ECR's storage: Debian's docker-registry (distribution 2.8), a real OCI registry.

It listens on 127.0.0.1 only, asks for the login that GetAuthorizationToken hands out (htpasswd,
bcrypt) and reports each push to the local AWS server, which records it in ECR.
"""
import secrets
import shutil
from pathlib import Path

import bcrypt
import yaml

from ...console import say
from ...errors import UserError
from ...files import write_private
from ...host import apt_install, can_install_here

PACKAGE = "docker-registry"


def registry_binary() -> str:
    found = shutil.which("docker-registry") or shutil.which("registry")
    if found:
        return found
    if not can_install_here():
        raise UserError("docker-registry (the local ECR's registry) is not installed; install "
                        "Debian's `docker-registry` package (distribution 2.8) and retry")
    say("Installing Debian's docker-registry for the local ECR (apt-get)")
    apt_install([PACKAGE])
    found = shutil.which("docker-registry")
    if not found:
        raise UserError("apt-get installed docker-registry but it is not on PATH")
    return found


def write_config(folder: Path, port: int, server_port: int, password: str,
                 events_token: str) -> Path:
    htpasswd = folder / "htpasswd"
    # The registry checks the bcrypt hash on every request (a push makes a dozen). The password
    # is 190 random bits, so a low cost factor loses nothing and saves ~0.25 s per request.
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    write_private(htpasswd, f"AWS:{hashed}\n")
    config = {
        "version": 0.1,
        # "info" would log the notification endpoint with its Authorization header.
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(folder / "data")},
                    "delete": {"enabled": True}},
        "http": {"addr": f"127.0.0.1:{port}", "secret": secrets.token_urlsafe(24),
                 "headers": {"X-Content-Type-Options": ["nosniff"]}},
        "auth": {"htpasswd": {"realm": "local-ecr", "path": str(htpasswd)}},
        "notifications": {"endpoints": [{
            "name": "local-aws",
            "url": f"http://127.0.0.1:{server_port}/_studio_containers/registry-events",
            "headers": {"Authorization": [f"Bearer {events_token}"]},
            "timeout": "5s", "threshold": 3, "backoff": "1s",
            "ignoredmediatypes": ["application/octet-stream"],
        }]},
    }
    path = folder / "config.yml"
    write_private(path, yaml.safe_dump(config, sort_keys=False))
    return path
