"""A Python base image made from Debian's own packages, for machines that cannot pull one.

It stands in for python:3.11-slim-bookworm, so a Dockerfile written for that image builds on it
unchanged apart from its FROM line: `python`, `python3`, `pip` and `pip3` on PATH, `pip install`
into the system Python (no PEP 668 marker, as in the official image), apt-get, the official
image's LANG, PATH and CMD (tests/integration/build/test_base_facts.py holds the list).
Made once with debootstrap and kept as a tarball in the cache folder; loaded from it as an
archive written here (image_archive.py), so that every engine gets the same image id.
"""
import json
import re
import shutil
import subprocess
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import docker

from ..console import Tail, detail, say, show_tail, warn
from ..errors import UserError
from ..host import apt_install, can_install_here
from .image_archive import (host_architecture, load_archive, read_saved, sha256_file,
                            write_archive)
from .pulls import image_exists

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "python3-pip", "python-is-python3", "ca-certificates")
FORMAT = 3      # bumped when the making changes: a cached tarball of another format is not used
IMAGE = f"studio-containers/debian-base:{SUITE}-python3-{FORMAT}"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# debootstrap's own milestones, shown as progress.
PROGRESS_STEPS = ("Retrieving Release", "Retrieving Packages", "Extracting base", "Installing core",
                  "Installing base", "Base system installed")
# python:3.11-slim-bookworm's own: /usr/local/bin first (ahead of debian:bookworm-slim's PATH),
# LANG, PYTHON_VERSION, and python3 as the command.
OFFICIAL_PATH = "/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# PEP 668: Debian's Python refuses `pip install` outside a venv where this file is; the
# official image has none.
EXTERNALLY_MANAGED = "usr/lib/python3*/EXTERNALLY-MANAGED"


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
    """The base in this engine, the same bytes as the cached tarball (the one source every engine
    of this machine loads from, so they all give a build the same layers and content hashes)."""
    tarball = cache_dir / "base" / f"{SUITE}-python3-{FORMAT}.tar"
    facts_file = tarball.with_suffix(".json")
    cached = tarball.exists() and facts_file.exists()
    if image_exists(client, IMAGE):
        layers = client.images.get(IMAGE).attrs["RootFS"]["Layers"]
        if cached and layers == [json.loads(facts_file.read_text())["diff_id"]]:
            return IMAGE
        if not cached and _cache_from_engine(client, tarball, facts_file):
            return IMAGE
        if cached:
            say(f"{IMAGE} in this engine differs from the cached base; loading the cached one")
    if not cached:
        _debootstrap(tarball, facts_file, mirror or apt_mirror())
    say(f"Loading the cached Debian base {tarball} as {IMAGE}")
    facts = json.loads(facts_file.read_text())
    config = base_config(facts)
    archive = tarball.with_suffix(".load.tar")
    try:
        write_archive(archive, IMAGE, config, [tarball])
        load_archive(client, archive)
    finally:
        archive.unlink(missing_ok=True)
    # Layers, not the id: an engine with the containerd image store names images by manifest.
    if client.images.get(IMAGE).attrs["RootFS"]["Layers"] != config["rootfs"]["diff_ids"]:
        raise UserError(f"{IMAGE}: the engine loaded other layers than {archive.name} holds")
    return IMAGE


def _cache_from_engine(client: docker.DockerClient, tarball: Path, facts_file: Path) -> bool:
    """The engine has the base but the cache folder lost it (cleared, or a clean clone next to
    a kept engine): save it back, so another engine made later loads these bytes rather than a
    new debootstrap's. False when the engine's image is not one this module made."""
    say(f"Keeping {IMAGE} from this engine in the cache folder ({tarball})")
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=tarball.parent, prefix="saved-") as folder:
        config, layers = read_saved(client, IMAGE, Path(folder))
        diff_ids = config.get("rootfs", {}).get("diff_ids", [])
        env = dict(e.split("=", 1) for e in config.get("config", {}).get("Env") or [] if "=" in e)
        facts = {"diff_id": diff_ids[0] if len(diff_ids) == 1 else "",
                 "python_version": env.get("PYTHON_VERSION", ""),
                 "architecture": config.get("architecture"), "mirror": "(saved from the engine)",
                 "created": config.get("created")}
        if (len(layers) != 1 or base_config(facts) != _ours(config)
                or sha256_file(layers[0]) != facts["diff_id"]):
            warn(f"{IMAGE} in this engine was not made by studio-containers; making it again")
            return False
        layers[0].rename(tarball.with_suffix(".tar.partial"))
        facts_file.write_text(json.dumps(facts, indent=2) + "\n")
        tarball.with_suffix(".tar.partial").rename(tarball)
    return True


def _ours(config: dict) -> dict:
    """The members base_config writes, as the engine gives them back."""
    return {key: config.get(key) for key in ("architecture", "os", "created", "config", "rootfs",
                                             "history")}


def base_config(facts: dict) -> dict:
    """The image config of the Debian base: the same facts, the same bytes, the same id."""
    env = [f"PATH={OFFICIAL_PATH}", "LANG=C.UTF-8", f"PYTHON_VERSION={facts['python_version']}"]
    return {
        "architecture": facts["architecture"], "os": "linux", "created": facts["created"],
        "config": {"Env": env, "Cmd": ["python3"]},
        "rootfs": {"type": "layers", "diff_ids": [facts["diff_id"]]},
        "history": [{"created": facts["created"],
                     "created_by": f"debootstrap --variant=minbase --include={','.join(PACKAGES)} "
                                   f"{SUITE} (studio-containers)"}],
    }


def python_version(rootfs: Path) -> str:
    """Debian's python3.11 package version, upstream part: 3.11.2-6+deb12u6 -> 3.11.2."""
    status = (rootfs / "var/lib/dpkg/status").read_text(errors="replace")
    match = re.search(r"^Package: python3\.\d+\n(?:[^\n]+\n)*?Version: (\d+\.\d+\.\d+)", status, re.M)
    return match[1] if match else "3"


def _debootstrap(tarball: Path, facts_file: Path, mirror: str) -> None:
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
    for marker in work.glob(EXTERNALLY_MANAGED):
        # Diverted, not deleted: a later apt-get that reinstalls Python's standard library
        # (python3-dev pins it, an upgrade replaces it) puts it at the diverted name instead.
        inside = "/" + marker.relative_to(work).as_posix()
        subprocess.run(["chroot", str(work), "dpkg-divert", "--local", "--rename", "--add", inside],
                       check=True, capture_output=True)
    partial = tarball.with_suffix(".tar.partial")
    subprocess.run(["tar", "-C", str(work), "--numeric-owner", "--sort=name", "-cf", str(partial),
                    "."], check=True)
    facts = {"diff_id": sha256_file(partial), "python_version": python_version(work),
             "architecture": host_architecture(), "mirror": mirror,
             "created": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    facts_file.write_text(json.dumps(facts, indent=2) + "\n")
    partial.rename(tarball)  # atomic: a killed run never leaves a truncated cache
    shutil.rmtree(work, ignore_errors=True)
