"""`invoke local`: run an image the way Studio does, with a local JupyterLab."""
from collections.abc import Callable

from invoke import Collection, task

from ..console import say
from ..errors import UserError, shown
from ..lifecycle_spec import load_lifecycle
from ..local.session import run_local, stop_local
from ..settings import port as parse_port
from ..spec import load_specs
from ..studio import NAME_RE
from . import settings, user_errors


@task(help={"image": "the image to run (folder under images/); default: local.image, "
                     "or the only image",
            "port": "JupyterLab's port on 127.0.0.1 (default: local.port)",
            "stop": "stop the `invoke local` running in another shell",
            "verbose": "print every line of build output",
            "skip_validation": "run even if `invoke validate` finds a Studio failure (shown)",
            "lifecycle": "run this lifecycle script (lifecycle/NAME.sh) in the app as it starts, "
                         "as Studio does"})
@user_errors
def local(c, image=None, port=None, stop=False, verbose=False, skip_validation=False,
          lifecycle=None):
    """Run an image's kernels behind a Kernel Gateway and open them in a local JupyterLab."""
    s = settings(c)
    if stop:
        say("Stopped the running `invoke local`" if stop_local(s) else "No `invoke local` was running")
        return
    specs = load_specs(s.images_dir, image or s.local_image,
                       flag="--image" if image else "local.image")
    if len(specs) > 1:
        raise UserError(f"--image: more than one image under {s.images_dir}/; pick one of "
                        + ", ".join(sp.name for sp in specs))
    script = None
    if lifecycle is not None:
        script = load_lifecycle(s.lifecycle_dir, lifecycle)
        if specs[0].app_type not in script.app_types:
            raise UserError(f"--lifecycle {lifecycle}: {script.spec_file} is for "
                            f"{', '.join(script.app_types)} apps, and {specs[0].name} is a "
                            f"{specs[0].app_type} image")
    lab_port = s.local_port if port is None else parse_port("--port", port)
    if lab_port == s.gateway_port:
        raise UserError(f"{'local.port' if port is None else '--port'} {lab_port}: "
                        f"local.gateway_port is {lab_port} too; JupyterLab and the gateway need "
                        "a port each")
    run_local(s, specs[0], lab_port, verbose, skip_validation=skip_validation,
              local_aws=local_aws_of(s), lifecycle=script)


def local_aws_of(s) -> Callable[[], object]:
    """The local AWS's endpoint, looked up when a kernel first asks for credentials: boto3
    and the local AWS's modules load then, not on the way to JupyterLab's launch."""
    def endpoint():
        from ..localaws.control import running_local_aws
        return running_local_aws(s)()
    return endpoint


@task(help={"user": "the user profile (default: local-user); created when missing",
            "space": "bring up this space's app instead of the user's KernelGateway apps",
            "image": "with --space: the space image to run (default: the first offered, JupyterLab first)",
            "stop": "delete the user's (or the space's) apps"})
@user_errors
def studio(c, user="local-user", space=None, image=None, stop=False):
    """A user's local Studio through the local AWS's Studio API, from what `invoke up` deployed."""
    from ..deploy.local_studio import LocalStudio
    for flag, value in (("--user", user), ("--space", space), ("--image", image)):
        if value is not None and not NAME_RE.fullmatch(value):
            raise UserError(f"{flag}: {shown(value)} is not a SageMaker name (letters, digits and "
                            "hyphens, at most 63, starting with a letter or digit)")
    if image and not space:
        raise UserError("--image: only with --space (a user's apps run every image the domain offers)")
    s = settings(c)
    studio = LocalStudio(s, user)
    if stop:
        count = studio.stop(space)
        say(f"Deleted {count} app(s) of {'space ' + space if space else 'user ' + user}"
            if count else "No app was running")
        return
    url = studio.up_space(space, image) if space else studio.up_user()
    say(f"Ready: {'space ' + space if space else 'user ' + user} on domain {studio.domain_id}")
    print(f"\n    Open {url}\n\n    `invoke studio --stop{' --space ' + space if space else ''}` "
          "deletes the apps.\n", flush=True)


ns = Collection(local, studio)
