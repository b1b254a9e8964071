"""Registry plumbing of a build: the login the CLI reads for one build, Docker Hub names and
their mirror, and pulls that fail in one reason."""
import json
import stat

import pytest
from docker.errors import APIError, ImageNotFound

from studio_containers.build.pulls import PullFailed, docker_hub_path, ensure_image, mirrored
from studio_containers.build.registry_login import RegistryLogin, docker_config


def test_the_login_lives_in_a_private_copy_of_the_users_config_for_one_build(tmp_path):
    user = tmp_path / "user-docker"
    (user / "cli-plugins").mkdir(parents=True)
    (user / "config.json").write_text(json.dumps({
        "auths": {"ghcr.io": {"auth": "b2xkOm9sZA=="}}, "credsStore": "desktop",
        "credHelpers": {"127.0.0.1:5567": "ecr-login", "gcr.io": "gcloud"}, "psFormat": "x"}))
    login = RegistryLogin("127.0.0.1:5567", "AWS", "s3cret-password")
    with docker_config([login], user) as env:
        folder = env["DOCKER_CONFIG"]
        config = json.loads(open(f"{folder}/config.json").read())
        mode = stat.S_IMODE((tmp_path.parent / folder / "config.json").stat().st_mode)
        plugins = (tmp_path.parent / folder / "cli-plugins").resolve()
    assert config["auths"]["127.0.0.1:5567"] == {"auth": "QVdTOnMzY3JldC1wYXNzd29yZA=="}
    assert config["auths"]["ghcr.io"] and config["psFormat"] == "x"
    # The store stays the helper of the registries the user logged in to, not of ours.
    assert "credsStore" not in config
    assert config["credHelpers"] == {"gcr.io": "gcloud", "ghcr.io": "desktop"}
    assert mode == 0o600 and plugins == (user / "cli-plugins").resolve()
    assert not (tmp_path.parent / folder).exists(), "the copy is deleted after the build"
    assert "s3cret" not in (user / "config.json").read_text()
    assert "s3cret" not in repr(login)
    with docker_config([], user) as env:
        assert env == {}


@pytest.mark.parametrize("ref, path", [
    ("python:3.6", "library/python:3.6"), ("docker.io/python:3.6", "library/python:3.6"),
    ("jupyter/base-notebook", "jupyter/base-notebook"),
    ("docker.io/jupyter/base-notebook:x", "jupyter/base-notebook:x"),
    ("public.ecr.aws/sagemaker/img:1", None), ("localhost:5000/img", None), ("registry:5000/img", None),
])
def test_docker_hub_names(ref, path):
    assert docker_hub_path(ref) == path
    assert mirrored(ref, "mirror.example/hub/") == (f"mirror.example/hub/{path}" if path else None)


class Engine:
    def __init__(self, gives=()):
        self.gives, self.pulled, self.tagged = set(gives), [], []
        self.images = self

    def get(self, ref):
        raise ImageNotFound(ref)

    def pull(self, ref):
        self.pulled.append(ref)
        if ref not in self.gives:
            raise APIError(f"manifest for {ref} not found\nsecond line")
        engine = self

        class Image:
            def tag(self, repository, tag):
                engine.tagged.append(f"{repository}:{tag}")
        return Image()


def test_a_mirror_copy_is_tagged_under_the_dockerfiles_name():
    engine = Engine(gives={"mirror.example/library/python:3.6"})
    assert ensure_image(engine, "python:3.6", "mirror.example", announce=False) is True
    assert engine.pulled == ["mirror.example/library/python:3.6"] and engine.tagged == ["python:3.6"]
    engine = Engine(gives={"python@sha256:" + "a" * 64})
    ensure_image(engine, "python@sha256:" + "a" * 64, "mirror.example", announce=False)
    assert engine.pulled == ["python@sha256:" + "a" * 64] and engine.tagged == []


def test_a_failed_pull_gives_each_sources_first_line():
    engine = Engine()
    with pytest.raises(PullFailed) as info:
        ensure_image(engine, "team/img:1", "mirror.example", announce=False)
    assert str(info.value) == ("mirror.example/team/img:1: manifest for mirror.example/team/img:1 "
                               "not found; team/img:1: manifest for team/img:1 not found")
