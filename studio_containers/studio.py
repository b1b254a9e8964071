"""Studio's rules: what SageMaker Studio accepts and how it runs an image, written once.

Every stage reads them from here: the spec loader, validation, the local run, the local AWS and
the deploy. docs/studio.md explains each rule and the failure it prevents.
"""
import re

# SageMaker ImageName and AppImageConfigName.
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
NAME_RE = re.compile(NAME_PATTERN)

KERNEL_GATEWAY, JUPYTER_LAB, CODE_EDITOR = "KernelGateway", "JupyterLab", "CodeEditor"
APP_TYPES = (KERNEL_GATEWAY, JUPYTER_LAB, CODE_EDITOR)
# Spaces (new Studio): the image serves the app itself, on APP_PORT at its base path.
SPACE_APP_TYPES = (JUPYTER_LAB, CODE_EDITOR)
BASE_PATHS = {JUPYTER_LAB: "/jupyterlab/default", CODE_EDITOR: "/CodeEditor/default"}
PLATFORMS = ("linux/amd64",)        # an arm64 image fails with "exec format error"

# The only DefaultUid/DefaultGid pairs an AppImageConfig may name (failure class 2).
ALLOWED_UID_GID = ((1000, 100), (0, 0))
DEFAULT_UID_GID = ALLOWED_UID_GID[0]
# No file in any layer may be owned by an id above this (failure class 4).
MAX_ID = 65535

DEFAULT_MOUNT_PATH = "/home/sagemaker-user"     # where Studio mounts the user's EFS home
SPACE_HOME = DEFAULT_MOUNT_PATH                 # a space's EBS volume: always here, as 1000/100
GATEWAY_MOUNT = "/opt/.sagemakerinternal"       # where Studio mounts its own Kernel Gateway
RESERVED_PATHS = (GATEWAY_MOUNT, "/opt/ml")     # Studio's own: an image must not use them
SPACE_RESERVED_PATHS = RESERVED_PATHS + ("/var/log/studio",)
APP_PORT = 8888                                 # the Kernel Gateway's port, or the space app's

# AppImageConfig ContainerConfig limits (the API's model): how a space image may be started.
ENTRYPOINT_ITEMS, ENTRYPOINT_ITEM_LENGTH = 1, 256
ARGUMENT_ITEMS, ARGUMENT_LENGTH = 50, 64
ENVIRONMENT_ITEMS, ENVIRONMENT_KEY_LENGTH, ENVIRONMENT_VALUE_LENGTH = 25, 256, 256
# Set by Studio in every space; a value the image sets is overridden.
STUDIO_SET_ENVIRONMENT = ("AWS_ACCOUNT_ID", "AWS_REGION", "AWS_DEFAULT_REGION",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "SAGEMAKER_SPACE_NAME",
                          "SAGEMAKER_APP_TYPE", "SAGEMAKER_APP_TYPE_LOWERCASE")

# What an AppImageConfig configures, and the domain setting that lists images of that kind.
APP_IMAGE_CONFIG_KINDS = ("KernelGatewayImageConfig", "JupyterLabAppImageConfig",
                          "CodeEditorAppImageConfig")
APP_SETTINGS = {"KernelGatewayAppSettings": "KernelGatewayImageConfig",
                "JupyterLabAppSettings": "JupyterLabAppImageConfig",
                "CodeEditorAppSettings": "CodeEditorAppImageConfig"}
# Per app type: the AppImageConfig member that configures it, the domain setting listing it.
APP_IMAGE_CONFIG_KIND = dict(zip(APP_TYPES, APP_IMAGE_CONFIG_KINDS))
APP_SETTINGS_OF = {app_type: f"{app_type}AppSettings" for app_type in APP_TYPES}

# Studio's failure classes (docs/studio.md): what `invoke validate` reports them as.
FAILURE_CLASSES = {
    1: "kernel not in the image",
    2: "UID/GID Studio does not accept",
    3: "UID/GID is not the image's user",
    4: f"file owned by UID/GID > {MAX_ID}",
    5: "kernel files under the mount path",
    6: "not linux/amd64",
    7: "kernel not usable through the image's PATH (its python, its interpreter)",
    8: f"reserved path or port {APP_PORT}",
    9: "space app not served as Studio expects",
    10: "image too large",
}


def is_reserved(path: str) -> str | None:
    """The reserved folder `path` is (or is inside), else None."""
    for reserved in RESERVED_PATHS:
        if path == reserved or path.startswith(reserved + "/"):
            return reserved
    return None
