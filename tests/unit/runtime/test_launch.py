"""local/gateway/launch.py: kernel discovery as Studio does it, and agreement with the package.

It runs inside the user's image with our bundled Python, without the package, so its logic and
its copies of the package's constants are tested here."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

from studio_containers import studio
from studio_containers.runtime import gateway, volume
from studio_containers.runtime.network import AppNetwork
from tests.helpers import made_up_spec


def test_its_constants_agree_with_the_package(launch, tmp_path):
    assert launch.PREFIX == studio.GATEWAY_MOUNT == volume.MOUNT_POINT
    assert launch.GATEWAY_PORT == studio.APP_PORT == gateway.GATEWAY_PORT
    assert launch.MISSING_KERNELS_EXIT == volume.MISSING_KERNELS_EXIT
    # bundle.py puts the launcher and the site packages where the runtime looks for them
    assert volume.LAUNCHER == f"{launch.PREFIX}/lib/studio-containers/launch.py"
    assert launch.SITE == f"{launch.PREFIX}/lib/site"
    # the container description passes exactly the variables the launcher takes out
    spec = made_up_spec()
    runtime = volume.Runtime(image="i", volume="v")
    gc = gateway.gateway_container(spec, "img", runtime, tmp_path, "token", 1, tmp_path,
                                   network=AppNetwork("host", "test"))
    internal = {name for name in gc.environment if name != "HOME"}
    assert internal == launch.INTERNAL_ENV
    assert gc.entrypoint[-1] == volume.LAUNCHER and Path(gc.entrypoint[0]).parent.parent == Path(launch.PREFIX)


def kernelspec(folder, name, argv, display="K"):
    d = folder / name
    d.mkdir(parents=True)
    (d / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": display, "language": "python"}))
    (d / "logo-64x64.png").write_bytes(b"png")
    return d


def test_search_order_is_user_then_prefix_then_system(launch):
    assert launch.kernel_dirs("/opt/conda", "/home/u") == [
        "/home/u/.local/share/jupyter/kernels", "/opt/conda/share/jupyter/kernels",
        "/usr/local/share/jupyter/kernels", "/usr/share/jupyter/kernels"]


def test_first_folder_wins(launch, tmp_path):
    first = kernelspec(tmp_path / "a", "python3", ["python"])
    kernelspec(tmp_path / "b", "python3", ["other"])
    kernelspec(tmp_path / "b", "ir", ["R"])
    (tmp_path / "b" / "not-a-kernel").mkdir()
    found = launch.find_kernelspecs([str(tmp_path / "a"), str(tmp_path / "b"), str(tmp_path / "none")])
    assert found == {"python3": str(first), "ir": str(tmp_path / "b" / "ir")}


def test_conda_envs_are_named_like_studio(launch, tmp_path):
    root = tmp_path / "conda"
    (root / "conda-meta").mkdir(parents=True)
    for env, has_ipykernel in (("torch", True), ("nokernel", False)):
        (root / "envs" / env / "bin").mkdir(parents=True)
        (root / "envs" / env / "bin" / "python").write_text("")
        site = root / "envs" / env / "lib" / "python3.11" / "site-packages"
        site.mkdir(parents=True)
        if has_ipykernel:
            (site / "ipykernel").mkdir()
    specs = launch.conda_kernels(str(root))
    assert list(specs) == ["conda-env-torch-py"]
    assert specs["conda-env-torch-py"]["argv"][0] == str(root / "envs" / "torch" / "bin" / "python")
    # the same root is found from inside one of its environments
    (root / "envs" / "torch" / "conda-meta").mkdir()
    assert list(launch.conda_kernels(str(root / "envs" / "torch"))) == ["conda-env-torch-py"]
    assert launch.conda_kernels(str(tmp_path / "plain-venv")) == {}


def test_overlay_resolves_bare_python_on_image_path_and_renames(launch, tmp_path):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    (bindir / "python").write_text("#!/bin/sh\n")
    os.chmod(bindir / "python", 0o755)
    found = {"python3": str(kernelspec(tmp_path / "k", "python3", ["python", "-m", "ipykernel_launcher"]))}
    overlay = tmp_path / "overlay"
    launch.write_overlay(str(overlay), [{"name": "python3", "display_name": "Mine"}], found, {}, str(bindir))
    spec = json.loads((overlay / "python3" / "kernel.json").read_text())
    assert spec["argv"] == [str(bindir / "python"), "-m", "ipykernel_launcher"]
    assert spec["display_name"] == "Mine"
    assert (overlay / "python3" / "logo-64x64.png").exists()


def executable(folder, name, script):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("#!/bin/sh\n" + script)
    (folder / name).chmod(0o755)
    return folder / name


IRKERNEL_ARGV = ["R", "--slave", "-e", "IRkernel::main()", "--args", "{connection_file}"]


def test_inspect_reports_each_kernels_language_interpreter_and_irkernel(launch, tmp_path):
    # The image's PATH holds only fakes: a python giving its prefix, and an R whose Rscript
    # says IRkernel is there only when the image's own environment reaches it.
    bindir, prefix, calls = tmp_path / "bin", tmp_path / "venv", tmp_path / "calls"
    executable(bindir, "python", f"echo {prefix}\n")
    executable(bindir, "R", f'echo "R $*" >> {calls}\necho FALSE\n')
    executable(bindir, "Rscript", f'echo "Rscript $*" >> {calls}\n'
               '[ "$R_LIBS_SITE" = /opt/r-libs ] && [ -z "$SC_MODE" ] && echo TRUE || echo FALSE\n')
    kernels = prefix / "share" / "jupyter" / "kernels"
    kernelspec(kernels, "python3", ["python", "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    for name, argv, language in (("ir", IRKERNEL_ARGV, "R"),
                                 ("ir-gone", ["/nonexistent/R", *IRKERNEL_ARGV[1:]], "R"),
                                 ("julia", ["julia", "-i"], "julia")):
        d = kernelspec(kernels, name, argv)
        (d / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": name,
                                                   "language": language}))
    env = {"SC_MODE": "inspect", "PATH": str(bindir), "HOME": str(tmp_path / "home"),
           "R_LIBS_SITE": "/opt/r-libs"}
    done = subprocess.run([sys.executable, "-s", "-E", launch.__file__], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.splitlines()[-1])

    assert report["path"] == str(bindir) and report["prefix"] == str(prefix)
    found = report["kernels"]
    assert found["python3"] == {"dir": str(kernels / "python3"), "argv0": str(bindir / "python"),
                                "argv0_real": str(bindir / "python"), "argv0_found": True,
                                "language": "python"}    # no R check for a Python kernel
    assert found["ir"] == {"dir": str(kernels / "ir"), "argv0": str(bindir / "R"),
                           "argv0_real": str(bindir / "R"), "argv0_found": True, "language": "R",
                           "irkernel": True, "irkernel_error": None}
    assert found["ir-gone"]["argv0"] == "/nonexistent/R" and found["ir-gone"]["argv0_found"] is False
    assert found["ir-gone"]["irkernel"] is None
    assert found["ir-gone"]["irkernel_error"].startswith("not checked")
    assert found["julia"] == {"dir": str(kernels / "julia"), "argv0": "julia", "argv0_real": None,
                              "argv0_found": False, "language": "julia"}
    # one R start, through Rscript next to the kernel's R, asking for IRkernel
    assert calls.read_text().splitlines() == [f"Rscript -e {launch.R_CHECK}"]
    assert "IRkernel" in launch.R_CHECK


def test_an_unreadable_or_argv_less_kernelspec_names_no_interpreter(launch, capsys, tmp_path):
    kernels = tmp_path / "venv" / "share" / "jupyter" / "kernels"
    (kernels / "broken").mkdir(parents=True)
    (kernels / "broken" / "kernel.json").write_text("{not json")
    (kernels / "no-argv").mkdir()
    (kernels / "no-argv" / "kernel.json").write_text(json.dumps({"argv": "R", "language": "R"}))
    (kernels / "odd").mkdir()
    (kernels / "odd" / "kernel.json").write_text(json.dumps({"argv": [], "language": ["R"]}))
    report = inspect_report(launch, capsys, tmp_path, str(tmp_path / "empty-bin"),
                            str(tmp_path / "venv"))
    for name, language in (("broken", None), ("no-argv", "R"), ("odd", None)):
        entry = report["kernels"][name]
        assert (entry["argv0"], entry["argv0_found"], entry["language"]) == (None, False, language)


def inspect_report(launch, capsys, tmp_path, path, prefix):
    python = executable(tmp_path / "python-bin", "python", f"echo {prefix}\n")
    launch.inspect(f"{python.parent}:{path}", str(tmp_path / "home"), {"PATH": path})
    return json.loads(capsys.readouterr().out.splitlines()[-1])


def test_the_irkernel_check_reads_r_and_says_why_it_could_not(launch, tmp_path):
    args = tmp_path / "args"
    # no Rscript next to R: R itself, quietly, with the same expression
    noisy = executable(tmp_path / "a", "R", f'echo "$*" > {args}\necho "site profile loaded"\n'
                                            'printf FALSE\n')
    assert launch.irkernel_installed(str(noisy), {}) == (False, None)
    assert args.read_text().split() == ["--slave", "--no-restore", "-e", *launch.R_CHECK.split()]
    # an R linked from elsewhere: the Rscript next to the real one
    real = executable(tmp_path / "opt-r" / "bin", "R", "echo FALSE\n")
    executable(tmp_path / "opt-r" / "bin", "Rscript", "echo TRUE\n")
    (tmp_path / "usr-local-bin").mkdir()
    (tmp_path / "usr-local-bin" / "R").symlink_to(real)
    assert launch.irkernel_installed(str(tmp_path / "usr-local-bin" / "R"), {}) == (True, None)

    broken = executable(tmp_path / "b", "R", "echo 'libR.so: cannot open shared object' >&2\nexit 127\n")
    value, error = launch.irkernel_installed(str(broken), {})
    assert value is None and f"{broken} exited 127" in error and "libR.so" in error
    odd = executable(tmp_path / "c", "R", "echo maybe\n")
    value, error = launch.irkernel_installed(str(odd), {})
    assert value is None and "printed 'maybe'" in error
    # an answer followed by an error is no answer
    failing = executable(tmp_path / "e", "R", "echo TRUE\nexit 1\n")
    value, error = launch.irkernel_installed(str(failing), {})
    assert value is None and f"{failing} exited 1" in error


def test_a_hanging_r_is_cut_off_with_its_children(launch, tmp_path):
    # Not exec'd: the shell's child keeps the output pipes open unless the whole group is killed.
    hanging = executable(tmp_path / "d", "R", f"{shutil.which('sleep')} 30\n")
    started = time.monotonic()
    value, error = launch.irkernel_installed(str(hanging), {}, timeout=0.5)
    # the launcher gives left-over pipe holders 5 s more: well under that means none was left
    assert time.monotonic() - started < 4
    assert value is None and error == f"{hanging} did not answer within 0.5 s"


class AnsweredPrefix:
    """The image's Python asked for its prefix (launch.ask_prefix), answering at once."""

    def __init__(self, prefix):
        self.args, self.returncode, self.prefix = ["python"], 0, prefix

    def communicate(self, timeout=None):
        return self.prefix + "\n", ""


