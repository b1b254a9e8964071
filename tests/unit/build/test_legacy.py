"""How a legacy build's end is told: the Dockerfile's own failure, an engine that stopped under it (an
error of the engine's making, or a dropped connection), each in one line naming the build."""
import pytest
import requests
from docker.errors import APIError

from pathlib import Path

from studio_containers.build import outcome
from studio_containers.build.dockerbuild import BuildRequest
from studio_containers.build.legacy import legacy_build
from studio_containers.errors import UserError


class Engine:
    """What legacy_build uses of a docker client: a build stream, ping, and images.get."""

    def __init__(self, chunks, answers=True):
        self.chunks, self.answers, self.pings = chunks, answers, 0
        self.api = self

    def build(self, **_):
        for chunk in self.chunks:
            if isinstance(chunk, Exception):
                raise chunk
            yield chunk

    def ping(self):
        self.pings += 1
        if not self.answers:
            raise APIError("gone")
        return True


def build(engine):
    return legacy_build(engine, BuildRequest(Path("ctx"), "repo/x:1", title="x/Dockerfile"))


def test_a_failing_step_is_the_dockerfiles_failure_and_the_engine_is_not_asked(monkeypatch, capsys):
    engine = Engine([{"stream": "Step 2/2 : RUN false\n"},
                     {"error": "The command '/bin/sh -c false' returned a non-zero code: 1"}])
    with pytest.raises(UserError, match=r"^x/Dockerfile: build failed: The command .* code: 1$"):
        build(engine)
    assert engine.pings == 0


def test_an_engine_error_while_the_engine_goes_away_is_an_engine_stop(monkeypatch, capsys):
    engine = Engine([{"error": "failed to update store for object type *libnetwork.endpoint"}],
                    answers=False)
    with pytest.raises(UserError, match=r"x/Dockerfile: the Docker engine stopped during the build "
                                        r"\(failed to update store.*\); repo/x:1 was not tagged"):
        build(engine)


def test_an_engine_error_from_a_running_engine_is_a_build_failure(monkeypatch, capsys):
    monkeypatch.setattr(outcome, "GONE_WAIT", 0.3)
    engine = Engine([{"error": "no space left on device"}])
    with pytest.raises(UserError, match=r"^x/Dockerfile: build failed: no space left on device$"):
        build(engine)
    assert engine.pings >= 1


def test_a_dropped_connection_is_an_engine_stop_not_a_traceback(capsys):
    engine = Engine([{"stream": "Step 1/1 : RUN sleep 300\n"},
                     requests.exceptions.ConnectionError("('Connection aborted.', RemoteDisconnected())")])
    with pytest.raises(UserError, match=r"the Docker engine stopped during the build \(\('Connection "
                                        r"aborted.', RemoteDisconnected\(\)\)\); repo/x:1 was not tagged"):
        build(engine)
    assert "RUN sleep 300" in capsys.readouterr().err
