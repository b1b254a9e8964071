"""The one preparation every task starts from: specs → engine and base → built images → runtime
→ validation. Each task says how far it needs to go; nothing reaches back."""
import enum
from dataclasses import dataclass

import docker

from .build.images import BuiltImage, CacheSource, build_images
from .build.workspace import Workspace, open_workspace
from .console import warn
from .errors import UserError
from .runtime.volume import Runtime, ensure_runtime
from .settings import Settings
from .spec import ImageSpec
from .validate.validator import validate_images

SKIP_FLAG = "--skip-validation"


class Checks(enum.Enum):
    NONE = "none"        # build, push: no validation
    REPORT = "report"    # validate: images that passed before and did not change are not checked again
    AGAIN = "again"      # validate --again: every image is checked
    GATE = "gate"        # local, up: as REPORT; a failure stops the task and names SKIP_FLAG
    SKIP = "skip"        # local, up with SKIP_FLAG: a visible warning instead of the checks


@dataclass(frozen=True)
class Prepared:
    workspace: Workspace
    built: list[BuiltImage]
    runtime: Runtime | None

    @property
    def client(self) -> docker.DockerClient:
        return self.workspace.client


def prepare(settings: Settings, specs: list[ImageSpec], *, checks: Checks = Checks.NONE,
            runtime: bool = False, verbose: bool = False,
            cache: CacheSource | None = None) -> Prepared:
    """Builds what is not built (taking cached steps from `cache`, a registry, where given),
    provides the gateway runtime when asked (validation needs it too) and validates as
    `checks` says; raises UserError when an image fails."""
    workspace = open_workspace(settings)
    built = build_images(workspace, specs, verbose, cache)
    validating = checks in (Checks.REPORT, Checks.AGAIN, Checks.GATE)
    # Validating a KernelGateway image starts its kernels through the runtime; a space needs none.
    kernel_gateways = any(not spec.is_space for spec in specs)
    provided = (ensure_runtime(workspace, verbose)
                if runtime or (validating and kernel_gateways) else None)
    if checks is Checks.SKIP and built:
        warn(f"validation skipped ({SKIP_FLAG}): Studio may fail to start "
             + ", ".join(b.spec.name for b in built))
    elif validating:
        try:
            validate_images(workspace.client, built, provided, settings,
                            use_record=checks is not Checks.AGAIN)
        except UserError as exc:
            if checks is not Checks.GATE:
                raise
            raise UserError(f"{exc}; fix the image, or pass {SKIP_FLAG} to go ahead anyway") from None
    return Prepared(workspace, built, provided)
