"""local/gateway/launch.py: kernel discovery as Studio does it, and agreement with the package.

It runs inside the user's image with our bundled Python, without the package, so its logic and
its copies of the package's constants are tested here."""
import json
import os
from pathlib import Path

from studio_containers import studio
from studio_containers.runtime import gateway, volume
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
    gc = gateway.gateway_container(spec, "img", runtime, tmp_path, "token", 1, tmp_path)
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
