"""The gateway runtime: our Kernel Gateway, provided to the user's image at run time.

Studio mounts its own gateway at /opt/.sagemakerinternal; we do the same with a read-only
Docker volume filled from the runtime image (built from local/gateway/), so the user's layers
stay untouched and the same volume serves every image.
"""
from dataclasses import dataclass

import docker
from docker.errors import DockerException, NotFound

from ..build.contenthash import folder_hash
from ..build.dockerbuild import BuildRequest, image_exists
from ..build.workspace import Workspace
from ..console import say
from ..errors import UserError
from ..studio import GATEWAY_MOUNT as MOUNT_POINT
from . import RUNTIME_DIR

PYTHON = f"{MOUNT_POINT}/bin/python3"
LAUNCHER = f"{MOUNT_POINT}/lib/studio-containers/launch.py"
REPOSITORY = "studio-containers/gateway-runtime"
VOLUME_PREFIX = "studio-containers-gateway-"
VOLUME_LABELS = {"studio-containers.role": "gateway-runtime"}
MISSING_KERNELS_EXIT = 3  # launch.py's exit code when a spec kernel is absent


@dataclass(frozen=True)
class Runtime:
    image: str
    volume: str

    @property
    def entrypoint(self) -> list[str]:
        return [PYTHON, "-s", "-E", LAUNCHER]


def ensure_runtime(workspace: Workspace, verbose: bool = False) -> Runtime:
    client, base = workspace.client, workspace.base
    digest = folder_hash(RUNTIME_DIR, base.image_id)
    runtime = Runtime(image=f"{REPOSITORY}:{digest}", volume=f"{VOLUME_PREFIX}{digest}")
    if not image_exists(client, runtime.image):
        say("Building the gateway runtime (Jupyter Kernel Gateway with its own Python); once per base")
        workspace.build(BuildRequest(RUNTIME_DIR, runtime.image, title="gateway runtime",
                                     buildargs={"BASE_IMAGE": base.ref},
                                     network=workspace.settings.build_network), verbose)
    try:
        client.volumes.get(runtime.volume)
    except NotFound:
        _fill_volume(client, runtime)
        _remove_other_runtimes(client, runtime)
    return runtime


def _remove_other_runtimes(client: docker.DockerClient, keep: Runtime) -> None:
    """Each change to local/gateway/ or the base makes a new ~300 MB runtime; drop the old ones.

    A volume still mounted by a running gateway (another checkout's `invoke local`) is refused
    by the engine and stays; that checkout rebuilds its runtime if it ever needs it again."""
    removed = 0
    for volume in client.volumes.list(filters={"label": [f"{k}={v}" for k, v in VOLUME_LABELS.items()]}):
        if volume.name != keep.volume:
            try:
                volume.remove()
                removed += 1
            except DockerException:
                pass
    for image in client.images.list(name=REPOSITORY):
        if keep.image not in image.tags:
            try:
                client.images.remove(image.id)
            except DockerException:
                pass
    if removed:
        say(f"Removed {removed} gateway runtime volume(s) of earlier versions")


def _fill_volume(client: docker.DockerClient, runtime: Runtime) -> None:
    # Docker copies the image's content at the mount point into an empty named volume.
    volume = client.volumes.create(runtime.volume, labels=VOLUME_LABELS)
    try:
        client.containers.run(runtime.image, ["true"], remove=True,
                              volumes={runtime.volume: {"bind": MOUNT_POINT, "mode": "rw"}})
    except DockerException as exc:
        volume.remove(force=True)
        raise UserError(f"could not fill the gateway runtime volume {runtime.volume}: {exc}") from None
