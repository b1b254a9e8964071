"""Made-up inputs for the validation checks: an image spec, accounts, layers."""
from studio_containers.validate.findings import Finding
from studio_containers.validate.layers import ImageLayers, LayerFacts
from tests.helpers import made_up_spec as a_spec  # noqa: F401 - the checks' spec

ACCOUNTS = {"etc/passwd": "root:x:0:0::/root:/bin/sh\nsagemaker-user:x:1000:100::/home/s:/bin/sh\n",
            "etc/group": "root:x:0:\nusers:x:100:\nstaff:x:50:\n"}


def layers(*paths: str, high=()) -> ImageLayers:
    return ImageLayers([LayerFacts(high_ids=list(high))], set(paths), ACCOUNTS)


def classes(findings: list[Finding]) -> list[int]:
    return sorted(f.cls for f in findings if not f.warning)
