"""End to end: `invoke up` on the local target, then `invoke studio` as a user runs it: the user's
kernels come from the deployed KernelGateway images (Python and R, two apps behind one lab), a
space serves the deployed JupyterLab image after running the domain's default lifecycle config,
and `--stop` leaves no app container or lab behind."""
import json
import shutil

import docker
import pytest
import requests

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import URL_RE, Cli
from studio_containers.localaws.apps.launcher import APP_LABEL, ROLE
from studio_containers.runtime.container import ROLE_LABEL
from studio_containers.runtime.gateway import gateway_port_of
from studio_containers.runtime.kernel_client import execute
from tests.security import files_holding, listeners, not_loopback

UID = "import os; print(os.getuid())"
R_UID = 'cat(system("id -u", intern = TRUE))'
IMAGES = ("python-basic", "r-kernel", "jupyterlab-python")


@pytest.fixture
def cli(tmp_path):
    for name in IMAGES:     # the same content as the shipped images, so nothing is rebuilt
        shutil.copytree(PROJECT_ROOT / "images" / name, tmp_path / "images" / name)
    cli = Cli(tmp_path / "state", images_dir=tmp_path / "images", aws_repository_prefix="e2e-studio")
    yield cli
    cli("studio", "--stop", check=False, timeout=300)
    cli("studio", "--stop", "--space", "work", check=False, timeout=300)
    cli("down", check=False, timeout=300)
    cli("aws.stop", check=False)


def app_containers() -> list:
    return docker.from_env().containers.list(all=True, filters={"label": f"{ROLE_LABEL}={ROLE}"})


def opened(output: str) -> tuple[str, str]:
    url, _, token = URL_RE.search(output).groups()
    return url.split("?")[0].removesuffix("/lab"), token


def test_up_then_studio_runs_the_deployed_images_and_stop_leaves_nothing(cli, tmp_path):
    before = {c.id for c in app_containers()}
    listening_before = listeners()
    up = cli("up", timeout=900).stdout
    assert "Lifecycle: creating the JupyterLab lifecycle config install-package-" in up

    user = cli("studio", timeout=900).stdout
    assert "Creating the KernelGateway app python-basic" in user
    base, token = opened(user)
    specs = requests.get(f"{base}/api/kernelspecs", params={"token": token}, timeout=30).json()
    assert "python3__python-basic" in specs["kernelspecs"]
    assert execute(base, token, "python3__python-basic", UID).strip() == "1000"
    assert "ir__r-kernel" in specs["kernelspecs"]          # both apps reached through one lab
    assert execute(base, token, "ir__r-kernel", R_UID).strip() == "1000"
    assert "Creating" not in cli("studio", timeout=300).stdout      # all there: nothing made again

    space = cli("studio", "--space", "work", timeout=900).stdout
    space_base, space_token = opened(space)
    assert space_base.endswith("/jupyterlab/default")
    assert requests.get(f"{space_base}/api/status", timeout=30).status_code == 403
    assert execute(space_base, space_token, "python3", UID).strip() == "1000"
    # The domain's default lifecycle config (lifecycle/install-package, which `up` deployed) ran
    # when CreateApp started the space.
    assert execute(space_base, space_token, "python3",
                   "import tabulate; print(tabulate.__version__)").strip() == "0.9.0"

    ours = [c for c in app_containers() if c.id not in before]
    assert len(ours) == 3 and all(APP_LABEL in c.labels for c in ours)
    # Everything the local AWS, its registry and the apps listen on is on loopback only, and
    # what serves users refuses a request without its token: the lab and the front (above), the
    # gateway router behind the lab, each KernelGateway app's gateway.
    assert not_loopback(listeners() - listening_before) == set()
    router = json.loads((tmp_path / "state" / "aws" / "apps" / "router.json").read_text())["port"]
    domain = json.loads((tmp_path / "state" / "deploy" / "local.json").read_text())["domain_id"]
    assert requests.get(f"http://127.0.0.1:{router}/{domain}/local-user/api/kernelspecs",
                        timeout=10).status_code == 403
    for container in ours:
        if container.labels.get("studio-containers.role") and "kernelgateway" in \
                container.labels[APP_LABEL]:
            port = gateway_port_of(container)
            assert requests.get(f"http://127.0.0.1:{port}/api/kernelspecs",
                                timeout=10).status_code in (401, 403)
    # No token, password or key in any file of the state folder but the 0600 ones made for them.
    state = tmp_path / "state"
    creds = json.loads((state / "aws" / "credentials.json").read_text())
    # The files made to hold them, each private: the local AWS's credentials, the registry's
    # config (its push-report token), each lab's config and jupyter_server's own server record.
    allowed = {state / "aws" / "credentials.json", state / "aws" / "registry" / "config.yml",
               *state.rglob("jupyter_server_config.py"), *state.rglob("jpserver-*.json")}
    assert [p for p in allowed if p.stat().st_mode & 0o077] == []
    secrets = [token, space_token, creds["secret_access_key"], creds["registry_password"],
               creds["events_token"]]
    holding = files_holding(state, secrets, allowed)
    assert holding == [], "\n".join(holding)
    assert "Deleted 3 app(s) of user local-user" in cli("studio", "--stop").stdout
    assert "Deleted 1 app(s) of space work" in cli("studio", "--stop", "--space", "work").stdout
    assert [c for c in app_containers() if c.id not in before] == []
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/api/status", timeout=5)
