"""`invoke build`: build the images under images/."""
from invoke import Collection, task

from ..build import build_images
from ..localaws.control import LocalAws
from ..console import say
from ..push import PushRecord, push_images
from ..runtime import ensure_runtime
from ..validate.run import validate_images
from ..spec import load_specs
from ..workspace import open_workspace
from . import settings, user_errors


@task(help={"image": "build only this image (a folder name under images/); default: all",
            "verbose": "print every line of the build output, not only the steps"})
@user_errors
def build(c, image=None, verbose=False):
    """Build images (skips those whose content hash is already built)."""
    _built(settings(c), image, verbose)


def _built(s, image, verbose=False):
    """What build, push and validate start with: the specs, the workspace, the built images."""
    specs = load_specs(s.images_dir, image)
    ws = open_workspace(s)
    return ws, build_images(ws.client, specs, ws.base, s.build_network, verbose)


@task(help={"image": "push only this image (a folder name under images/); default: all",
            "create_repository": "create a missing ECR repository (normally `up` makes it)"})
@user_errors
def push(c, image=None, create_repository=False):
    """Push built images to the local ECR, tagged by content hash (builds them first if needed)."""
    s = settings(c)
    ws, built = _built(s, image)
    endpoint = LocalAws(s).ensure_started()
    push_images(ws.client, endpoint.client("ecr"), built, s.repository_prefix,
                PushRecord(s.state_dir / "pushes.json"), "local", create_repository)


@task(help={"image": "validate only this image (a folder name under images/); default: all",
            "again": "check again even if the image passed before and has not changed"})
@user_errors
def validate(c, image=None, again=False):
    """Check built images for every known Studio failure class (builds them first if needed)."""
    s = settings(c)
    ws, built = _built(s, image)
    runtime = ensure_runtime(ws.client, ws.base, s.build_network)
    validate_images(ws.client, built, runtime, s, use_record=not again)
    say(f"Validation passed: {', '.join(b.spec.name for b in built)}")


ns = Collection(build, push, validate)