def test_the_gateway_starts_in_the_launchers_process_without_its_internal_variables(
        launch, tmp_path, monkeypatch):
    """Kernels inherit the gateway's environment: the token and the launcher's inputs are gone
    from it before the gateway starts; its Jupyter folders are a private folder of its own."""
    bin_dir, prefix, home = tmp_path / "bin", tmp_path / "venv", tmp_path / "home"
    bin_dir.mkdir()
    home.mkdir()
    (bin_dir / "python").write_text("#!/bin/sh\n")
    (bin_dir / "python").chmod(0o755)
    kernelspec(prefix / "share" / "jupyter" / "kernels", "python3", ["python", "-m", "ipykernel"])
    started = {}

    def launch_instance(argv):
        started.update(argv=argv, env=dict(os.environ))
    monkeypatch.setattr(launch, "load_gateway", lambda tcp_nodelay: launch_instance)
    monkeypatch.setattr(launch, "ask_prefix", lambda python, env: AnsweredPrefix(str(prefix)))
    monkeypatch.chdir(tmp_path)     # the launcher moves to the home folder
    monkeypatch.setattr(launch.tempfile, "tempdir", str(tmp_path))   # its private folder
    image_env = {"PATH": str(bin_dir), "HOME": str(home), "LANG": "C.UTF-8"}
    with mock.patch.dict(os.environ, image_env, clear=True):
        os.environ.update({"SC_KERNELS": json.dumps([{"name": "python3", "display_name": "P"}]),
                           "KG_AUTH_TOKEN": "secret", "SC_TCP_NODELAY": "1", "SC_GATEWAY_PORT": "9"})
        launch.main()
    env = started["env"]
    assert not set(env) & launch.INTERNAL_ENV and "secret" not in json.dumps(env)
    private = Path(env["JUPYTER_DATA_DIR"]).parent
    assert {k: v for k, v in env.items() if not k.startswith("JUPYTER_")} == image_env
    assert env["JUPYTER_PATH"] == env["JUPYTER_DATA_DIR"] and private.stat().st_mode & 0o077 == 0
    [arg] = started["argv"]
    config_file = Path(arg.split("=", 1)[1])
    assert config_file.parent == private
    config = json.loads(config_file.read_text())["KernelGatewayApp"]
    assert config["auth_token"] == "secret" and config["port"] == 9
    assert config["env_process_whitelist"] == sorted(image_env)
    assert json.loads((private / "data" / "kernels" / "python3" / "kernel.json").read_text())[
        "argv"][0] == str(bin_dir / "python")
