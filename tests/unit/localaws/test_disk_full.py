"""A full disk while saving the local AWS's state, on a real full filesystem (a small tmpfs).

The old state file stays whole and loadable, no temporary file is left, and once space is free
the next save writes everything. The server answers the change it made, refuses further changes
with an AWS-style error until it can save again, and keeps serving reads.

Mounting needs root (CI runs tests as root). Anyone else gets the same tests run by a child
pytest as root of a user namespace (`unshare -rm`), where a tmpfs mount is allowed.
"""
import errno
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from moto.core.base_backend import BackendDict
from moto.sagemaker.models import sagemaker_backends

from studio_containers.localaws.sagemaker.models import studio_store
from studio_containers.localaws.server import app as server_module
from studio_containers.localaws.server.app import EVENTS_PATH, LocalAwsApp, final_save
from studio_containers.localaws.server.persistence import StateFile, StateNotSaved

from .test_server import FakeEcr, call

SIZE = "256k"
ACCOUNT, REGION = "123456789012", "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"
IN_NAMESPACE = "STUDIO_CONTAINERS_TEST_USERNS"
REFUSED = (r"^could not save the local AWS state to .*/state\.bin: No space left on device; "
           r"the previous state is kept$")


def _mount(folder) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(folder)],
                   check=True, capture_output=True, text=True)


def _unmount(folder) -> None:
    subprocess.run(["umount", str(folder)], check=True, capture_output=True, text=True)


def _mount_error() -> str | None:
    """Why this process cannot mount a tmpfs, or None when it can (root without the right, as
    in an unprivileged container, cannot either)."""
    if os.geteuid() != 0:
        return "not root"
    with tempfile.TemporaryDirectory() as folder:
        try:
            _mount(folder)
        except (OSError, subprocess.CalledProcessError) as exc:
            return (getattr(exc, "stderr", None) or str(exc)).strip()
        _unmount(folder)
    return None


# Inside the user namespace a mount that fails must fail the tests, not send them further on.
MOUNT_ERROR = None if os.environ.get(IN_NAMESPACE) else _mount_error()
mounted = pytest.mark.skipif(
    MOUNT_ERROR is not None,
    reason=f"cannot mount a tmpfs here ({MOUNT_ERROR}): "
           "test_the_disk_full_tests_pass_in_a_user_namespace runs this test as root there")


@pytest.fixture
def small_fs(tmp_path) -> Path:
    """A folder on a tmpfs of its own, small enough to fill in a moment; unmounted afterwards."""
    folder = tmp_path / "small"
    folder.mkdir()
    _mount(folder)
    try:
        yield folder
    finally:
        _unmount(folder)


def fill(folder: Path) -> None:
    """Writes a filler file until the filesystem takes not one byte more."""
    with open(folder / "filler", "wb", buffering=0) as out:
        with pytest.raises(OSError) as full:
            while True:
                out.write(b"\0" * 4096)
    assert full.value.errno == errno.ENOSPC


def free(folder: Path) -> None:
    (folder / "filler").unlink()


def images() -> set[str]:
    backend = sagemaker_backends[ACCOUNT][REGION]
    return {image.name for image in studio_store(backend).images.values()}


def create_image(name: str) -> None:
    studio_store(sagemaker_backends[ACCOUNT][REGION]).create_image(name, ROLE, None, None, None)


def saved_images(path: Path) -> set[str]:
    """The images a state file holds, loaded as the server loads it at start."""
    BackendDict.reset()
    StateFile(path).load()
    return images()


@mounted
def test_a_full_disk_keeps_the_old_state_and_the_next_save_writes_everything(moto_backend,
                                                                               small_fs):
    state = StateFile(small_fs / "state.bin")
    create_image("old")
    assert state.save()
    before = state.path.read_bytes()
    fill(small_fs)

    create_image("new")
    with pytest.raises(StateNotSaved, match=REFUSED):
        state.save()
    create_image("newer")
    with pytest.raises(StateNotSaved, match=REFUSED):
        state.save()
    assert state.behind
    assert state.path.read_bytes() == before
    assert sorted(p.name for p in small_fs.iterdir()) == ["filler", "state.bin"]

    free(small_fs)
    assert state.save() and not state.behind
    assert saved_images(state.path) == {"old", "new", "newer"}


@mounted
def test_the_old_state_file_loads_as_it_was_after_a_refused_save(moto_backend, small_fs):
    state = StateFile(small_fs / "state.bin")
    create_image("old")
    state.save()
    fill(small_fs)
    create_image("lost")
    with pytest.raises(StateNotSaved):
        state.save()
    assert saved_images(state.path) == {"old"}


def moto_app(environ, start_response):
    """moto as far as these tests need it: CreateRole creates an image of the role's name."""
    params = parse_qs(environ["wsgi.input"].read().decode())
    if params["Action"] == ["CreateRole"]:
        create_image(params["RoleName"][0])
    start_response("200 OK", [("Content-Type", "text/xml")])
    return [b"<ok/>"]


