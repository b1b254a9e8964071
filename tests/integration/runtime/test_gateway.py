"""The KernelGateway app container of every shipped image behaves the way Studio needs."""
import dataclasses

import pytest
from docker.errors import NotFound

from studio_containers.errors import UserError
from studio_containers.ports import free_port
from studio_containers.runtime.gateway import gateway_container, start_gateway
from studio_containers.runtime.home import prepare_home
from studio_containers.runtime.kernel_client import execute
from studio_containers.runtime.volume import MOUNT_POINT
from studio_containers.spec import Kernel

# Per kernel language: code printing uid, gid and the working folder, and writing a file there.
PROBES = {
    "python": ("import os; open('from-kernel.txt', 'w').write('hi'); "
               "print(os.getuid(), os.getgid(), os.getcwd())"),
    "R": ('writeLines("hi", "from-kernel.txt"); cat(system("id -u", intern=TRUE), '
          'system("id -g", intern=TRUE), getwd(), "\\n")'),
}


def languages(gw) -> dict[str, str]:
    specs = gw.get("/api/kernelspecs", gw.token).json()["kernelspecs"]
    return {name: body["spec"]["language"] for name, body in specs.items()}


def test_lists_exactly_the_spec_kernels_with_their_display_names(make_gateway, spec, built):
    with make_gateway(spec, built.ref) as gw:
        body = gw.get("/api/kernelspecs", gw.token).json()
    assert sorted(body["kernelspecs"]) == sorted(spec.kernel_names)
    assert body["default"] == spec.kernels[0].name
    for kernel in spec.kernels:
        assert body["kernelspecs"][kernel.name]["spec"]["display_name"] == kernel.display_name


def test_each_kernel_runs_as_the_spec_user_in_the_home(make_gateway, spec, built, home):
    with make_gateway(spec, built.ref) as gw:
        for name, language in languages(gw).items():
            assert language in PROBES, f"no probe for {language} kernels: add one to PROBES"
            written = home / "from-kernel.txt"
            written.unlink(missing_ok=True)
            uid, gid, cwd = execute(gw.gc.url, gw.token, name, PROBES[language]).split()
            assert (int(uid), int(gid), cwd) == (spec.uid, spec.gid, spec.mount_path), name
            assert written.read_text().strip() == "hi"
            assert (written.stat().st_uid, written.stat().st_gid) == (spec.uid, spec.gid)
            if language == "R":             # R itself and its packages, not only the kernel
                out = execute(gw.gc.url, gw.token, name,
                              'cat(R.version.string, "\\n"); library(data.table); '
                              'print(summary(data.frame(x = c(1, 2, 6))))')
                assert out.startswith("R version 4."), out
                assert "Median :2" in out and "Mean   :3" in out, out


def test_python_kernels_run_in_the_images_python_not_the_gateways(make_gateway, spec, built, workspace):
    image_prefix = image_python_prefix(workspace, built)
    with make_gateway(spec, built.ref) as gw:
        python_kernels = [n for n, language in languages(gw).items() if language == "python"]
        for name in python_kernels:
            prefix = execute(gw.gc.url, gw.token, name, "import sys; print(sys.prefix)").strip()
            assert prefix == image_prefix and not prefix.startswith(MOUNT_POINT)


def test_requests_without_the_token_are_refused(make_gateway, spec, built):
    with make_gateway(spec, built.ref) as gw:
        assert gw.get("/api/kernelspecs").status_code in (401, 403)
        assert gw.get("/api/kernelspecs", "wrong-token").status_code in (401, 403)
        assert gw.get("/api/kernels", gw.token).status_code == 200  # listing is on (KG_LIST_KERNELS)


def test_published_on_loopback_only_and_image_untouched(make_gateway, spec, built, workspace):
    with make_gateway(spec, built.ref) as gw:
        container = gw.get_wrapped_container()
        container.reload()
        bindings = container.attrs["NetworkSettings"]["Ports"]["8888/tcp"]
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
        mounts = {m["Destination"]: m for m in container.attrs["Mounts"]}
        assert mounts[MOUNT_POINT]["RW"] is False
    # The image itself carries no gateway: the runtime only exists in the mounted volume.
    out = workspace.client.containers.run(built.ref, ["sh", "-c", f"ls -A {MOUNT_POINT} 2>&1; "
                                                      "python -c 'import kernel_gateway' 2>&1; true"],
                                          remove=True, entrypoint=[])
    assert b"No such file" in out and b"ModuleNotFoundError" in out


def image_python_prefix(workspace, built) -> str:
    return workspace.client.containers.run(
        built.ref, ["python", "-c", "import sys; print(sys.prefix)"], remove=True,
        entrypoint=[]).decode().strip()


def test_missing_spec_kernel_names_what_the_image_has(spec, built, runtime, home, settings, workspace):
    wrong = dataclasses.replace(spec, kernels=(Kernel("no-such-kernel", "Missing"),))
    gc = gateway_container(wrong, built.ref, runtime, prepare_home(home, spec), "t", free_port(),
                           settings.state_dir)
    with pytest.raises(UserError) as info:
        start_gateway(workspace.client, gc, wrong, timeout=60)
    message = str(info.value)
    assert message.startswith(f"{spec.spec_file}: kernels: no-such-kernel not found in the image")
    for kernel in spec.kernels:
        assert kernel.name in message.split("it has: ", 1)[1]
    assert f"sys.prefix {image_python_prefix(workspace, built)}, as Studio does" in message
    with pytest.raises(NotFound):  # nothing left behind
        workspace.client.containers.get(gc.name)
