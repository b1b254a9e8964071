"""`invoke local`: run an image the way Studio does, with a local JupyterLab."""
from invoke import Collection, task

from ..console import say
from ..errors import UserError
from ..local.session import run_local, stop_local
from ..settings import port as parse_port
from ..spec import load_specs
from . import settings, user_errors


@task(help={"image": "the image to run (folder under images/); default: local.image, "
                     "or the only image",
            "port": "JupyterLab's port on 127.0.0.1 (default: local.port, 8888)",
            "stop": "stop the `invoke local` running in another shell",
            "verbose": "print every line of build output",
            "skip_validation": "run even if `invoke validate` finds a Studio failure (shown)"})
@user_errors
def local(c, image=None, port=None, stop=False, verbose=False, skip_validation=False):
    """Run an image's kernels behind a Kernel Gateway and open them in a local JupyterLab."""
    s = settings(c)
    if stop:
        say("Stopped the running `invoke local`" if stop_local(s) else "No `invoke local` was running")
        return
    specs = load_specs(s.images_dir, image or c.config.get("local", {}).get("image") or None)
    if len(specs) > 1:
        raise UserError(f"--image: more than one image under {s.images_dir}/; pick one of "
                        + ", ".join(sp.name for sp in specs))
    lab_port = s.local_port if port is None else parse_port("--port", port)
    run_local(s, specs[0], lab_port, verbose, skip_validation=skip_validation)


ns = Collection(local)
