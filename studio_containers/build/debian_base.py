"""A Python base image made from Debian's own packages, for machines that cannot pull one.

Equivalent to python:3.11-slim-bookworm for our images' needs (python, venv, pip, CA store).
Made once with debootstrap, kept as a tarball in the cache folder so a fresh engine re-imports it
in seconds.
"""
import re
import shutil
import subprocess
from pathlib import Path

import docker

from ..console import Tail, detail, say, show_tail
from ..errors import UserError
from ..host import apt_install, can_install_here
from .dockerbuild import image_exists

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "python3-pip", "python-is-python3", "ca-certificates")
IMAGE = f"studio-containers/debian-base:{SUITE}-python3"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# debootstrap's own milestones, shown as progress.
PROGRESS_STEPS = ("Retrieving Release", "Retrieving Packages", "Extracting base", "Installing core",
                  "Installing base", "Base system installed")
IMAGE_CHANGES = ['ENV LANG=C.UTF-8',
                 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
                 'CMD ["bash"]']


def apt_mirror(sources=(Path("/etc/apt/sources.list"), Path("/etc/apt/sources.list.d"))) -> str:
    """The Debian archive this host already uses (the one the network lets through)."""
    files = []
    for s in sources:
        files += sorted(s.glob("*")) if s.is_dir() else [s] if s.exists() else []
    for f in files:
        text = f.read_text(errors="replace")
        for m in re.finditer(r"^(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)", text, re.M):
            url = m.group(1)
            if url.startswith("http") and "security" not in url:
                return url.rstrip("/")
    return DEFAULT_MIRROR


def ensure_debian_base(client: docker.DockerClient, cache_dir: Path, mirror: str | None = None) -> str:
    if image_exists(client, IMAGE):
        return IMAGE
    tarball = cache_dir / "base" / f"{SUITE}-python3.tar"
    if not tarball.exists():
        _debootstrap(tarball, mirror or apt_mirror())
    say(f"Importing the cached Debian base {tarball} as {IMAGE}")
    repo, tag = IMAGE.split(":")
    client.api.import_image_from_file(str(tarball), repository=repo, tag=tag, changes=IMAGE_CHANGES)
    return IMAGE


def _debootstrap(tarball: Path, mirror: str) -> None:
    if not can_install_here():
        raise UserError("build.base_image cannot be pulled and a Debian base can only be made here "
                        "as root on Debian; set build.base_image to an image your engine has")
    if shutil.which("debootstrap") is None:
        say("Installing debootstrap (apt-get) to make a base image from Debian packages")
        apt_install(["debootstrap"])
    work = tarball.parent / "rootfs.partial"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    say(f"Making a {SUITE} Python base from Debian packages with debootstrap ({mirror}); "
        "once, about a minute")
    cmd = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(work), mirror]
    tail = Tail()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        tail.feed(line)
        if line.startswith("I: ") and any(step in line for step in PROGRESS_STEPS):
            detail(line.strip())
    if proc.wait() != 0:
        show_tail("debootstrap", tail)
        shutil.rmtree(work, ignore_errors=True)
        raise UserError(f"debootstrap failed (exit {proc.returncode}) with mirror {mirror}; "
                        "set build.debian_mirror to a reachable Debian mirror")
    for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
        for p in (work / junk).glob("*"):
            if p.is_file():
                p.unlink()
    partial = tarball.with_suffix(".tar.partial")
    subprocess.run(["tar", "-C", str(work), "--numeric-owner", "-cf", str(partial), "."], check=True)
    partial.rename(tarball)  # atomic: a killed run never leaves a truncated cache
    shutil.rmtree(work, ignore_errors=True)
