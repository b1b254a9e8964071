"""Checks that read the image's configuration and layers: classes 2, 3, 4, 6, 8 and 10, and for
space images the variables Studio overrides (a class 9 warning)."""
from ..spec import ImageSpec
from ..studio import (
    ALLOWED_UID_GID,
    APP_PORT,
    MAX_ID,
    PLATFORMS,
    RESERVED_PATHS,
    SPACE_RESERVED_PATHS,
    STUDIO_SET_ENVIRONMENT,
)
from .findings import Finding
from .layers import ImageLayers, resolve_user

GATEWAY_PORT = f"{APP_PORT}/tcp"
PAIRS = " or ".join(f"{uid}/{gid}" for uid, gid in ALLOWED_UID_GID)
SKELETON = {".bashrc", ".profile", ".bash_logout"}   # what useradd -m puts in a home


def config_findings(spec: ImageSpec, attrs: dict, layers: ImageLayers,
                    max_size: int, warn_size: int) -> list[Finding]:
    found: list[Finding] = []
    config = attrs.get("Config") or {}
    if (spec.uid, spec.gid) not in ALLOWED_UID_GID:
        found.append(Finding(2, f"image.yaml user is {spec.uid}/{spec.gid}",
                             f"use uid/gid {PAIRS} in image.yaml and the Dockerfile's USER"))
    user = config.get("User") or ""
    resolved = resolve_user(user, layers.accounts)
    if resolved is None:
        found.append(Finding(3, f"the image's USER {user!r} is not in its /etc/passwd or "
                                "/etc/group", f"set USER {spec.uid}:{spec.gid} in the Dockerfile"))
    elif resolved != (spec.uid, spec.gid):
        shown = f"USER {user!r} = {resolved[0]}:{resolved[1]}" if user else "no USER (root, 0:0)"
        found.append(Finding(3, f"the image runs as {shown}, image.yaml says "
                                f"{spec.uid}/{spec.gid}",
                             f"end the Dockerfile with USER {spec.uid}:{spec.gid}, or change "
                             "user: in image.yaml to the image's user"))
    for index, layer in enumerate(layers.layers, start=1):
        if layer.high_ids:
            path, uid, gid = layer.high_ids[0]
            more = f" and {len(layer.high_ids) - 1} more" if len(layer.high_ids) > 1 else ""
            found.append(Finding(4, f"{path} is owned by {uid}:{gid} in layer {index} of "
                                    f"{len(layers.layers)}{more}",
                                 f"chown to an id ≤ {MAX_ID} in the same RUN step that creates "
                                 "the file (deleting it in a later layer does not help)"))
    platform = f"{attrs.get('Os')}/{attrs.get('Architecture')}"
    if platform not in PLATFORMS:
        found.append(Finding(6, f"the image is {platform}",
                             f"build for {PLATFORMS[0]} (docker build --platform {PLATFORMS[0]})"))
    for reserved in SPACE_RESERVED_PATHS if spec.is_space else RESERVED_PATHS:
        if reserved.lstrip("/") in layers.final_paths:
            found.append(Finding(8, f"{reserved} exists in the image; Studio mounts its own "
                                    "content there", f"do not create {reserved}"))
    # A space's app serves on that port itself; only Studio's gateway may in a KernelGateway image.
    if not spec.is_space and GATEWAY_PORT in (config.get("ExposedPorts") or {}):
        found.append(Finding(8, f"the image EXPOSEs {APP_PORT}, the port of Studio's gateway",
                             f"remove EXPOSE {APP_PORT}; Studio runs its own Kernel Gateway on it"))
    size = attrs.get("Size") or 0
    if size > max_size:
        found.append(Finding(10, f"the image is {size / 1e9:.2f} GB, over the "
                                 f"{max_size / 1e9:.2f} GB limit",
                             "remove what the kernels do not need (caches, build tools); use "
                             "multi-stage builds"))
    elif size > warn_size:
        found.append(Finding(10, f"the image is {size / 1e9:.2f} GB, near the "
                                 f"{max_size / 1e9:.2f} GB limit", "keep the image small",
                             warning=True))
    if spec.is_space:
        found += _overridden_variables(spec, config)
    mount = spec.mount_path.lstrip("/")
    hidden = sorted(p for p in layers.final_paths if p.startswith(mount + "/")
                    and p.rsplit("/", 1)[-1] not in SKELETON)
    if hidden:
        found.append(Finding(5, f"{len(hidden)} file(s) under {spec.mount_path} (e.g. "
                                f"/{hidden[0]}) are hidden once Studio mounts the home there",
                             "install nothing the kernels need under the mount path",
                             warning=True))
    return found


def _overridden_variables(spec: ImageSpec, config: dict) -> list[Finding]:
    """Variables Studio sets in a space: a value the image or container_config gives is lost."""
    image_env = {entry.partition("=")[0] for entry in config.get("Env") or []}
    given = dict(spec.container_config.environment) if spec.container_config else {}
    found = []
    for name in STUDIO_SET_ENVIRONMENT:
        where = [w for w, names in (("the image's ENV", image_env), ("container_config", given))
                 if name in names]
        if where:
            found.append(Finding(9, f"{name} is set in {' and '.join(where)}, but Studio sets "
                                    "it in every space and overrides it",
                                 f"do not set {name}; read Studio's value at run time",
                                 warning=True))
    return found
