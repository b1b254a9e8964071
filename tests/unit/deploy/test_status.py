"""What `status` says per image, from what is pushed, recorded and offered by the domain."""
import pytest

from studio_containers.deploy.status import _state

DEPLOYED = {"digest": "sha256:1", "version": 2}


@pytest.mark.parametrize("in_specs, pushed, deployed, in_domain, said", [
    (True, "sha256:1", {}, "-", "not deployed"),
    (False, "-", DEPLOYED, 2, "deployed, folder removed (down removes it)"),
    (True, "-", DEPLOYED, 2, "changed: run up"),
    (True, "sha256:2", DEPLOYED, 2, "changed: run up"),
    (True, "sha256:1", DEPLOYED, 1, "rolled back to 1"),
    (True, "sha256:1", DEPLOYED, "-", "not in domain: run up"),
    (True, "sha256:1", DEPLOYED, 2, "up to date"),
])
def test_each_image_state_is_named(in_specs, pushed, deployed, in_domain, said):
    assert _state(in_specs, pushed, deployed, in_domain) == said
