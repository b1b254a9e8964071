"""Talking to a Jupyter kernel over the REST API and kernel websocket (Kernel Gateway or JupyterLab)."""
from pathlib import Path

from invoke import Config

from studio_containers import PROJECT_ROOT
from studio_containers.kernel_client import execute  # noqa: F401 - tests import it from here
from studio_containers.settings import Settings


def project_settings(**overrides) -> Settings:
    """Settings as the tasks see them (invoke.yaml + INVOKE_* variables), with overrides."""
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


class InvokeCli:
    """`invoke` as a user runs it, in a child process, with its own state folder and ports."""

    def __init__(self, state_dir: Path, **settings: str):
        import os
        from studio_containers.ports import free_port
        self.env = dict(os.environ, INVOKE_STATE_DIR=str(state_dir),
                        INVOKE_AWS_PORT=str(free_port()),
                        INVOKE_AWS_REGISTRY_PORT=str(free_port()))
        self.env.update({f"INVOKE_{k.upper()}": str(v) for k, v in settings.items()})

    def argv(self, *args: str) -> list[str]:
        import sys
        from studio_containers import PROJECT_ROOT
        return [sys.executable, "-m", "invoke", "--search-root", str(PROJECT_ROOT), *args]

    def __call__(self, *args: str, check: bool = True, timeout: float = 900):
        import subprocess
        done = subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True,
                              timeout=timeout)
        if check:
            assert done.returncode == 0, f"invoke {' '.join(args)}:\n{done.stdout}{done.stderr}"
        return done

    def aws_session(self):
        """A boto3 session on the local AWS, from `invoke aws.env` as a shell would use it."""
        import boto3
        exports = self("aws.env").stdout
        values = dict(line.removeprefix("export ").split("=", 1) for line in exports.splitlines())
        return values["AWS_ENDPOINT_URL"], boto3.session.Session(
            aws_access_key_id=values["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=values["AWS_SECRET_ACCESS_KEY"],
            region_name=values["AWS_REGION"])
