"""Local ECR: moto's ECR API in front of a real registry (Debian's docker-registry).

Repository URIs point at the registry, GetAuthorizationToken hands out the registry's login (both
patches of moto, in PATCHES, installed by server/patches.py), and the registry's push
notifications put each pushed manifest into moto's ECR, so DescribeImages and BatchGetImage answer
as ECR does after a `docker push`.
"""
import base64
import json
import logging
import re
from datetime import datetime, timedelta, timezone
from typing import Callable

import requests
from moto.core.responses import ActionResult
from moto.ecr.models import ecr_backends

from ..server.patches import REPLACE, WRAP, Patch

MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
REFERENCE = re.compile(r"^(?P<host>[^/]+)/(?P<repo>[^@:]+(?:/[^@:]+)*)"
                       r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$")
log = logging.getLogger("studio_containers.localaws.ecr")


class LocalEcr:
    def __init__(self, account_id: str, region: str, registry_host: str, password: str):
        self.account_id = account_id
        self.region = region
        self.registry_host = registry_host
        self.password = password

    @property
    def backend(self):
        return ecr_backends[self.account_id][self.region]

    def resolve(self, reference: str) -> tuple[str | None, str | None]:
        """BaseImage → ContainerImage pinned by digest, as SageMaker does for an ECR image."""
        match = REFERENCE.match(reference)
        if not match or match["host"] != self.registry_host:
            return None, (f"Image {reference} is not in this local ECR ({self.registry_host}); "
                          "the local AWS can only use images pushed to it.")
        repository = self.backend.repositories.get(match["repo"])
        if repository is None:
            return None, f"ECR repository {match['repo']} does not exist."
        for image in repository.images:
            if (match["digest"] and image.get_image_digest() == match["digest"]) or (
                    not match["digest"] and (match["tag"] or "latest") in image.image_tags):
                return f"{self.registry_host}/{match['repo']}@{image.get_image_digest()}", None
        return None, (f"Image {reference} does not exist in ECR repository {match['repo']}: "
                      "push it first.")

    def record_events(self, body: bytes) -> int:
        """Puts each manifest push the registry reports into ECR; returns how many were new."""
        recorded = 0
        for event in json.loads(body).get("events", []):
            target = event.get("target", {})
            if event.get("action") != "push" or target.get("mediaType") not in MANIFEST_TYPES:
                continue
            repository = self.backend.repositories.get(target.get("repository"))
            if repository is None:
                log.warning("push to %s ignored: no ECR repository of that name",
                            target.get("repository"))
                continue
            digest = target["digest"]
            tag = target.get("tag")
            known = [i for i in repository.images if i.get_image_digest() == digest]
            if known and (tag is None or tag in known[0].image_tags):
                continue
            manifest = self._manifest(target)
            try:
                self.backend.put_image(repository.name, manifest, tag, target["mediaType"], digest)
                recorded += 1
            except Exception as exc:  # noqa: BLE001 - ECR's refusal (immutable tag) is logged
                log.warning("push of %s:%s not recorded: %s", repository.name, tag, exc)
        return recorded

    def _manifest(self, target: dict) -> str:
        url = f"http://{self.registry_host}/v2/{target['repository']}/manifests/{target['digest']}"
        reply = requests.get(url, auth=("AWS", self.password), timeout=10,
                             headers={"Accept": target["mediaType"]})
        reply.raise_for_status()
        return reply.content.decode()


def _repository_uri(original_init: Callable, local: LocalEcr) -> Callable:
    def repository_init(repo, *args, **kwargs):
        original_init(repo, *args, **kwargs)
        repo.uri = f"{local.registry_host}/{repo.name}"
    return repository_init


def _registry_login(local: LocalEcr) -> Callable:
    def get_authorization_token(response):
        token = base64.b64encode(f"AWS:{local.password}".encode()).decode()
        expires = datetime.now(timezone.utc) + timedelta(hours=12)
        registry_ids = response._get_param("registryIds") or [response.current_account]
        return ActionResult({"authorizationData": [
            {"authorizationToken": token, "expiresAt": expires,
             "proxyEndpoint": f"http://{local.registry_host}"} for _ in registry_ids]})
    return get_authorization_token


# Repository URIs name the registry; its login is the registry's (the context's LocalEcr).
PATCHES = [
    Patch("moto.ecr.models:Repository", "__init__", WRAP,
          lambda inner, context: _repository_uri(inner, context.ecr)),
    Patch("moto.ecr.responses:ECRResponse", "get_authorization_token", REPLACE,
          lambda inner, context: _registry_login(context.ecr)),
]
