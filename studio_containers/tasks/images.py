"""`invoke build`: build the images under images/."""
from invoke import Collection, task

from ..build import build_images
from ..spec import load_specs
from ..workspace import open_workspace
from . import settings, user_errors


@task(help={"image": "build only this image (a folder name under images/); default: all",
            "verbose": "print every line of the build output, not only the steps"})
@user_errors
def build(c, image=None, verbose=False):
    """Build images (skips those whose content hash is already built)."""
    s = settings(c)
    specs = load_specs(s.images_dir, image)
    ws = open_workspace(s)
    build_images(ws.client, specs, ws.base, s.build_network, verbose)


ns = Collection(build)
