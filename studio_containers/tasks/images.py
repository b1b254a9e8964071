"""`invoke new|build|push|validate`: the images under images/.

The pipeline (Docker's SDK, the build, the validation) is imported by each task, not here:
every command loads these modules, and `invoke local` starts JupyterLab before it needs them."""
from pathlib import Path

from invoke import Collection, task

from ..console import say
from ..image_folder import NEW_APP_TYPES, default_image, image_from_config, make_folder
from ..spec import load_specs
from . import settings, user_errors


@task(help={"name": "the image's name: its folder under images/, ImageName and AppImageConfigName",
            "app_type": f"{' | '.join(NEW_APP_TYPES)} (default {NEW_APP_TYPES[0]})",
            "from": "an AppImageConfig as JSON (create-app-image-config's input or "
                    "describe-app-image-config's output) to write image.yaml from"},
      positional=["name"])
@user_errors
def new(c, name, app_type=None, from_=None):
    """Start an image folder: Dockerfile, image.yaml and README that build and run as they are."""
    s = settings(c)
    if from_:
        image = image_from_config(name, Path(from_), app_type)
    else:
        image = default_image(name, app_type or NEW_APP_TYPES[0])
    folder = make_folder(s.images_dir, image)
    data = image.data
    say(f"Made {folder}/ ({data['app_type']}): "
        + ", ".join(sorted(p.name for p in folder.iterdir())))
    say(f"Next: ./inv local --image {name}   (then ./inv validate --image {name}, "
        f"./inv up --image {name})")


@task(help={"image": "build only this image (a folder name under images/); default: all",
            "verbose": "print every line of the build output, not only the steps"})
@user_errors
def build(c, image=None, verbose=False):
    """Build images (skips those whose content hash is already built)."""
    from ..pipeline import prepare
    s = settings(c)
    prepare(s, load_specs(s.images_dir, image), verbose=verbose)


@task(help={"image": "push only this image (a folder name under images/); default: all",
            "create_repository": "create a missing ECR repository (normally `up` makes it)"})
@user_errors
def push(c, image=None, create_repository=False):
    """Push built images to the local ECR, tagged by content hash (builds them first if needed)."""
    from ..deploy.adopted import repositories  # boto3: only pushing pays for it
    from ..deploy.push import PushRecord, push_images
    from ..deploy.record import DeployRecord
    from ..deploy.registry_cache import EcrCache
    from ..localaws.control import LocalAws
    from ..pipeline import prepare
    s = settings(c)
    specs = load_specs(s.images_dir, image)
    ecr = LocalAws(s).ensure_started().client("ecr")
    prepared = prepare(s, specs, cache=EcrCache(ecr, s.repository_prefix) if s.registry_cache else None)
    push_images(prepared.client, ecr, prepared.built, s.repository_prefix,
                PushRecord(s.state_dir), "local", create_repository,
                adopted=repositories(DeployRecord(s.state_dir, "local").images))


@task(help={"image": "validate only this image (a folder name under images/); default: all",
            "again": "check again even if the image passed before and has not changed"})
@user_errors
def validate(c, image=None, again=False):
    """Check built images for every known Studio failure class (builds them first if needed)."""
    from ..pipeline import Checks, prepare
    s = settings(c)
    prepared = prepare(s, load_specs(s.images_dir, image),
                       checks=Checks.AGAIN if again else Checks.REPORT)
    say(f"Validation passed: {', '.join(b.spec.name for b in prepared.built)}")


ns = Collection(new, build, push, validate)
