"""Programs the tool needs on this machine, installed from Debian's packages where that is safe.

Safe means Debian and root (a CI machine, a container, a fresh VM); elsewhere the error says
which package to install.
"""
import os
import shutil
import subprocess
from pathlib import Path

from .console import Tail, say, show_tail
from .errors import UserError

CHROMIUM = "/usr/bin/chromium"


def can_install_here() -> bool:
    return Path("/etc/debian_version").exists() and os.geteuid() == 0


def apt_install(packages: list[str]) -> None:
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", *packages]):
        result = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            tail = Tail()
            tail.feed(result.stdout + result.stderr)
            show_tail(" ".join(cmd), tail)
            raise UserError(f"`{' '.join(cmd)}` failed (exit {result.returncode}); "
                            f"install {', '.join(packages)} by hand and retry")


def ensure_chromium() -> str:
    """The real browser the UI test drives: Debian's chromium (Playwright downloads no browser)."""
    if shutil.which("chromium") or shutil.which(CHROMIUM):
        return CHROMIUM
    if not can_install_here():
        raise UserError("chromium is not installed (the browser test drives it); install "
                        "Debian's `chromium` package and retry")
    say("Installing Debian's chromium for the browser test (apt-get)")
    apt_install(["chromium"])
    return CHROMIUM
