"""Shared test helpers: settings as the tasks see them, image folders, made-up specs, shipped images."""
from pathlib import Path

from invoke import Config

from studio_containers import PROJECT_ROOT
from studio_containers.runtime.network import HOST_NETWORK, USER_NAT, AppNetwork
from studio_containers.settings import Settings, keep_env_strings
from studio_containers.spec import ImageSpec, Kernel, load_specs


def project_settings(**overrides) -> Settings:
    """Settings as the tasks see them (invoke.yaml + INVOKE_* variables), with overrides."""
    keep_env_strings()
    cfg = Config(project_location=str(PROJECT_ROOT))
    cfg.load_project()
    cfg.load_shell_env()
    for dotted, value in overrides.items():
        section, _, key = dotted.rpartition("__")
        target = cfg[section] if section else cfg
        target[key] = value
    return Settings.from_config(cfg)


def write_image(folder: Path, dockerfile: str, spec_yaml: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "Dockerfile").write_text(dockerfile)
    (folder / "image.yaml").write_text(spec_yaml)
    return folder


def made_up_spec(**changes) -> ImageSpec:
    """A KernelGateway spec that needs no folder: for checks that only read the spec."""
    fields = dict(name="demo", display_name="Demo", app_type="KernelGateway", platform="linux/amd64",
                  kernels=(Kernel("python3", "Python 3"),), uid=1000, gid=100,
                  mount_path="/home/sagemaker-user", folder=Path("/nonexistent/demo"))
    return ImageSpec(**{**fields, **changes})


def shipped_images(kind: str | None = None, app_type: str | None = None) -> list[str]:
    """The images under images/ (kind "kernel-gateway" or "space", or one app type: only those):
    tests that check something per image run for each, so a new image is covered without new
    test code."""
    specs = load_specs(PROJECT_ROOT / "images")
    if kind is not None:
        specs = [s for s in specs if s.is_space == (kind == "space")]
    if app_type is not None:
        specs = [s for s in specs if s.app_type == app_type]
    return [spec.name for spec in specs]


# A kernel trying a package before it is baked into the image: pip downloads `six` from the
# package index (the one outside target allowed here) and prints its exit code, the files and
# the end of its errors.
PIP_DOWNLOAD = ("import subprocess, sys, tempfile; folder = tempfile.mkdtemp(); "
                "done = subprocess.run([sys.executable, '-m', 'pip', 'download', '--no-deps', "
                "'--disable-pip-version-check', '-q', '-d', folder, 'six'], capture_output=True, "
                "text=True, timeout=120); import os; print(done.returncode, os.listdir(folder), "
                "done.stderr[-300:])")


# The networks an app container can be given, by the name the integration tests use.
NETWORKS = {"host": AppNetwork(HOST_NETWORK, "test"), "user-nat": AppNetwork(USER_NAT, "test"),
            "vpc-only": AppNetwork(USER_NAT, "test", outbound=False)}
