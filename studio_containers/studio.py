"""Studio's rules: what SageMaker Studio accepts and how it runs an image, written once.

Every stage reads them from here: the spec loader, validation, the local run, the local AWS and
the deploy. docs/studio.md explains each rule and the failure it prevents.
"""
import enum
import re
from dataclasses import dataclass

# SageMaker ImageName and AppImageConfigName.
NAME_PATTERN = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"
NAME_RE = re.compile(NAME_PATTERN)


class StrEnum(str, enum.Enum):
    """Members are their values wherever a string goes: f-strings, JSON, comparisons, keys
    (enum.StrEnum is Python 3.11+; ./inv accepts 3.10)."""
    __str__ = str.__str__
    __format__ = str.__format__


class AppType(StrEnum):
    KERNEL_GATEWAY = "KernelGateway"
    JUPYTER_LAB = "JupyterLab"
    CODE_EDITOR = "CodeEditor"
    JUPYTER_SERVER = "JupyterServer"


class AppStatus(StrEnum):            # the API's AppStatus
    PENDING = "Pending"
    IN_SERVICE = "InService"
    DELETING = "Deleting"
    DELETED = "Deleted"
    FAILED = "Failed"


class ResourceStatus(StrEnum):       # the API's DomainStatus, UserProfileStatus and SpaceStatus
    PENDING = "Pending"
    IN_SERVICE = "InService"
    UPDATING = "Updating"
    DELETING = "Deleting"
    FAILED = "Failed"
    UPDATE_FAILED = "Update_Failed"
    DELETE_FAILED = "Delete_Failed"


class ImageStatus(StrEnum):          # the API's ImageStatus
    CREATING = "CREATING"
    CREATED = "CREATED"
    CREATE_FAILED = "CREATE_FAILED"
    UPDATING = "UPDATING"
    UPDATE_FAILED = "UPDATE_FAILED"
    DELETING = "DELETING"
    DELETE_FAILED = "DELETE_FAILED"


class ImageVersionStatus(StrEnum):   # the API's ImageVersionStatus
    CREATING = "CREATING"
    CREATED = "CREATED"
    CREATE_FAILED = "CREATE_FAILED"
    DELETING = "DELETING"
    DELETE_FAILED = "DELETE_FAILED"


class AppNetworkAccess(StrEnum):     # the API's AppNetworkAccessType
    PUBLIC = "PublicInternetOnly"
    VPC_ONLY = "VpcOnly"


class Owner(StrEnum):                # CreateApp's member naming who an app belongs to
    USER_PROFILE = "UserProfileName"
    SPACE = "SpaceName"


# An app that is, or is about to be, running; one AWS still counts (Deleting included).
LIVE_APP_STATUSES = (AppStatus.PENDING, AppStatus.IN_SERVICE, AppStatus.DELETING)
# A space's app and a profile's Jupyter server are always named this; Studio's base path of an
# app is /<app type>/<app name>.
DEFAULT_APP_NAME = "default"
APP_PORT = 8888                                 # the Kernel Gateway's port, or the space app's


@dataclass(frozen=True)
class AppKind:
    """One app type, as Studio runs it and as this project starts, checks and registers it."""
    app_type: AppType
    owner: Owner                    # a user profile's app or a space's
    base_paths: tuple[str, ...]     # where Studio reaches it ([0] its own spelling); () = at /
    ready_route: str                # below the base path: answers once the app is ready
    url_suffix: str | None          # after "<base path>/" in a browser URL; None = no page
    config_member: str | None       # its AppImageConfig member; None = no custom image
    domain_setting: str | None      # the domain's *AppSettings listing its custom images
    app_name: str | None            # the AppName it must have; None = named after its image
    user_configurable: bool         # image.yaml's user and mount_path (else 1000/100 at the home)
    instance_type: str              # CreateApp's default ResourceSpec.InstanceType
    auth_off: str | None = None     # how the app turns its own authentication off
    fix_hint: str | None = None     # what to change when it is not served as Studio expects
    port: int = APP_PORT            # inside its container

    @property
    def is_space(self) -> bool:
        return self.owner is Owner.SPACE

    @property
    def takes_image(self) -> bool:
        return self.config_member is not None

    @property
    def base_path(self) -> str:
        return self.base_paths[0] if self.base_paths else ""

    def ready_path(self, base_path: str | None = None) -> str:
        return f"{self.base_path if base_path is None else base_path}{self.ready_route}"

    def url_path(self, base_path: str | None = None) -> str | None:
        if self.url_suffix is None:
            return None
        return f"{self.base_path if base_path is None else base_path}/{self.url_suffix}"


