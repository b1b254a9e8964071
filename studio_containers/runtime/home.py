"""The host folder that plays an app's EFS home (`invoke local`, validation, the local Studio).

Only a tool run as root can give it to the image's user; run as another user, make sure the
spec's uid can write to it."""
import os
from pathlib import Path

from ..spec import ImageSpec


def prepare_home(home: Path, spec: ImageSpec) -> Path:
    """Made when missing and owned by the image's user, so its kernels and apps can write."""
    home.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        os.chown(home, spec.uid, spec.gid)
    return home
