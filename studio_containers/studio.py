"""Studio's rules: what SageMaker Studio accepts and how it runs an image, written once.

Every stage reads them from here: the spec loader, validation, the local run, the local AWS and
the deploy. docs/studio.md explains each rule and the failure it prevents.
"""
import re

# SageMaker ImageName and AppImageConfigName.
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
NAME_RE = re.compile(NAME_PATTERN)

APP_TYPES = ("KernelGateway",)
PLATFORMS = ("linux/amd64",)        # an arm64 image fails with "exec format error"

# The only DefaultUid/DefaultGid pairs an AppImageConfig may name (failure class 2).
ALLOWED_UID_GID = ((1000, 100), (0, 0))
DEFAULT_UID_GID = ALLOWED_UID_GID[0]
# No file in any layer may be owned by an id above this (failure class 4).
MAX_ID = 65535

DEFAULT_MOUNT_PATH = "/home/sagemaker-user"     # where Studio mounts the user's EFS home
GATEWAY_MOUNT = "/opt/.sagemakerinternal"       # where Studio mounts its own Kernel Gateway
RESERVED_PATHS = (GATEWAY_MOUNT, "/opt/ml")     # Studio's own: an image must not use them
APP_PORT = 8888                                 # the Kernel Gateway's port inside the app

# What an AppImageConfig configures, and the domain setting that lists images of that kind.
APP_IMAGE_CONFIG_KINDS = ("KernelGatewayImageConfig", "JupyterLabAppImageConfig",
                          "CodeEditorAppImageConfig")
APP_SETTINGS = {"KernelGatewayAppSettings": "KernelGatewayImageConfig",
                "JupyterLabAppSettings": "JupyterLabAppImageConfig",
                "CodeEditorAppSettings": "CodeEditorAppImageConfig"}
KERNEL_GATEWAY_APP_SETTINGS = "KernelGatewayAppSettings"

# Studio's failure classes (docs/studio.md): what `invoke validate` reports them as.
FAILURE_CLASSES = {
    1: "kernel not in the image",
    2: "UID/GID Studio does not accept",
    3: "UID/GID is not the image's user",
    4: f"file owned by UID/GID > {MAX_ID}",
    5: "kernel files under the mount path",
    6: "not linux/amd64",
    7: "python on PATH does not hold the kernels",
    8: f"reserved path or port {APP_PORT}",
    10: "image too large",
}


def is_reserved(path: str) -> str | None:
    """The reserved folder `path` is (or is inside), else None."""
    for reserved in RESERVED_PATHS:
        if path == reserved or path.startswith(reserved + "/"):
            return reserved
    return None
