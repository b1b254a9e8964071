"""Dockerfile features users' builds rely on, each a fixture image under tests/fixtures/builds/,
built by the tool as `invoke build` does (BuildKit here) and read back from the image."""
import dataclasses
import hashlib
import secrets
import shutil
from pathlib import Path

import pytest

from studio_containers import PROJECT_ROOT
from studio_containers.build.dockerbuild import frontend_reachable
from studio_containers.build.images import build_image, repository
from studio_containers.build.pulls import image_exists
from studio_containers.build.workspace import Workspace
from studio_containers.errors import UserError
from studio_containers.spec import load_spec
from tests.private_index import MESSAGE, private_index
from tests.security import image_layers_holding

FIXTURES = PROJECT_ROOT / "tests" / "fixtures" / "builds"


@pytest.fixture
def fixture(tmp_path, workspace):
    """A copy of a fixture folder (its image.yaml may be changed), built images removed after."""
    made = []

    def copy(name: str, spec_changes: dict | None = None) -> Path:
        folder = tmp_path / name
        shutil.copytree(FIXTURES / name, folder)
        for old, new in (spec_changes or {}).items():
            spec = folder / "image.yaml"
            spec.write_text(spec.read_text().replace(old, new))
        made.append(name)
        return folder
    yield copy
    for name in made:
        for image in workspace.client.images.list(name=f"studio-containers/{name}"):
            workspace.client.images.remove(image.id, force=True)


def read(workspace, ref: str, *command: str) -> str:
    return workspace.client.containers.run(ref, list(command), remove=True,
                                           entrypoint=[]).decode()


@pytest.fixture(scope="module", autouse=True)
def buildkit_here(workspace):
    # This machine (Debian's docker.io 20.10) has BuildKit: these tests must not pass on the
    # legacy builder's fallback messages.
    assert workspace.builder.buildkit, workspace.builder.missing


def test_a_cache_mount_outlives_each_build_and_stays_out_of_the_image(workspace, fixture):
    rounds = [f"round-{secrets.token_hex(4)}" for _ in range(2)]
    built = []
    for round_ in rounds:
        folder = fixture("cache-mount", {"set by the test": round_})
        built.append(build_image(workspace, load_spec(folder)))
        shutil.rmtree(folder)
    seen = read(workspace, built[1].ref, "cat", "/rounds-seen").split()
    assert seen[-2:] == rounds      # the second build found what the first left in the cache
    assert read(workspace, built[1].ref, "ls", "-A", "/var/cache/rounds").strip() == ""


def test_a_secret_mount_installs_from_a_private_index_and_its_token_is_nowhere(
        workspace, fixture, monkeypatch):
    with private_index() as index:
        pip_conf = index.pip_conf()
        monkeypatch.setenv("STUDIO_CONTAINERS_TEST_PIP_CONF", pip_conf)
        built = build_image(workspace, load_spec(fixture("secret-mount")))
    assert read(workspace, built.ref, "python3", "-c",
                "import studio_containers_private_demo as m; print(m.MESSAGE)").strip() == MESSAGE
    used = hashlib.sha256(pip_conf.encode()).hexdigest()
    assert read(workspace, built.ref, "cat", "/pip-conf.sha256").strip() == used   # it was mounted
    # Every file of every layer, the config (history, labels) and the manifests: the token is in
    # none; the file the secret's step wrote is found, so the layers were read.
    found = image_layers_holding(workspace.client, built.ref, [index.token, used[:32]])
    assert [f for f in found if "pip-conf.sha256" not in f] == [], found
    assert any(f.endswith("pip-conf.sha256: " + used[:6] + "…") for f in found), found
    image = workspace.client.images.get(built.ref)
    assert index.token not in str(workspace.client.api.history(built.ref))
    assert index.token not in str(image.labels) and index.token not in str(image.attrs)


def test_a_bind_mount_lends_a_file_to_one_step(workspace, fixture):
    built = build_image(workspace, load_spec(fixture("bind-mount")))
    assert read(workspace, built.ref, "cat", "/etc/bind-mount-ran").strip() == "ran from a bind mount"
    assert read(workspace, built.ref, "sh", "-c", "test -e /mnt/setup.sh; echo $?").strip() == "1"


