"""Extra CA certificates (TLS-inspecting proxies, corporate roots) that builds should trust."""
from pathlib import Path

from .errors import UserError

# Where Debian/Ubuntu and RHEL-family hosts keep locally added CAs.
AUTO_DIRS = (Path("/usr/local/share/ca-certificates"), Path("/etc/pki/ca-trust/source/anchors"))
SETTING = "build.extra_ca_certs"


def extra_ca_certs(setting, auto_dirs=AUTO_DIRS) -> list[Path]:
    """`auto` (the host's locally added CAs), `none`, or a list of PEM files."""
    if setting in (None, "none", False, []):
        return []
    if setting == "auto":
        found = []
        for d in auto_dirs:
            if d.is_dir():
                found += sorted(p for p in d.rglob("*") if p.is_file() and _is_pem(p))
        return found
    paths = setting.split(",") if isinstance(setting, str) else setting
    if not isinstance(paths, (list, tuple)):
        raise UserError(f"{SETTING}: must be 'auto', 'none' or a list of PEM files, got {setting!r}")
    certs = []
    for raw in paths:
        p = Path(str(raw).strip()).expanduser()
        if not p.is_file():
            raise UserError(f"{SETTING}: {p} does not exist; give PEM certificate files, 'auto' or 'none'")
        if not _is_pem(p):
            raise UserError(f"{SETTING}: {p} is not a PEM certificate (no BEGIN CERTIFICATE line)")
        certs.append(p)
    return certs


def _is_pem(path: Path) -> bool:
    try:
        return b"-----BEGIN CERTIFICATE-----" in path.read_bytes()
    except OSError:
        return False
