"""Start the Kernel Gateway inside the user's image, finding kernels the way Studio does.

Runs with the bundled interpreter (``python3 -s -E``) as the image's user. Studio resolves
kernels through the ``sys.prefix`` of the image's ``python`` on PATH and shows only the kernels
named in the AppImageConfig; this launcher does the same, then runs the gateway in its process.

Input (environment, removed from the gateway's environment before it starts, so its kernels do
not inherit them; /proc/<pid>/environ keeps the process's first block, readable by the image's
user, who can read the token in the gateway's config file, in its 0700 folder, anyway):
  SC_KERNELS    JSON list of {"name", "display_name"} from the image spec
  KG_AUTH_TOKEN the token every request must carry
  SC_TCP_NODELAY "0" leaves Nagle's algorithm on (only to measure the difference)
  SC_GATEWAY_IP, SC_GATEWAY_PORT  where to listen on the host's network (default 0.0.0.0:8888)
Exit 3 with one JSON line on stderr when a spec kernel is not in the image.

With SC_MODE=inspect it starts nothing: it prints one JSON report of how kernels are found
(the image's python, its prefix, the PATH searched, each kernelspec with where it lives, its
language and whether its interpreter exists, IRkernel's presence for R kernels, kernelspecs
elsewhere in the image) for `invoke validate`, and exits 0.
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

# This file runs inside the user's image, without our package: these repeat studio.py and
# runtime/volume.py, and tests/unit/runtime/test_launch.py fails when they disagree.
PREFIX = "/opt/.sagemakerinternal"
SITE = os.path.join(PREFIX, "lib", "site")
GATEWAY_PORT = 8888
INTERNAL_ENV = {"SC_KERNELS", "KG_AUTH_TOKEN", "SC_TCP_NODELAY", "SC_GATEWAY_IP", "SC_GATEWAY_PORT"}
MISSING_KERNELS_EXIT = 3


def log(msg):
    print(f"studio-containers: {msg}", flush=True)


def image_python(path):
    """The interpreter Studio uses to derive JUPYTER_PATH: `python` on the image's PATH."""
    for name in ("python", "python3"):
        found = shutil.which(name, path=path)
        if found:
            return found
    return None


PREFIX_TIMEOUT = 60