def test_copy_chmod_sets_the_mode(workspace, fixture):
    built = build_image(workspace, load_spec(fixture("copy-chmod")))
    assert read(workspace, built.ref, "stat", "-c", "%a %U", "/usr/local/bin/run").split() == ["750", "root"]


def test_independent_stages_run_at_the_same_time(workspace, fixture):
    built = build_image(workspace, load_spec(fixture("multi-stage", {"set by the test": secrets.token_hex(4)})))
    left, right = (float(read(workspace, built.ref, "cat", f"/stages/{side}")) for side in ("left", "right"))
    # Each stage works 2 s: one after the other, the second would start 2 s after the first.
    assert left != right and abs(left - right) < 1.5, (left, right)


def test_dockerignore_keeps_files_out_of_the_context(workspace, fixture):
    built = build_image(workspace, load_spec(fixture("dockerignore")))
    listing = read(workspace, built.ref, "find", "/context", "-type", "f").split()
    assert sorted(listing) == ["/context/.dockerignore", "/context/Dockerfile", "/context/app.py",
                               "/context/image.yaml", "/context/private/public.txt"]


def test_build_arguments_come_from_image_yaml(workspace, fixture):
    built = build_image(workspace, load_spec(fixture("build-args")))
    assert read(workspace, built.ref, "cat", "/greetings").splitlines() == [
        "hello from image.yaml", "the Dockerfile's default"]


def test_syntax_1_4_builds_where_the_engine_reads_it_and_is_told_in_one_line_where_not(
        workspace, fixture):
    spec = load_spec(fixture("modern-syntax"))
    if workspace.builder.reads((1, 4)):
        built = build_image(workspace, spec)
        assert read(workspace, built.ref, "cat", "/from-heredoc").strip() == "linked"
        return
    with pytest.raises(UserError) as info:
        build_image(workspace, spec)
    assert str(info.value) == (
        f"{spec.dockerfile}: line 4: COPY --link needs Dockerfile syntax 1.4, and this engine "
        f"(Docker {workspace.builder.engine_version}) reads syntax 1.3; use Docker Engine 23.0 or newer, "
        "start the Dockerfile with `# syntax=docker/dockerfile:1` where Docker Hub can be reached, "
        "or write that step without it")
    assert not image_exists(workspace.client, f"{repository(spec)}:latest")


def test_a_syntax_line_whose_frontend_cannot_be_pulled_builds_with_the_engines_own(
        workspace, fixture, capsys):
    built = build_image(workspace, load_spec(fixture("syntax-directive")))
    assert read(workspace, built.ref, "cat", "/built").strip() == "built"
    warned = ("the frontend docker/dockerfile:1 cannot be pulled; building with the engine's own "
              "Dockerfile frontend") in capsys.readouterr().err
    assert warned == (not frontend_reachable(workspace.client, "docker/dockerfile:1"))


def test_a_from_that_cannot_be_pulled_is_one_line_with_two_ways_out(workspace, fixture):
    spec = load_spec(fixture("unpullable-from"))
    if image_exists(workspace.client, "python:3.6"):
        pytest.fail("this engine has python:3.6: the case needs an image it cannot have")
    with pytest.raises(UserError) as info:
        build_image(workspace, spec)
    message = str(info.value)
    assert message.startswith(f"{spec.dockerfile}: line 2: FROM python:3.6 cannot be pulled (")
    assert "`ARG BASE_IMAGE` then `FROM ${BASE_IMAGE}`" in message
    assert "build.registry_mirror" in message and "\n" not in message
    assert workspace.client.images.list(name=repository(spec)) == []


def test_without_buildkit_a_dockerfile_that_needs_it_says_what_to_install(workspace, fixture):
    legacy = Workspace(dataclasses.replace(workspace.settings, builder="legacy"),
                       workspace.client, workspace.base)
    spec = load_spec(fixture("copy-chmod"))
    with pytest.raises(UserError) as info:
        build_image(legacy, spec)
    assert str(info.value) == f"{spec.dockerfile}: line 4: COPY --chmod needs BuildKit, and build.builder is legacy"
    plain = load_spec(fixture("build-args"))      # the legacy builder still builds the rest
    built = build_image(legacy, plain)
    assert read(workspace, built.ref, "cat", "/greetings").splitlines()[0] == "hello from image.yaml"
    labels = workspace.client.images.get(built.ref).labels
    assert labels["studio-containers.content-hash"] == built.content_hash
