"""The Docker engine stopped in the middle of `invoke build`: the build ends with one line saying
so, no traceback, and nothing is tagged. The engine stopped is a second one of this test's own
(its own data root, socket and network namespace), so the suite's engine is not touched; its base is a
tiny shell imported from the host's own binaries, so nothing is pulled or built first."""
import io
import os
import shutil
import signal
import subprocess
import tarfile

import pytest

from studio_containers.cli_process import invoke_argv
from tests.engines import Engine
from tests.helpers import write_image

SPEC = "name: slow\nkernels: [{name: python3, display_name: Python 3}]\n"
# A RUN step long enough to stop the engine under it.
DOCKERFILE = "ARG BASE_IMAGE\nFROM $BASE_IMAGE\nRUN sleep 300\n"
BASE = "studio-containers-test/tiny-shell:1"


@pytest.fixture
def engine():
    if shutil.which("dockerd") is None:
        pytest.fail("dockerd is not installed: ./inv test installs the engine it uses")
    engine = Engine(own_network=True)
    yield engine
    engine.remove()


def tiny_shell() -> bytes:
    """A root file system with the host's sh and sleep and the libraries they load."""
    files = {"/bin/sh": "/bin/dash", "/bin/sleep": "/bin/sleep"}
    for binary in ("/bin/dash", "/bin/sleep"):
        for line in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout.splitlines():
            path = next((p for p in line.split() if p.startswith("/")), None)
            if path:
                files[path] = path
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for inside, outside in files.items():
            info = tar.gettarinfo(os.path.realpath(outside), arcname=inside.lstrip("/"))
            with open(os.path.realpath(outside), "rb") as f:
                tar.addfile(info, f)
    return buffer.getvalue()


def test_an_engine_stopped_mid_build_is_said_in_one_line_and_nothing_is_tagged(engine, tmp_path):
    client = engine.start()
    repository, tag = BASE.split(":")
    client.api.import_image_from_data(tiny_shell(), repository=repository, tag=tag)
    write_image(tmp_path / "images" / "slow", DOCKERFILE, SPEC)
    env = dict(os.environ, DOCKER_HOST=engine.url, INVOKE_STATE_DIR=str(tmp_path / "state"),
               INVOKE_IMAGES_DIR=str(tmp_path / "images"), INVOKE_BUILD_BASE_IMAGE=BASE,
               INVOKE_BUILD_EXTRA_CA_CERTS="none")
    build = subprocess.Popen(invoke_argv("build", "--image", "slow"), env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    seen = []
    try:
        for line in build.stdout:
            seen.append(line)
            if "RUN sleep 300" in line:
                engine.stop()
                break
        out = "".join(seen) + build.communicate(timeout=120)[0]
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
    assert any("RUN sleep 300" in line for line in seen), out
    assert build.returncode == 1, out
    assert "Traceback" not in out, out
    errors = [line for line in out.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, out
    assert ("the Docker engine stopped during the build" in errors[0]
            or "the build ended without an image" in errors[0]), out

    client = engine.start()       # the same engine again, its images kept
    assert client.images.list(name="studio-containers/slow") == []
    assert client.images.list(name=repository)     # what was there before is still there