@pytest.fixture
def server(moto_backend, small_fs, signed_environ):
    """The server's WSGI app saving to the small filesystem, and a signed request sender."""
    app = LocalAwsApp(moto_app, StateFile(small_fs / "state.bin"), FakeEcr(), "AKIAEXAMPLE",
                      "s3cret", "events-token")

    def send(body: str) -> tuple[str, bytes]:
        return call(app, signed_environ(body=body.encode()), body.encode())
    return app, send


def server_errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name.endswith("server") and r.levelno >= logging.ERROR]


@mounted
def test_the_server_answers_the_change_it_made_then_refuses_changes_until_it_can_save(
        server, small_fs, caplog):
    app, send = server
    assert send("Action=CreateRole&RoleName=a") == ("200 OK", b"<ok/>")
    before = app.state.path.read_bytes()
    fill(small_fs)

    # The change is made and answered; the log says, in one line, that it is not on disk.
    assert send("Action=CreateRole&RoleName=b") == ("200 OK", b"<ok/>")
    [error] = server_errors(caplog)
    assert error.startswith(f"could not save the local AWS state to {app.state.path}: No space "
                            "left on device; the previous state is kept; the changes since (the "
                            "last: CreateRole) are in memory only")
    status, body = send("Action=CreateRole&RoleName=c")
    assert status == "400 Bad Request"
    assert b"<Code>InsufficientStorage</Code>" in body and b"No space left on device" in body
    assert images() == {"a", "b"}
    assert send("Action=GetCallerIdentity") == ("200 OK", b"<ok/>")
    assert app.state.path.read_bytes() == before
    assert sorted(p.name for p in small_fs.iterdir()) == ["filler", "state.bin"]

    free(small_fs)
    assert send("Action=CreateRole&RoleName=c") == ("200 OK", b"<ok/>")
    assert saved_images(app.state.path) == {"a", "b", "c"}


@mounted
def test_a_refusal_speaks_the_json_protocol_to_json_clients(server, small_fs, monkeypatch):
    app, send = server
    send("Action=CreateRole&RoleName=a")
    fill(small_fs)
    send("Action=CreateRole&RoleName=b")
    # Signing is another test's subject; this request only needs to be a JSON one.
    monkeypatch.setattr(server_module, "verify", lambda *args: None)
    status, answer = call(app, {"CONTENT_TYPE": "application/x-amz-json-1.1",
                                "HTTP_X_AMZ_TARGET": "SageMaker.CreateImage"}, b"{}")
    assert status == "400 Bad Request"
    error = json.loads(answer)
    assert error["__type"] == "InsufficientStorage"
    assert "No space left on device" in error["message"]


@mounted
def test_registry_events_wait_while_the_state_cannot_be_saved(server, small_fs):
    app, send = server
    send("Action=CreateRole&RoleName=a")
    fill(small_fs)
    send("Action=CreateRole&RoleName=b")
    event = {"PATH_INFO": EVENTS_PATH, "HTTP_AUTHORIZATION": "Bearer events-token"}
    assert call(app, event, b"{}")[0] == "507 Insufficient Storage"
    assert app.ecr.bodies == []
    free(small_fs)
    assert call(app, event, b"{}") == ("200 OK", b"ok")
    assert app.ecr.bodies == [b"{}"]


@mounted
def test_an_apps_save_and_the_final_save_log_a_refusal_instead_of_raising(server, small_fs,
                                                                          caplog):
    app, send = server
    send("Action=CreateRole&RoleName=a")
    fill(small_fs)
    create_image("b")
    with app.lock:
        app.save()      # what the apps launcher calls from its threads
    with app.lock:
        assert not final_save(app.state)
    assert server_errors(caplog)[-1].endswith(
        "the previous state is kept; the changes made since it are lost")
    free(small_fs)
    with app.lock:
        assert final_save(app.state)
    assert saved_images(app.state.path) == {"a", "b"}


if MOUNT_ERROR is not None:
    def test_the_disk_full_tests_pass_in_a_user_namespace(tmp_path):
        """This process cannot mount: the tests above run as root of a user namespace."""
        if shutil.which("unshare") is None:
            pytest.fail(f"cannot mount a tmpfs ({MOUNT_ERROR}) and util-linux's unshare is missing: "
                        "run the tests as root, or install util-linux")
        probe = subprocess.run(["unshare", "-rm", "true"], capture_output=True, text=True)
        if probe.returncode != 0:
            pytest.fail(f"cannot mount a tmpfs ({MOUNT_ERROR}) and cannot make a user namespace "
                        f"to mount one in: {probe.stderr.strip()}; run the tests as root")
        child = subprocess.run(
            ["unshare", "-rm", sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"--basetemp={tmp_path / 'namespace'}", __file__],
            capture_output=True, text=True, timeout=600, env={**os.environ, IN_NAMESPACE: "1"},
            cwd=Path(__file__).resolve().parents[3])
        assert child.returncode == 0, child.stdout[-4000:] + child.stderr[-2000:]
        assert "skipped" not in child.stdout, child.stdout[-4000:]