def ask_prefix(python, env):
    """The image's Python asked for its sys.prefix, answering in the background (prefix_of)."""
    return subprocess.Popen([python, "-c", "import sys; print(sys.prefix)"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                            text=True)


def prefix_of(asked):
    try:
        out, err = asked.communicate(timeout=PREFIX_TIMEOUT)
    except subprocess.TimeoutExpired:
        asked.kill()
        asked.communicate()
        raise RuntimeError(f"{asked.args[0]} did not answer within {PREFIX_TIMEOUT} s") from None
    if asked.returncode != 0:
        raise RuntimeError(f"{asked.args[0]} failed: {err.strip()[-300:]}")
    return out.strip()


def python_prefix(python, env):
    return prefix_of(ask_prefix(python, env))


def kernel_dirs(prefix, home):
    """Kernelspec folders in Jupyter's precedence order (user, the image Python's prefix, system)."""
    dirs = []
    if home:
        dirs.append(os.path.join(home, ".local", "share", "jupyter", "kernels"))
    if prefix:
        dirs.append(os.path.join(prefix, "share", "jupyter", "kernels"))
    dirs += ["/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels"]
    return dirs


def conda_root(prefix):
    if not prefix or not os.path.isdir(os.path.join(prefix, "conda-meta")):
        return None
    parent = os.path.dirname(prefix)
    if os.path.basename(parent) == "envs":
        return os.path.dirname(parent)
    return prefix


def conda_kernels(prefix):
    """Conda environments with ipykernel appear in Studio as `conda-env-<env>-py`."""
    root = conda_root(prefix)
    specs = {}
    if not root:
        return specs
    for env_dir in sorted(glob.glob(os.path.join(root, "envs", "*"))):
        python = os.path.join(env_dir, "bin", "python")
        if not os.path.exists(python):
            continue
        if not glob.glob(os.path.join(env_dir, "lib", "python*", "site-packages", "ipykernel")):
            continue
        env = os.path.basename(env_dir)
        specs[f"conda-env-{env}-py"] = {
            "argv": [python, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": f"Python [conda env:{env}]",
            "language": "python",
        }
    return specs


def find_kernelspecs(dirs):
    """name -> folder, first folder wins, as jupyter_client does."""
    found = {}
    for d in dirs:
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            spec_dir = os.path.join(d, name)
            if name not in found and os.path.isfile(os.path.join(spec_dir, "kernel.json")):
                found[name] = spec_dir
    return found


def resolve_argv0(argv, path):
    # jupyter_client would swap a bare "python" for the *gateway's* interpreter; Studio runs the
    # image's, so resolve bare names on the image's PATH here.
    if argv and os.sep not in argv[0]:
        resolved = shutil.which(argv[0], path=path)
        if resolved:
            return [resolved] + argv[1:]
    return argv


def write_overlay(overlay, wanted, found, synthetic, path):
    for kernel in wanted:
        name = kernel["name"]
        dest = os.path.join(overlay, name)
        if name in found:
            shutil.copytree(found[name], dest)
            with open(os.path.join(dest, "kernel.json")) as f:
                spec = json.load(f)
        else:
            os.makedirs(dest)
            spec = dict(synthetic[name])
        spec["argv"] = resolve_argv0(spec.get("argv", []), path)
        if kernel.get("display_name"):
            spec["display_name"] = kernel["display_name"]
        with open(os.path.join(dest, "kernel.json"), "w") as f:
            json.dump(spec, f, indent=1)


def argv0_found(argv0, path):
    """Whether the kernel's interpreter exists: a bare name on the image's PATH, else the file."""
    if not argv0:
        return False
    if os.sep not in argv0:
        return shutil.which(argv0, path=path) is not None
    return os.path.isfile(argv0) and os.access(argv0, os.X_OK)


def is_r(language):
    return (language or "").strip().lower() == "r"


# An R kernel needs the IRkernel package in the library of the R it starts; a kernelspec alone
# (e.g. copied in from elsewhere) leaves a kernel that dies at start.
R_CHECK = 'cat(requireNamespace("IRkernel", quietly = TRUE))'
R_CHECK_TIMEOUT = 30


def r_check_command(r):
    """Rscript next to the kernel's R (or next to what a symlinked R points at), else R itself."""
    if os.path.basename(r) == "Rscript":
        return [r, "-e", R_CHECK]
    for folder in (os.path.dirname(r), os.path.dirname(os.path.realpath(r))):
        rscript = os.path.join(folder, "Rscript")
        if os.path.isfile(rscript) and os.access(rscript, os.X_OK):
            return [rscript, "-e", R_CHECK]
    return [r, "--slave", "--no-restore", "-e", R_CHECK]


def run_bounded(argv, env, timeout):
    """(returncode, stdout, stderr); its own process group, so that R's children die with it."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            pass  # a grandchild that left the group still holds the pipes: do not wait for it
        raise
    return proc.returncode, out, err


def irkernel_installed(r, env, timeout=None):
    """(True/False, None), or (None, why) when R could not say."""
    argv = r_check_command(r)
    timeout = R_CHECK_TIMEOUT if timeout is None else timeout
    try:
        code, out, err = run_bounded(argv, env, timeout)
    except subprocess.TimeoutExpired:
        return None, f"{argv[0]} did not answer within {timeout} s"
    except OSError as exc:
        return None, f"{argv[0]} could not be run: {exc}"
    words = out.split()
    if code == 0 and words and words[-1] in ("TRUE", "FALSE"):
        return words[-1] == "TRUE", None
    detail = err.strip()[-300:] or f"printed {out.strip()[-100:]!r}"
    return None, f"{argv[0]} exited {code}: {detail}"


def kernel_entry(spec_dir, argv, language, path, image_env):
    argv = resolve_argv0(argv, path)
    argv0 = argv[0] if argv else None
    found = argv0_found(argv0, path)
    entry = {"dir": spec_dir, "argv0": argv0,
             # an unresolved bare name has no real path (realpath would invent one in the cwd)
             "argv0_real": os.path.realpath(argv0) if argv0 and os.sep in argv0 else None,
             "argv0_found": found, "language": language}
    if is_r(language):
        if found:
            entry["irkernel"], entry["irkernel_error"] = irkernel_installed(argv0, image_env)
        else:
            entry["irkernel"] = None
            entry["irkernel_error"] = "not checked: its interpreter was not found"
    return entry


# Where kernelspecs of other Pythons usually live: seen, but not used, by Studio.
ELSEWHERE = ["/opt/*/share/jupyter/kernels", "/opt/*/*/share/jupyter/kernels",
             "/opt/*/envs/*/share/jupyter/kernels", "/usr/local/*/share/jupyter/kernels",
             "/srv/*/share/jupyter/kernels", "/root/.local/share/jupyter/kernels",
             "/home/*/.local/share/jupyter/kernels"]


def inspect(path, home, image_env):
    python = image_python(path)
    report = {"python": python, "python_real": os.path.realpath(python) if python else None,
              "prefix": None, "prefix_error": None, "path": path, "kernels": {}, "elsewhere": {}}
    if python:
        try:
            report["prefix"] = python_prefix(python, image_env)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            report["prefix_error"] = str(exc)
    found = find_kernelspecs(kernel_dirs(report["prefix"], home))
    for name, spec_dir in found.items():
        try:
            with open(os.path.join(spec_dir, "kernel.json")) as f:
                kernel_json = json.load(f)
            argv, language = kernel_json.get("argv"), kernel_json.get("language")
        except (OSError, ValueError, AttributeError):
            argv, language = [], None
        argv = argv if isinstance(argv, list) and all(isinstance(a, str) for a in argv) else []
        language = language if isinstance(language, str) else None
        report["kernels"][name] = kernel_entry(spec_dir, argv, language, path, image_env)
    for name, spec in conda_kernels(report["prefix"]).items():
        if name not in report["kernels"]:
            report["kernels"][name] = kernel_entry(None, spec["argv"], spec["language"], path,
                                                   image_env)
    for pattern in ELSEWHERE:
        for d in sorted(glob.glob(pattern)):
            for name, spec_dir in find_kernelspecs([d]).items():
                report["elsewhere"].setdefault(name, []).append(spec_dir)
    print(json.dumps(report), flush=True)


def load_gateway(tcp_nodelay, site=SITE):
    """The Kernel Gateway's launch_instance, imported with the bundle's packages, after
    lean.skip_unused_format_checkers() (1.3 s less to start, see lean.py) and, unless measuring
    without it, nodelay.apply() (no 40 ms Nagle wait on kernel websockets)."""
    here = os.path.dirname(os.path.abspath(__file__))
    for folder in (site, here):
        if folder not in sys.path:
            sys.path.insert(0, folder)
    import lean
    lean.skip_unused_format_checkers()
    if tcp_nodelay:
        import nodelay
        nodelay.apply()
    from kernel_gateway import launch_instance
    return launch_instance


def main():
    if os.environ.get("SC_MODE") == "inspect":
        image_env = {k: v for k, v in os.environ.items() if k not in INTERNAL_ENV | {"SC_MODE"}}
        inspect(os.environ.get("PATH", os.defpath), os.environ.get("HOME", ""), image_env)
        return
    wanted = json.loads(os.environ.get("SC_KERNELS", "[]"))
    token = os.environ.get("KG_AUTH_TOKEN", "")
    path = os.environ.get("PATH", os.defpath)
    home = os.environ.get("HOME", "")
    image_env = {k: v for k, v in os.environ.items() if k not in INTERNAL_ENV}
    tcp_nodelay = os.environ.get("SC_TCP_NODELAY", "1") == "1"
    port = int(os.environ.get("SC_GATEWAY_PORT", GATEWAY_PORT))
    ip = os.environ.get("SC_GATEWAY_IP", "0.0.0.0")

    # The gateway runs in this process, with the environment a plain container of the image
    # has plus its own Jupyter folders; the image's Python answers for its prefix while the
    # gateway's modules load, the two longest steps of a start, on a core each.
    python = image_python(path)
    asked = ask_prefix(python, image_env) if python else None
    private = tempfile.mkdtemp(prefix="studio-containers-")  # mode 0700
    data_dir = os.path.join(private, "data")
    for name in INTERNAL_ENV:
        os.environ.pop(name, None)
    os.environ.update({
        "JUPYTER_CONFIG_DIR": os.path.join(private, "config"),
        # The overlay is the user data dir, first in Jupyter's search order; with
        # allowed_kernelspecs only the spec's kernels, taken from the overlay, are offered.
        "JUPYTER_DATA_DIR": data_dir,
        "JUPYTER_PATH": data_dir,
        "JUPYTER_RUNTIME_DIR": os.path.join(private, "runtime"),
    })
    launch_instance = load_gateway(tcp_nodelay)

    prefix = prefix_of(asked) if asked else None
    found = find_kernelspecs(kernel_dirs(prefix, home))
    synthetic = {k: v for k, v in conda_kernels(prefix).items() if k not in found}
    available = sorted(set(found) | set(synthetic))
    missing = [k["name"] for k in wanted if k["name"] not in available]
    log(f"uid={os.getuid()} gid={os.getgid()} python={python} prefix={prefix} kernels={available}")
    if missing:
        print(json.dumps({"error": "missing_kernels", "missing": missing, "available": available,
                          "python": python, "prefix": prefix}), file=sys.stderr, flush=True)
        sys.exit(MISSING_KERNELS_EXIT)

    overlay = os.path.join(data_dir, "kernels")
    os.makedirs(overlay)
    write_overlay(overlay, wanted, found, synthetic, path)
    config = {
        "KernelGatewayApp": {
            # In the container's own network, published on 127.0.0.1 only; on the host's network
            # (SC_GATEWAY_IP/PORT given), on 127.0.0.1 at the port it would be published on.
            "ip": ip,
            "port": port,
            "port_retries": 0,
            "auth_token": token,
            "default_kernel_name": wanted[0]["name"] if wanted else "",
            # Kernels see the image's environment as in a plain container, not the gateway's internals.
            "env_process_whitelist": sorted(k for k in image_env if not k.startswith("JUPYTER_")),
        },
        "KernelSpecManager": {
            "ensure_native_kernel": False,
            "allowed_kernelspecs": [k["name"] for k in wanted],
        },
        # jupyter_server's gateway client needs the kernel list.
        "JupyterWebsocketPersonality": {"list_kernels": True},
    }
    config_file = os.path.join(private, "kernel_gateway_config.json")
    with open(config_file, "w") as f:
        json.dump(config, f)
    if home and os.path.isdir(home):
        os.chdir(home)
    log(f"offering kernels {[k['name'] for k in wanted]} on port {port}")
    launch_instance([f"--KernelGatewayApp.config_file={config_file}"])


if __name__ == "__main__":
    main()
