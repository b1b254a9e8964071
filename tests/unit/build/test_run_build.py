"""What is told before any builder starts: a feature the builder lacks, a syntax newer than the
engine's frontend, secrets the legacy builder cannot take or whose source is missing, a FROM
image nobody can give, and the `# syntax=` frontend that cannot be pulled. Each is one line
naming the Dockerfile's line; the builders themselves are not reached."""
from pathlib import Path
from unittest import mock

import pytest
from docker.errors import APIError, ImageNotFound

from studio_containers.build import dockerbuild
from studio_containers.build.builder import BUILDKIT, LEGACY, Builder
from studio_containers.build.buildkit import buildkit_argv
from studio_containers.build.dockerbuild import BuildRequest, BuildSecret, run_build
from studio_containers.build.outcome import BuildOutcome
from studio_containers.build.registry_login import RegistryLogin
from studio_containers.errors import UserError

OLD_ENGINE = Builder(BUILDKIT, "/usr/bin/docker", "20.10.24", (1, 3))
NO_BUILDKIT = Builder(LEGACY, None, "28.2.2", None, "install buildx (test)")


class Engine:
    """Images present, pulls that fail, a registry that does not answer."""

    def __init__(self, present=("base:1",)):
        self.present, self.pulled = set(present), []
        self.images, self.api = self, self

    def get(self, ref):
        if ref not in self.present:
            raise ImageNotFound(ref)

    def pull(self, ref):
        self.pulled.append(ref)
        raise APIError(f"Get https://registry-1.docker.io/v2/: dial tcp: lookup: no such host ({ref})")

    def inspect_distribution(self, ref):
        raise APIError("no such host")


def request(tmp_path: Path, dockerfile: str, **changes) -> BuildRequest:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    fields = dict(context=tmp_path, tag="repo/x:1", title="images/x/Dockerfile",
                  buildargs={"BASE_IMAGE": "base:1"})
    return BuildRequest(**{**fields, **changes})


@pytest.fixture
def builders():
    done = BuildOutcome("sha256:made", 1, 0)
    with mock.patch.object(dockerbuild, "legacy_build", return_value=done) as legacy, \
            mock.patch.object(dockerbuild, "buildkit_build", return_value=done) as buildkit:
        yield legacy, buildkit


def test_a_buildkit_feature_on_the_legacy_builder_names_the_line_and_what_to_install(tmp_path, builders):
    req = request(tmp_path, "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n\nRUN --mount=type=cache,target=/c true\n")
    with pytest.raises(UserError, match=r"^images/x/Dockerfile: line 4: RUN --mount needs BuildKit, "
                                        r"and install buildx \(test\)$"):
        run_build(Engine(), req, NO_BUILDKIT)
    assert not any(b.called for b in builders)


def test_a_newer_syntax_than_the_engines_frontend_is_told(tmp_path, builders):
    req = request(tmp_path, "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN <<EOF\necho hi\nEOF\n")
    with pytest.raises(UserError, match=r"line 3: RUN heredoc \(<<EOF\) needs Dockerfile syntax 1.4, "
                                        r"and this engine \(Docker 20.10.24\) reads syntax 1.3; use Docker "
                                        r"Engine 23.0 or newer"):
        run_build(Engine(), req, OLD_ENGINE)
    assert not any(b.called for b in builders)


def test_secrets_need_buildkit_and_their_source(tmp_path, builders, monkeypatch):
    where = "images/x/image.yaml: build.secrets[0]"
    secret = BuildSecret("pipconf", tmp_path / "absent.conf", None, where)
    req = request(tmp_path, "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n", secrets=(secret,))
    with pytest.raises(UserError, match=r"^images/x/image.yaml: build.secrets\[0\]: build secrets "
                                        r"need BuildKit, and install buildx"):
        run_build(Engine(), req, NO_BUILDKIT)
    with pytest.raises(UserError, match=r"build.secrets\[0\].file: .*absent.conf is not a readable file"):
        run_build(Engine(), req, OLD_ENGINE)
    monkeypatch.delenv("PIP_TOKEN", raising=False)
    req = request(tmp_path, "ARG BASE_IMAGE\nFROM $BASE_IMAGE\n",
                  secrets=(BuildSecret("token", None, "PIP_TOKEN", where),))
    with pytest.raises(UserError, match=r"build.secrets\[0\].env: the variable PIP_TOKEN is not set"):
        run_build(Engine(), req, OLD_ENGINE)
    assert not any(b.called for b in builders)
    monkeypatch.setenv("PIP_TOKEN", "x")
    assert run_build(Engine(), req, OLD_ENGINE).image_id == "sha256:made"


