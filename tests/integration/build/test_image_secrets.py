"""No secret of the build host ends up in a shipped image: every file of every layer, and the
image's config and manifests (`docker save`), are searched for the private key of any CA the
build trusts, the local AWS's secrets, the host's AWS credentials, pip and npm tokens and proxy
passwords (tests/security.py `build_host_secrets`)."""
import os
from pathlib import Path

import pytest

from studio_containers.certs import extra_ca_certs
from tests.helpers import project_settings
from tests.security import build_host_secrets, image_layers_holding, mask


@pytest.fixture(scope="module")
def host_secrets(settings) -> list[str]:
    # The local AWS's credentials of this run's state folder and of the user's (`.state`), if made.
    local_aws = {settings.state_dir / "aws" / "credentials.json",
                 project_settings().state_dir / "aws" / "credentials.json"}
    return build_host_secrets(ca_files=extra_ca_certs(settings.extra_ca_certs),
                              local_aws_credentials=sorted(local_aws), home=Path.home(),
                              environ=os.environ)


def assert_no_secret_in(client, built, secrets: list[str]) -> None:
    # A line of the image's own /etc/passwd (its user is added by its Dockerfile, on top of the
    # base): found, it shows the search read the files of the image's layers, not nothing.
    control = f":x:{built.spec.uid}:{built.spec.gid}:"
    found = image_layers_holding(client, built.ref, [*secrets, control])
    # The control is searched last, so a place holding it alone ends with ": <control>", and one
    # that also holds a secret with ", <control>".
    only_control = [f for f in found if f.endswith(f": {mask(control)}")]
    leaks = [f for f in found if f not in only_control]
    assert leaks == [], "\n".join(leaks)
    assert any(f.endswith(f"etc/passwd: {mask(control)}") for f in only_control), \
        f"{built.ref}: no /etc/passwd with {control} found; the search saw no file of a layer"


def test_kernel_gateway_images_hold_no_secret_of_the_build_host(workspace, built, host_secrets):
    assert_no_secret_in(workspace.client, built, host_secrets)


def test_space_images_hold_no_secret_of_the_build_host(workspace, space, host_secrets):
    assert_no_secret_in(workspace.client, space, host_secrets)
