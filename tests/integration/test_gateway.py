"""The KernelGateway app container built from python-basic behaves the way Studio needs."""
import dataclasses

import pytest
from docker.errors import NotFound

from studio_containers.errors import UserError
from studio_containers.runtime.gateway import gateway_container, start_gateway
from studio_containers.ports import free_port
from studio_containers.runtime.volume import MOUNT_POINT
from studio_containers.spec import Kernel
from tests.helpers import execute

pytestmark = pytest.mark.engine


def test_lists_exactly_the_spec_kernels_with_their_display_names(make_gateway, spec):
    with make_gateway(spec) as gw:
        body = gw.get("/api/kernelspecs", gw.token).json()
    assert sorted(body["kernelspecs"]) == spec.kernel_names
    assert body["default"] == spec.kernels[0].name
    for kernel in spec.kernels:
        assert body["kernelspecs"][kernel.name]["spec"]["display_name"] == kernel.display_name


def test_kernel_runs_as_spec_user_in_the_image_python_and_writes_home(make_gateway, spec, home):
    code = ("import os, sys; open('from-kernel.txt', 'w').write('hi'); "
            "print(os.getuid(), os.getgid(), os.getcwd(), sys.prefix)")
    with make_gateway(spec) as gw:
        out = execute(gw.gc.url, gw.token, "python3", code)
    uid, gid, cwd, prefix = out.split()
    assert (int(uid), int(gid), cwd) == (spec.uid, spec.gid, spec.mount_path)
    assert prefix == "/opt/venv"  # the image's Python, not the gateway's own
    written = home / "from-kernel.txt"
    assert written.read_text() == "hi"
    assert (written.stat().st_uid, written.stat().st_gid) == (spec.uid, spec.gid)


def test_requests_without_the_token_are_refused(make_gateway, spec):
    with make_gateway(spec) as gw:
        assert gw.get("/api/kernelspecs").status_code in (401, 403)
        assert gw.get("/api/kernelspecs", "wrong-token").status_code in (401, 403)
        assert gw.get("/api/kernels", gw.token).status_code == 200  # listing is on (KG_LIST_KERNELS)


def test_published_on_loopback_only_and_image_untouched(make_gateway, spec, built, workspace):
    with make_gateway(spec) as gw:
        container = gw.get_wrapped_container()
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"]["8888/tcp"]
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert mounts[MOUNT_POINT]["RW"] is False
    # The image itself carries no gateway: the runtime only exists in the mounted volume.
    out = workspace.client.containers.run(built.ref, ["sh", "-c", f"ls -A {MOUNT_POINT} 2>&1; "
                                                      "python -c 'import kernel_gateway' 2>&1; true"], remove=True)
    assert b"No such file" in out and b"ModuleNotFoundError" in out


def test_missing_spec_kernel_names_what_the_image_has(make_gateway, spec, built, runtime, home, settings, workspace):
    wrong = dataclasses.replace(spec, kernels=(Kernel("ir", "R"),))
    gc = gateway_container(wrong, built.ref, runtime, home, "t", free_port(), settings.state_dir)
    with pytest.raises(UserError) as info:
        start_gateway(workspace.client, gc, wrong, timeout=60)
    message = str(info.value)
    assert message.startswith(f"{spec.spec_file}: kernels: ir not found in the image")
    assert "it has: python3" in message and "/opt/venv" in message
    with pytest.raises(NotFound):  # nothing left behind
        workspace.client.containers.get(gc.name)
