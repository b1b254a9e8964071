"""A CI runner's day: an image built and pushed by one engine; then an empty engine elsewhere
(DOCKER_HOST names it; its layer folders are hidden from this process, as another machine's
are) builds it again from the registry cache that travelled with the push, and serves build,
validate, local and push. The second engine shares this machine's network, so it reaches the
local ECR on 127.0.0.1 as a runner reaches ECR."""
import re
import shutil

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.cli_process import Cli, LocalRun
from studio_containers.ports import free_port
from studio_containers.runtime.kernel_client import execute
from tests.engines import Engine

NAME = "cached-kernel"


@pytest.fixture
def cli(tmp_path):
    images = tmp_path / "images"
    shutil.copytree(PROJECT_ROOT / "images" / "python-basic", images / NAME)
    spec = images / NAME / "image.yaml"
    spec.write_text(spec.read_text().replace("name: python-basic", f"name: {NAME}"))
    cli = Cli(tmp_path / "state", images_dir=images, local_home_dir=tmp_path / "home",
              aws_repository_prefix="e2e-cache")
    yield cli
    cli("aws.stop", check=False)


@pytest.fixture
def other_engine():
    engine = Engine(own_network=False, hidden_layers=True)
    yield engine
    engine.remove()


def test_an_empty_engine_elsewhere_builds_from_the_registry_cache_and_serves_every_task(
        cli, other_engine, first_start_timeout):
    first = cli("push", "--image", NAME, "--create-repository").stdout
    content_hash = re.search(rf"studio-containers/{NAME}:(\w+)", first)[1]
    assert f"Pushing studio-containers/{NAME}:{content_hash}" in first, first

    other_engine.start()
    cli.env["DOCKER_HOST"] = other_engine.url
    took, out = cli.timed("push", "--image", NAME)
    # The same content hash on the new engine (its bases are loaded byte for byte the same),
    # so the pushed image itself is named as the cache, and every step comes from it.
    assert f"Registry cache: {NAME}:{content_hash}" in out, out
    built = re.search(rf"Built {NAME} in ([\d.]+)s \((\d+) step\(s\), (\d+) from cache\)", out)
    assert built and built[2] == built[3] != "0", out
    assert f"{NAME} is already in ECR" in out, out
    print(f"cold engine, registry cache: built in {built[1]}s ({built[3]} steps cached); "
          f"the whole push took {took:.1f}s")

    assert "is up to date" in cli("build", "--image", NAME).stdout
    validated = cli("validate", "--image", NAME).stdout
    assert "read through `docker save`" in validated and "Validation passed" in validated, validated

    run = LocalRun(cli.env, "--image", NAME, "--port", str(free_port()))
    try:
        _, base, token = run.wait_for_url(first_start_timeout)
        assert execute(base, token, "python3", "import os; print(os.getuid())").strip() == "1000"
        assert run.interrupt() == 0
    finally:
        run.kill()
    assert other_engine.start().containers.list(all=True) == []
