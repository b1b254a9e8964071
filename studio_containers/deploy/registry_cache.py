"""A layer cache shared through ECR: a build reuses the steps of images already pushed.

Every BuildKit build stores its cache in the image's own config (an inline cache), so each push
to ECR also shares that cache. A build on a machine whose engine never built the image (a CI
runner that starts empty) names pushed images with `--cache-from`; BuildKit reads their cache
metadata from the registry and pulls only the layers of the steps that match. The images named:
the one with the same content hash if ECR has it, otherwise the most recently pushed ones
(a change in a late step still reuses the steps before it).
"""
from botocore.exceptions import BotoCoreError, ClientError

from ..build.registry_login import RegistryLogin
from ..console import detail, warn
from ..spec import ImageSpec
from .contract import repository_name
from .push import registry_login

MOST_RECENT = 2     # pushed images named when the content hash itself is not in ECR


class EcrCache:
    """A CacheSource (build/images.py) reading one target's ECR repositories."""

    def __init__(self, ecr, prefix: str):
        self.ecr, self.prefix = ecr, prefix
        self._login: RegistryLogin | None = None

    def for_image(self, spec: ImageSpec, content_hash: str
                  ) -> tuple[tuple[str, ...], tuple[RegistryLogin, ...]]:
        name = repository_name(self.prefix, spec.name)
        try:
            refs = self._refs(name, content_hash)
            if refs and self._login is None:
                username, password, registry = registry_login(self.ecr)
                self._login = RegistryLogin(registry, username, password)
        except (ClientError, BotoCoreError) as exc:
            warn(f"registry cache of {spec.name} not used: ECR {name}: {exc}")
            return (), ()
        if not refs:
            return (), ()
        detail(f"Registry cache: {', '.join(r.rsplit('/', 1)[-1] for r in refs)}")
        return refs, (self._login,)

    def _refs(self, name: str, content_hash: str) -> tuple[str, ...]:
        try:
            uri = self.ecr.describe_repositories(repositoryNames=[name])["repositories"][0][
                "repositoryUri"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "RepositoryNotFoundException":
                return ()       # nothing pushed yet: the first build has no cache to take
            raise
        pushed = []
        for page in self.ecr.get_paginator("describe_images").paginate(
                repositoryName=name, filter={"tagStatus": "TAGGED"}):
            pushed += page.get("imageDetails", [])
        if any(content_hash in (image.get("imageTags") or []) for image in pushed):
            return (f"{uri}:{content_hash}",)
        pushed.sort(key=lambda image: image["imagePushedAt"].timestamp()
                    if image.get("imagePushedAt") else 0, reverse=True)
        return tuple(f"{uri}:{image['imageTags'][0]}" for image in pushed[:MOST_RECENT]
                     if image.get("imageTags"))