_JUPYTER_LAB_AUTH_OFF = "--IdentityProvider.token='' --ServerApp.password=''"
_JUPYTER_LAB_PATH, _CODE_EDITOR_PATH = f"/jupyterlab/{DEFAULT_APP_NAME}", f"/CodeEditor/{DEFAULT_APP_NAME}"
APP_KINDS = (
    # Studio brings its own Kernel Gateway (at /, port 8888) into a Classic image.
    AppKind(AppType.KERNEL_GATEWAY, Owner.USER_PROFILE, (), "/api/kernelspecs", None,
            "KernelGatewayImageConfig", "KernelGatewayAppSettings", None, True, "ml.t3.medium"),
    AppKind(AppType.JUPYTER_LAB, Owner.SPACE, (_JUPYTER_LAB_PATH,), "/api/status", "lab",
            "JupyterLabAppImageConfig", "JupyterLabAppSettings", DEFAULT_APP_NAME, False,
            "ml.t3.medium", auth_off=_JUPYTER_LAB_AUTH_OFF,
            fix_hint=f"start JupyterLab on 0.0.0.0:{APP_PORT} with --ServerApp.base_url="
                     f"{_JUPYTER_LAB_PATH} {_JUPYTER_LAB_AUTH_OFF} --ServerApp.allow_origin='*' "
                     "(see images/jupyterlab-python/start-jupyterlab)"),
    # Studio's docs spell Code Editor's path /CodeEditor/default; aws/sagemaker-distribution
    # serves /codeeditor/default (from SAGEMAKER_APP_TYPE_LOWERCASE). Either is Studio's. It
    # answers on its base path itself.
    AppKind(AppType.CODE_EDITOR, Owner.SPACE, (_CODE_EDITOR_PATH, _CODE_EDITOR_PATH.lower()), "/",
            "", "CodeEditorAppImageConfig", "CodeEditorAppSettings", DEFAULT_APP_NAME, False,
            "ml.t3.medium", auth_off="--without-connection-token; code-server: --auth none",
            fix_hint=f"serve VS Code on 0.0.0.0:{APP_PORT} under {_CODE_EDITOR_PATH} without a "
                     "connection token or password (code-server serves only at /: see "
                     "images/code-editor/serve-code-editor.js)"),
    # The user's Jupyter server (Classic): Studio's own image; here a JupyterLab on the host.
    AppKind(AppType.JUPYTER_SERVER, Owner.USER_PROFILE, (), "/api/status", "lab", None, None,
            DEFAULT_APP_NAME, False, "system"),
)
APPS: dict[str, AppKind] = {kind.app_type: kind for kind in APP_KINDS}

KERNEL_GATEWAY, JUPYTER_LAB, CODE_EDITOR, JUPYTER_SERVER = (
    AppType.KERNEL_GATEWAY, AppType.JUPYTER_LAB, AppType.CODE_EDITOR, AppType.JUPYTER_SERVER)
# The app types a custom image is made for (image.yaml's app_type), Classic's first.
APP_TYPES = tuple(k.app_type for k in APP_KINDS if k.takes_image)
# Spaces (new Studio): the image serves the app itself, on APP_PORT at its base path.
SPACE_APP_TYPES = tuple(k.app_type for k in APP_KINDS if k.is_space)
PROFILE_APP_TYPES = tuple(k.app_type for k in APP_KINDS if k.owner is Owner.USER_PROFILE)
BASE_PATHS = {k.app_type: k.base_path for k in APP_KINDS if k.base_paths}
# Per image app type: the AppImageConfig member that configures it, the domain setting listing it.
APP_IMAGE_CONFIG_KIND = {t: APPS[t].config_member for t in APP_TYPES}
APP_IMAGE_CONFIG_KINDS = tuple(APP_IMAGE_CONFIG_KIND.values())
APP_SETTINGS_OF = {t: APPS[t].domain_setting for t in APP_TYPES}
APP_SETTINGS = {APPS[t].domain_setting: APPS[t].config_member for t in APP_TYPES}


PLATFORMS = ("linux/amd64",)        # an arm64 image fails with "exec format error"

# The only DefaultUid/DefaultGid pairs an AppImageConfig may name (failure class 2).
ALLOWED_UID_GID = ((1000, 100), (0, 0))
DEFAULT_UID_GID = ALLOWED_UID_GID[0]
# No file in any layer may be owned by an id above this (failure class 4).
MAX_ID = 65535
MAX_KERNELS = 5                     # KernelSpecs of an AppImageConfig (the API's model)

DEFAULT_MOUNT_PATH = "/home/sagemaker-user"     # where Studio mounts the user's EFS home
SPACE_HOME = DEFAULT_MOUNT_PATH                 # a space's EBS volume: always here, as 1000/100
GATEWAY_MOUNT = "/opt/.sagemakerinternal"       # where Studio mounts its own Kernel Gateway
RESERVED_PATHS = (GATEWAY_MOUNT, "/opt/ml")     # Studio's own: an image must not use them
SPACE_RESERVED_PATHS = RESERVED_PATHS + ("/var/log/studio",)

# AppImageConfig ContainerConfig limits (the API's model): how a space image may be started.
ENTRYPOINT_ITEMS, ENTRYPOINT_ITEM_LENGTH = 1, 256
ARGUMENT_ITEMS, ARGUMENT_LENGTH = 50, 64
ENVIRONMENT_ITEMS, ENVIRONMENT_KEY_LENGTH, ENVIRONMENT_VALUE_LENGTH = 25, 256, 256
# Set by Studio in every space; a value the image sets is overridden.
STUDIO_SET_ENVIRONMENT = ("AWS_ACCOUNT_ID", "AWS_REGION", "AWS_DEFAULT_REGION",
                          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "SAGEMAKER_SPACE_NAME",
                          "SAGEMAKER_APP_TYPE", "SAGEMAKER_APP_TYPE_LOWERCASE")

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
    11: "lifecycle script fails, or runs too long, at the app's start",
}


def is_reserved(path: str) -> str | None:
    """The reserved folder `path` is (or is inside), else None."""
    for reserved in RESERVED_PATHS:
        if path == reserved or path.startswith(reserved + "/"):
            return reserved
    return None
