"""The AppImageConfig of a space image (JupyterLab, Code Editor), written by the deploy itself.

hashicorp/aws 3.39.0, the only provider this project can install offline, has no
`jupyter_lab_image_config` / `code_editor_app_image_config` block, and Terraform decodes every
block against the provider's schema, even in a module instance with count = 0. So for space
images the deploy makes the AppImageConfig with the same API call Terraform would make, tags it
as this stack's (this API takes tags; provider 3.39's resource does not), updates it when the
spec changes and deletes it on `down`. Everything else of a space image (ECR repository, Image,
ImageVersion, role) is Terraform's, as for KernelGateway images. When the lock file moves to
hashicorp/aws 5.x, these configs belong in terraform/modules/studio-image (its README says how).
"""
from botocore.exceptions import ClientError

from ..app_image_config import config_of
from ..console import say
from ..spec import ImageSpec
from ..studio import APP_IMAGE_CONFIG_KIND
from .contract import TAG


def wanted(spec: ImageSpec) -> dict:
    """The AppImageConfig member for the spec: {JupyterLabAppImageConfig: {ContainerConfig: …}}."""
    return config_of(spec)


def ensure(sm, spec: ImageSpec, stack: str, name: str | None = None) -> bool:
    """Makes the space's AppImageConfig (named `name`, an adopted one's own, or after the image)
    say what the spec says; returns whether it wrote."""
    body = wanted(spec)
    name = name or spec.name
    current = _describe(sm, name)
    if current is None:
        say(f"{spec.name}: creating its {spec.app_type} AppImageConfig")
        sm.create_app_image_config(AppImageConfigName=name, Tags=[{"Key": TAG, "Value": stack}],
                                   **body)
        return True
    kinds = [kind for kind in APP_IMAGE_CONFIG_KIND.values() if current.get(kind) is not None]
    if kinds == list(body) and _normal(current[kinds[0]]) == _normal(next(iter(body.values()))):
        return False
    say(f"{spec.name}: updating its {spec.app_type} AppImageConfig")
    sm.update_app_image_config(AppImageConfigName=name, **body)
    return True


def remove(sm, name: str, stack: str) -> bool:
    """Deletes the AppImageConfig `name` if it is this stack's; returns whether it did."""
    current = _describe(sm, name)
    if current is None:
        return False
    tags = sm.list_tags(ResourceArn=current["AppImageConfigArn"]).get("Tags", [])
    if {"Key": TAG, "Value": stack} not in tags:
        return False
    sm.delete_app_image_config(AppImageConfigName=name)
    return True


def _describe(sm, name: str) -> dict | None:
    try:
        return sm.describe_app_image_config(AppImageConfigName=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("ResourceNotFound", "ResourceNotFoundException"):
            return None
        raise


def _normal(member: dict) -> dict:
    container = {k: v for k, v in (member.get("ContainerConfig") or {}).items() if v}
    return {"ContainerConfig": container} if container else {}
