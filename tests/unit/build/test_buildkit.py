"""A BuildKit build's end as the CLI reports it: the image id from --iidfile, a failing step in
one line with the build's last lines shown, an engine gone, and Ctrl-C stopping the CLI. The
docker CLI is a stand-in script printing what 20.10's does."""
import os
import time
from pathlib import Path

import pytest

from studio_containers.build import buildkit, outcome
from studio_containers.build.builder import BUILDKIT, Builder
from studio_containers.build.dockerbuild import BuildRequest
from studio_containers.errors import UserError

SUCCESS = """\
#5 [2/2] RUN echo hi
#5 sha256:aa
#5 0.1 hi
#5 DONE 0.1s
"""
FAILURE = """\
#5 [2/2] RUN echo about-to-fail && exit 7
#5 0.1 about-to-fail
#5 ERROR: executor failed running [/bin/sh -c echo about-to-fail && exit 7]: exit code: 7
executor failed running [/bin/sh -c echo about-to-fail && exit 7]: exit code: 7
"""


def stub(tmp_path: Path, output: str, code: int, image_id: str = "", hang: bool = False) -> Builder:
    (tmp_path / "out.txt").write_text(output)
    cli = tmp_path / "docker"
    cli.write_text(f"""#!/bin/sh
echo $$ > {tmp_path}/pid
while [ $# -gt 0 ]; do [ "$1" = --iidfile ] && iid="$2"; shift; done
cat {tmp_path}/out.txt
{"exec sleep 60" if hang else ""}
{f'printf {image_id} > "$iid"' if image_id else ""}
exit {code}
""")
    cli.chmod(0o755)
    return Builder(BUILDKIT, str(cli), "20.10.24", (1, 3))


class Engine:
    def __init__(self, answers=True):
        self.answers, self.pings = answers, 0

    def ping(self):
        self.pings += 1
        if not self.answers:
            raise outcome.docker.errors.DockerException("gone")


def request(tmp_path):
    return BuildRequest(tmp_path, "repo/x:1", title="x/Dockerfile", failure_hint=" (hint)")


def test_the_image_id_and_the_steps_come_back(tmp_path):
    done = buildkit.buildkit_build(Engine(), stub(tmp_path, SUCCESS, 0, "sha256:abc"), request(tmp_path))
    assert (done.image_id, done.steps, done.cached) == ("sha256:abc", 1, 0)


def test_a_failing_step_is_one_line_and_the_engine_is_not_asked(tmp_path, capsys):
    engine = Engine()
    with pytest.raises(UserError, match=r"^x/Dockerfile: build failed: \[2/2\] RUN echo about-to-fail "
                                        r"&& exit 7: exit code 7 \(hint\)$"):
        buildkit.buildkit_build(engine, stub(tmp_path, FAILURE, 1), request(tmp_path))
    assert engine.pings == 0 and "about-to-fail" in capsys.readouterr().err


def test_an_engine_gone_and_an_exit_without_an_image(tmp_path, monkeypatch):
    monkeypatch.setattr(outcome, "GONE_WAIT", 0.3)
    with pytest.raises(UserError, match=r"the Docker engine stopped during the build .* repo/x:1 "
                                        r"was not tagged"):
        buildkit.buildkit_build(Engine(answers=False), stub(tmp_path, "rpc error: EOF\n", 1),
                                request(tmp_path))
    with pytest.raises(UserError, match=r"the build ended without an image"):
        buildkit.buildkit_build(Engine(), stub(tmp_path, SUCCESS, 0), request(tmp_path))


def test_ctrl_c_stops_the_cli(tmp_path, monkeypatch):
    builder = stub(tmp_path, SUCCESS, 0, "sha256:abc", hang=True)

    def interrupted(self, line, now=None):
        raise KeyboardInterrupt
    monkeypatch.setattr(buildkit.Progress, "feed", interrupted)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        buildkit.buildkit_build(Engine(), builder, request(tmp_path))
    pid = int((tmp_path / "pid").read_text())
    assert time.monotonic() - started < 10
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
