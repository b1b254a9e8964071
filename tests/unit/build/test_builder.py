"""Finding BuildKit as a user's machine offers it. The docker CLIs here are stand-in scripts
answering `buildx version` and `version` as the real ones do; the choice is ours."""
import os
from pathlib import Path

import pytest

from studio_containers.build.builder import BUILDKIT, BUILDX, LEGACY, _find, candidate_clis
from studio_containers.errors import UserError

find = _find.__wrapped__     # not the per-process memo


def fake_cli(folder: Path, version: str, buildx: bool) -> str:
    folder.mkdir(parents=True)
    cli = folder / "docker"
    cli.write_text("#!/bin/sh\n"
                   f'if [ "$1" = buildx ]; then {"echo github.com/docker/buildx v0.17.1; exit 0" if buildx else "echo no buildx >&2; exit 1"}; fi\n'
                   f'if [ "$1" = version ]; then echo {version}; exit 0; fi\n'
                   "exit 2\n")
    cli.chmod(0o755)
    return str(cli)


@pytest.fixture
def clis(tmp_path):
    return {"new-without-buildx": fake_cli(tmp_path / "a", "28.2.2", buildx=False),
            "debian-20.10": fake_cli(tmp_path / "b", "20.10.24+dfsg1", buildx=False),
            "with-buildx": fake_cli(tmp_path / "c", "27.3.1", buildx=True)}


def path_of(*clis: str) -> str:
    return os.pathsep.join(str(Path(c).parent) for c in clis)


def test_buildx_comes_first_then_a_cli_with_buildkit_built_in(clis):
    builder = find("auto", "unix:///x", "20.10.24", "linux", "1.41",
                   path_of(clis["new-without-buildx"], clis["debian-20.10"], clis["with-buildx"]), "", ())
    assert (builder.kind, builder.cli) == (BUILDX, clis["with-buildx"])
    builder = find("auto", "unix:///x", "20.10.24", "linux", "1.41",
                   path_of(clis["new-without-buildx"], clis["debian-20.10"]), "", ())
    # The 28.x client first on PATH refuses DOCKER_BUILDKIT=1 without buildx: the 20.10 one drives it.
    assert (builder.kind, builder.cli) == (BUILDKIT, clis["debian-20.10"])
    assert builder.syntax == (1, 3)


def test_without_either_the_legacy_builder_says_what_to_install(clis):
    builder = find("auto", "unix:///x", "28.2.2", "linux", "1.47",
                   path_of(clis["new-without-buildx"]), "", ())
    assert builder.kind == LEGACY and builder.syntax is None     # 23.0 on: the builder judges
    assert "buildx plugin" in builder.missing and clis["new-without-buildx"] in builder.missing
    with pytest.raises(UserError, match=r"build.builder is buildkit, but no docker CLI here"):
        find("buildkit", "unix:///x", "28.2.2", "linux", "1.47", path_of(clis["new-without-buildx"]), "", ())


def test_settings_and_old_engines(clis):
    path = path_of(clis["with-buildx"])
    assert find("legacy", "unix:///x", "27.3.1", "linux", "1.47", path, "", ()).kind == LEGACY
    assert find("auto", "unix:///x", "27.3.1", "linux", "1.47", path, "0", ()).missing == \
        "DOCKER_BUILDKIT=0 is set"
    old = find("auto", "unix:///x", "18.06.1", "linux", "1.38", path, "", ())
    assert old.kind == LEGACY and "has no BuildKit" in old.missing


def test_candidates_keep_path_order_and_skip_the_same_file_twice(clis, tmp_path):
    link_folder = tmp_path / "link"
    link_folder.mkdir()
    (link_folder / "docker").symlink_to(clis["debian-20.10"])
    found = candidate_clis(path_of(clis["debian-20.10"]) + os.pathsep + str(link_folder),
                           (str(Path(clis["with-buildx"]).parent),))
    assert found == [clis["debian-20.10"], clis["with-buildx"]]
