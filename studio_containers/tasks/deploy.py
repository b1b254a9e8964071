"""`invoke up|down|status|rollback`: deploy images with Terraform to the local AWS or AWS."""
from invoke import Collection, task

from ..errors import UserError, shown
from ..studio import NAME_RE
from . import settings, user_errors

MAX_VERSION = 2**31 - 1

TARGET_HELP = "local (the local AWS, default) or aws; default: deploy.target"


@task(help={"target": TARGET_HELP,
            "image": "deploy only this image (others stay as deployed); default: all",
            "skip_validation": "deploy even if `invoke validate` finds a Studio failure (shown)",
            "plan": "run Terraform's plan even when nothing it manages changed since the last"})
@user_errors
def up(c, target=None, image=None, skip_validation=False, plan=False):
    """Build, validate, push and deploy images (ECR, Image, ImageVersion, AppImageConfig) and attach them."""
    from ..deploy.up import up as deploy_up  # boto3 and Terraform's driver: not for other tasks
    s = settings(c)
    deploy_up(s, target or s.deploy_target, image, skip_validation, force_plan=plan)


@task(name="import", iterable=["image"],
      help={"target": TARGET_HELP,
            "image": "import this image (repeat for more); default: every custom image the "
                     "domain offers that is not this stack's",
            "dry_run": "show what would be imported, write and import nothing"})
@user_errors
def import_(c, target=None, image=None, dry_run=False):
    """Adopt images a domain already offers (made by hand): folders, Terraform state, tags."""
    from ..deploy.import_images import import_images
    s = settings(c)
    import_images(s, target or s.deploy_target, list(image or []), dry_run)


@task(help={"target": TARGET_HELP})
@user_errors
def down(c, target=None):
    """Detach this stack's images from the domain and destroy what `up` made (nothing else)."""
    from ..deploy.down import down as deploy_down
    s = settings(c)
    deploy_down(s, target or s.deploy_target)


@task(help={"target": TARGET_HELP})
@user_errors
def status(c, target=None):
    """Per image: local hash, pushed digest, deployed version, what the domain offers."""
    from ..deploy.status import status as deploy_status
    s = settings(c)
    deploy_status(s, target or s.deploy_target)


@task(help={"target": TARGET_HELP, "image": "the image to roll back (required)",
            "version": "the ImageVersion number the domain should offer (required)"})
@user_errors
def rollback(c, image, version, target=None):
    """Point the domain at an earlier ImageVersion of an image."""
    s = settings(c)
    try:
        number = int(version)
    except ValueError:
        number = 0
    # SageMaker's version numbers are Java ints: a larger one can only be refused by the API.
    if not 1 <= number <= MAX_VERSION:
        raise UserError(f"--version {version}: must be a version number (1, 2, …)")
    if not NAME_RE.fullmatch(image):
        raise UserError(f"--image {shown(image)}: not an image name (letters, digits and "
                        "hyphens, at most 63, as in images/<name>/)")
    from ..deploy.rollback import rollback as deploy_rollback
    deploy_rollback(s, target or s.deploy_target, image, number)


ns = Collection(up, down, status, rollback, import_)
