"""The real browser the UI test drives: Debian's chromium (Playwright downloads no browser)."""
import shutil

from .console import say
from .engine import apt_install, can_install_here
from .errors import UserError

CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> str:
    if shutil.which("chromium") or shutil.which(CHROMIUM):
        return CHROMIUM
    if not can_install_here():
        raise UserError("chromium is not installed (the browser test drives it); install "
                        "Debian's `chromium` package and retry")
    say("Installing Debian's chromium for the browser test (apt-get)")
    apt_install(["chromium"])
    return CHROMIUM
