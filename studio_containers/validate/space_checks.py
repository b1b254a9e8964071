"""Class 9, for space images: started as Studio starts them, the app must serve its base path on
port 8888 without a token, within a deadline, and keep running."""
import secrets
from pathlib import Path

import docker

from ..errors import UserError
from ..ports import free_port
from ..runtime.container import remove
from ..runtime.home import prepare_home
from ..runtime.space import space_container, start_space
from ..settings import Settings
from ..spec import ImageSpec
from ..studio import APPS
from .findings import Finding


def serving_findings(client: docker.DockerClient, spec: ImageSpec, image: str, home: Path,
                     settings: Settings) -> list[Finding]:
    sc = space_container(spec, image, prepare_home(home, spec), free_port(), settings.state_dir,
                         settings.aws_region,
                         name=f"studio-containers-validate-{spec.name}-{secrets.token_hex(4)}")
    try:
        container, _ = start_space(client, sc, spec, settings.validate_space_ready_timeout,
                                hint="setting validate.space_ready_timeout")
    except UserError as exc:
        return [Finding(9, f"started as Studio starts it, {exc}", APPS[spec.app_type].fix_hint)]
    remove(container)
    return []