def test_a_from_image_nobody_can_give_names_the_image_and_two_ways_out(tmp_path, builders):
    req = request(tmp_path, "FROM python:3.6\nRUN pip install six\n")
    engine = Engine()
    with pytest.raises(UserError) as info:
        run_build(engine, req, OLD_ENGINE, mirror="mirror.example/hub", base_image="python:3.11-slim")
    message = str(info.value)
    assert message.startswith("images/x/Dockerfile: line 1: FROM python:3.6 cannot be pulled (")
    assert "`ARG BASE_IMAGE` then `FROM ${BASE_IMAGE}` (build.base_image, now python:3.11-slim)" in message
    assert "build.registry_mirror (mirror.example/hub)" in message and "\n" not in message
    assert engine.pulled == ["mirror.example/hub/library/python:3.6", "python:3.6"]
    assert not any(b.called for b in builders)


def test_the_base_and_stages_are_not_pulled(tmp_path, builders):
    req = request(tmp_path, "ARG BASE_IMAGE\nFROM ${BASE_IMAGE} AS a\nFROM a\nFROM scratch\n")
    engine = Engine()
    run_build(engine, req, OLD_ENGINE)
    assert engine.pulled == [] and builders[1].called


def test_an_unreachable_syntax_frontend_builds_with_the_engines_own(tmp_path, builders, capsys):
    (tmp_path / "Dockerfile.dockerignore").write_text("*.log\n")
    req = request(tmp_path, "# syntax=docker/dockerfile:1\nARG BASE_IMAGE\nFROM $BASE_IMAGE\n"
                            "RUN --mount=type=cache,target=/c true\n")
    seen = {}
    builders[1].side_effect = lambda client, builder, request, dockerfile, verbose: seen.update(
        text=dockerfile.read_text(), ignore=(dockerfile.parent / "Dockerfile.dockerignore").read_text()
    ) or BuildOutcome("sha256:made", 1, 0)
    run_build(Engine(), req, OLD_ENGINE)
    assert seen["text"].splitlines()[0] == "#" and seen["text"].splitlines()[3].startswith("RUN --mount")
    assert seen["ignore"] == "*.log\n"
    assert "line 1: the frontend docker/dockerfile:1 cannot be pulled; building with the engine's " \
           "own Dockerfile frontend (syntax 1.3)" in capsys.readouterr().err


def test_the_cli_gets_everything_but_secret_values(tmp_path):
    secret = BuildSecret("pipconf", Path("/home/u/pip,conf"), None, "w")
    req = request(tmp_path, "FROM x\n", labels={"a": "b"}, network="host", platform="linux/amd64",
                  secrets=(secret, BuildSecret("tok", None, "TOKEN", "w")),
                  cache_from=("127.0.0.1:5567/r:abc",),
                  logins=(RegistryLogin("127.0.0.1:5567", "AWS", "hunter2-password"),))
    argv = buildkit_argv(OLD_ENGINE, req, Path("/tmp/iid"), None)
    assert argv[:2] == ["/usr/bin/docker", "build"]
    assert argv[-1] == str(tmp_path)
    pairs = list(zip(argv, argv[1:]))
    for expected in [("--build-arg", "BASE_IMAGE=base:1"), ("--build-arg", "BUILDKIT_INLINE_CACHE=1"),
                     ("--label", "a=b"), ("--network", "host"), ("--platform", "linux/amd64"),
                     ("--secret", 'id=pipconf,"src=/home/u/pip,conf"'), ("--secret", "id=tok,env=TOKEN"),
                     ("--cache-from", "127.0.0.1:5567/r:abc"), ("--iidfile", "/tmp/iid"),
                     ("--progress", "plain"), ("--tag", "repo/x:1")]:
        assert expected in pairs
    assert not any("hunter2" in a for a in argv)
    buildx = buildkit_argv(Builder("buildx", "/usr/local/bin/docker", "27.0", None), req,
                           Path("/tmp/iid"), Path("/tmp/Dockerfile"))
    assert buildx[:6] == ["/usr/local/bin/docker", "buildx", "build", "--builder", "default", "--load"]
    assert ("--file", "/tmp/Dockerfile") in list(zip(buildx, buildx[1:]))
