"""Start the Kernel Gateway inside the user's image, finding kernels the way Studio does.

Runs with the bundled interpreter (``python3 -s -E``) as the image's user. Studio resolves
kernels through the ``sys.prefix`` of the image's ``python`` on PATH and shows only the kernels
named in the AppImageConfig; this launcher does the same, then execs the gateway.

Input (environment, removed before the gateway starts):
  SC_KERNELS    JSON list of {"name", "display_name"} from the image spec
  KG_AUTH_TOKEN the token every request must carry
  SC_TCP_NODELAY "0" leaves Nagle's algorithm on (only to measure the difference)
Exit 3 with one JSON line on stderr when a spec kernel is not in the image.

With SC_MODE=inspect it starts nothing: it prints one JSON report of how kernels are found
(the image's python, its prefix, each kernelspec and where it lives, kernelspecs elsewhere in
the image) for `invoke validate`, and exits 0.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

# This file runs inside the user's image, without our package: these repeat studio.py and
# runtime/volume.py, and tests/unit/runtime/test_launch.py fails when they disagree.
PREFIX = "/opt/.sagemakerinternal"
SITE = os.path.join(PREFIX, "lib", "site")
GATEWAY_PORT = 8888
INTERNAL_ENV = {"SC_KERNELS", "KG_AUTH_TOKEN", "SC_TCP_NODELAY"}
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


def python_prefix(python, env):
    out = subprocess.run([python, "-c", "import sys; print(sys.prefix)"], env=env,
                         capture_output=True, text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError(f"{python} failed: {out.stderr.strip()[-300:]}")
    return out.stdout.strip()


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


# Where kernelspecs of other Pythons usually live: seen, but not used, by Studio.
ELSEWHERE = ["/opt/*/share/jupyter/kernels", "/opt/*/*/share/jupyter/kernels",
             "/opt/*/envs/*/share/jupyter/kernels", "/usr/local/*/share/jupyter/kernels",
             "/srv/*/share/jupyter/kernels", "/root/.local/share/jupyter/kernels",
             "/home/*/.local/share/jupyter/kernels"]


def inspect(path, home, image_env):
    python = image_python(path)
    report = {"python": python, "python_real": os.path.realpath(python) if python else None,
              "prefix": None, "prefix_error": None, "kernels": {}, "elsewhere": {}}
    if python:
        try:
            report["prefix"] = python_prefix(python, image_env)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
            report["prefix_error"] = str(exc)
    found = find_kernelspecs(kernel_dirs(report["prefix"], home))
    for name, spec_dir in found.items():
        try:
            with open(os.path.join(spec_dir, "kernel.json")) as f:
                argv = json.load(f).get("argv", [])
        except (OSError, ValueError):
            argv = []
        argv = resolve_argv0(argv, path)
        report["kernels"][name] = {"dir": spec_dir, "argv0": argv[0] if argv else None,
                                   "argv0_real": os.path.realpath(argv[0]) if argv else None}
    for name, spec in conda_kernels(report["prefix"]).items():
        report["kernels"].setdefault(name, {"dir": None, "argv0": spec["argv"][0],
                                            "argv0_real": os.path.realpath(spec["argv"][0])})
    for pattern in ELSEWHERE:
        for d in sorted(glob.glob(pattern)):
            for name, spec_dir in find_kernelspecs([d]).items():
                report["elsewhere"].setdefault(name, []).append(spec_dir)
    print(json.dumps(report), flush=True)


def gateway_command(config_file, tcp_nodelay, site=SITE):
    """The gateway's command line: the bundled Python, the bundle's packages, and before the
    gateway is imported lean.skip_iri_grammar() (1.3 s less to start, see lean.py) and, unless
    measuring without it, nodelay.apply() (no 40 ms Nagle wait on kernel websockets)."""
    here = os.path.dirname(os.path.abspath(__file__))
    nodelay = "import nodelay; nodelay.apply(); " if tcp_nodelay else ""
    return [sys.executable, "-s", "-E", "-c",
            f"import sys; sys.path.insert(0, {site!r}); sys.path.insert(0, {here!r}); "
            f"import lean; lean.skip_iri_grammar(); {nodelay}"
            "from kernel_gateway import launch_instance; launch_instance()",
            f"--KernelGatewayApp.config_file={config_file}"]


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

    python = image_python(path)
    prefix = python_prefix(python, image_env) if python else None
    found = find_kernelspecs(kernel_dirs(prefix, home))
    synthetic = {k: v for k, v in conda_kernels(prefix).items() if k not in found}
    available = sorted(set(found) | set(synthetic))
    missing = [k["name"] for k in wanted if k["name"] not in available]
    log(f"uid={os.getuid()} gid={os.getgid()} python={python} prefix={prefix} kernels={available}")
    if missing:
        print(json.dumps({"error": "missing_kernels", "missing": missing, "available": available,
                          "python": python, "prefix": prefix}), file=sys.stderr, flush=True)
        sys.exit(MISSING_KERNELS_EXIT)

    private = tempfile.mkdtemp(prefix="studio-containers-")  # mode 0700
    data_dir = os.path.join(private, "data")
    overlay = os.path.join(data_dir, "kernels")
    os.makedirs(overlay)
    write_overlay(overlay, wanted, found, synthetic, path)
    config = {
        "KernelGatewayApp": {
            "ip": "0.0.0.0",  # inside the container's own network; published on 127.0.0.1 only
            "port": GATEWAY_PORT,
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

    env = dict(image_env)
    env.update({
        "JUPYTER_CONFIG_DIR": os.path.join(private, "config"),
        # The overlay is the user data dir, first in Jupyter's search order; with
        # allowed_kernelspecs only the spec's kernels, taken from the overlay, are offered.
        "JUPYTER_DATA_DIR": data_dir,
        "JUPYTER_PATH": data_dir,
        "JUPYTER_RUNTIME_DIR": os.path.join(private, "runtime"),
    })
    if home and os.path.isdir(home):
        os.chdir(home)
    gateway = gateway_command(config_file, os.environ.get("SC_TCP_NODELAY", "1") == "1")
    log(f"offering kernels {[k['name'] for k in wanted]} on port {GATEWAY_PORT}")
    os.execve(sys.executable, gateway, env)


if __name__ == "__main__":
    main()
