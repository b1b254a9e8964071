"""Everything Python knows about terraform/: modules, resource addresses, inputs, outputs, names.

The stack makes one `repository` and one `image` module instance per image, keyed by the image's
name; the tasks write its inputs, read its state and outputs, and import what an interrupted run
left behind, so they must name things exactly as terraform/ does. They do it only through this
module, and tests/unit/deploy/test_contract.py reads terraform/ and fails when a name used here
is gone. The SageMaker Image and AppImageConfig are named after the image (`name = each.key`).
"""
from ..errors import UserError
from ..spec import ImageSpec

TAG = "studio-containers:stack"     # every resource is tagged TAG=<stack>: how ownership is told
REPOSITORY_MODULE = "repository"
IMAGE_MODULE = "image"

# Kind → (module, address inside it). Every resource of both modules has `count` (the modules'
# `create` switch), so the one instance is [0].
RESOURCES = {
    "repository": (REPOSITORY_MODULE, "aws_ecr_repository.this[0]"),
    "lifecycle": (REPOSITORY_MODULE, "aws_ecr_lifecycle_policy.this[0]"),
    "role": (IMAGE_MODULE, "aws_iam_role.this[0]"),
    "role_policy": (IMAGE_MODULE, "aws_iam_role_policy.pull[0]"),
    "image": (IMAGE_MODULE, "aws_sagemaker_image.this[0]"),
    "version": (IMAGE_MODULE, "aws_sagemaker_image_version.this[0]"),
    "config": (IMAGE_MODULE, "aws_sagemaker_app_image_config.this[0]"),
}
ROLE_POLICY = "ecr-pull"            # the inline policy of the role, named in its import ID
IMAGES_OUTPUT = "images"            # the stack's output: image name → its module's outputs
IMAGE_VERSION = "image_version"     # … of which the tasks read the version the apply left


# hashicorp/aws 3.39's aws_sagemaker_app_image_config takes at most one kernel_spec block (its
# plan fails on more), though Studio takes 5; modules/studio-image's `kernels` says the same.
PROVIDER_KERNELS = 1


def check_deployable(specs: list[ImageSpec]) -> None:
    """What the stack cannot deploy, refused before anything is built or called."""
    for spec in specs:
        if not spec.is_space and len(spec.kernels) > PROVIDER_KERNELS:
            raise UserError(
                f"{spec.spec_file}: kernels: {len(spec.kernels)} kernels; `up` deploys "
                f"{PROVIDER_KERNELS} per KernelGateway image, as the Terraform provider it runs "
                "(hashicorp/aws 3.39) takes one kernel_spec per AppImageConfig; list one here "
                "(`invoke local` and `invoke validate` take up to 5, as Studio)")


def repository_name(prefix: str, name: str) -> str:
    """The ECR repository of an image (module "repository"'s `name`)."""
    return f"{prefix}/{name}"


def role_name(name: str) -> str:
    """The IAM role the image module makes (`local.role_name` in modules/studio-image)."""
    return f"{name}-studio-image"[:64]


def addresses(name: str) -> dict[str, str]:
    """State addresses of the resources one image owns, by kind."""
    return {kind: f'module.{module}["{name}"].{resource}'
            for kind, (module, resource) in RESOURCES.items()}


def names_in_state(state: dict, module: str) -> set[str]:
    """The images that have an instance of `module` in the state."""
    prefix = f"module.{module}["
    return {address.split('"')[1] for address in state if address.startswith(prefix)}


def image_version(outputs: dict, name: str) -> int:
    """The ImageVersion number the stack's outputs give for an image."""
    return outputs.get(IMAGES_OUTPUT, {})[name][IMAGE_VERSION]


def stack_inputs(*, region: str, local_endpoint: str | None, stack: str, repository_prefix: str,
                 keep_last_images: int, repositories: set[str], images: dict[str, dict]) -> dict:
    """The stack's variables (terraform.tfvars.json)."""
    return {
        "region": region, "local_endpoint": local_endpoint, "stack": stack,
        "repository_prefix": repository_prefix, "keep_last_images": keep_last_images,
        "repositories": sorted(repositories), "images": images,
    }


# Inputs of an image adopted with `invoke import` that the spec does not give (its role,
# description, other tags, repository and config name); every other image has these values.
ADOPTED_INPUTS = {"role_arn": None, "description": None, "tags": {}, "repository_arn": None,
                  "app_image_config_name": None}


def image_inputs(spec: ImageSpec, base_image: str) -> dict:
    """One entry of the stack's `images` variable: everything comes from the spec and the push."""
    return {
        "app_type": spec.app_type,
        "display_name": spec.display_name,
        "base_image": base_image,
        "kernels": [{"name": k.name, "display_name": k.display_name} for k in spec.kernels],
        "mount_path": spec.mount_path,
        "uid": spec.uid,
        "gid": spec.gid,
        **ADOPTED_INPUTS,
    }


def with_input_defaults(inputs: dict) -> dict:
    """An entry recorded before adopted images had inputs of their own, completed."""
    return {**ADOPTED_INPUTS, **inputs}
