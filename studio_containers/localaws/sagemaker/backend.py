"""Fixes to moto's own SageMaker backend where it answers differently from AWS.

Four of them: tag lookups find the Studio API's resources (treating missing tags as none, and
an ARN of nothing as AWS does), AddTags overwrites a key's value, a missing domain is
ResourceNotFound, and domains get random ids with their names unique (and IAM Identity Center
details only in SSO mode). PATCHES, installed by server/patches.py in the server process only.
"""
import secrets
import string
from typing import Callable

from moto.sagemaker.exceptions import ResourceInUseException
from moto.sagemaker.models import SageMakerModelBackend
from moto.sagemaker.utils import arn_formatter

from ..server.patches import replace, wrap
from .models import find_domain, missing_resource, studio_store
from .tags import merge_tags

DOMAIN_ID_ALPHABET = string.ascii_lowercase + string.digits


def _find_taggable(original: Callable) -> Callable:
    def find(backend: SageMakerModelBackend, arn: str):
        resource = studio_store(backend).taggable(arn)
        if resource is None:
            try:
                resource = original(backend, arn)
            except (ValueError, AttributeError):
                # moto's lookup fails this way on a kind it does not know or an ARN with more
                # than one "/"; either way there is nothing of that ARN here.
                resource = None
        if resource is None:
            raise missing_resource()
        if getattr(resource, "tags", None) is None:
            # moto keeps tags=None for a domain created without tags, which breaks ListTags;
            # versions saved before they could be tagged have no tags at all.
            resource.tags = []
        return resource
    return find


def _add_tags(backend: SageMakerModelBackend, arn: str, tags: list[dict]) -> list[dict]:
    # AWS overwrites the value of a key that is already there; moto would list the key twice.
    return merge_tags(backend._get_resource_from_arn(arn), arn, tags)


def _domain_not_found(method: Callable) -> Callable:
    def checked(backend: SageMakerModelBackend, domain_id: str, *args, **kwargs):
        find_domain(backend, domain_id)
        return method(backend, domain_id, *args, **kwargs)
    return checked


def _refuse_with_users(original: Callable) -> Callable:
    # AWS refuses to delete a domain that still has user profiles or spaces (moto deletes it and
    # leaves them, and their apps, unreachable).
    def delete(backend: SageMakerModelBackend, domain_id: str, *args, **kwargs):
        from ..apps.models import settled_apps_store
        store = settled_apps_store(backend)
        left = [f"user profile {p.name}" for p in store.profiles.values() if p.domain_id == domain_id]
        left += [f"space {s.name}" for s in store.spaces.values() if s.domain_id == domain_id]
        if left:
            raise ResourceInUseException(f"Domain {domain_id} has {', '.join(left)}; delete "
                                         "them first.")
        return original(backend, domain_id, *args, **kwargs)
    return delete


def _create_domain(original: Callable) -> Callable:
    # moto names a domain "d-<DomainName>" (not a valid id for names with capitals or dots) and
    # checks duplicates against ids, so a second domain of the same name slipped through. It also
    # gives every domain an IAM Identity Center application, with an ARN the model's pattern
    # refuses; AWS has one for an SSO domain only.
    def create(backend: SageMakerModelBackend, domain_name: str, **kwargs):
        if any(d.domain_name == domain_name for d in backend.domains.values()):
            raise ResourceInUseException(f"Resource Already Exists: Domain with name "
                                         f"{domain_name} already exists. Choose a different name.")
        original(backend, domain_name=domain_name, **kwargs)
        domain = backend.domains.pop(f"d-{domain_name}")
        domain.id = "d-" + _random_id(12)
        domain.arn = arn_formatter("domain", domain.id, backend.account_id, backend.region_name)
        domain.url = f"https://{domain.id}.studio.{backend.region_name}.sagemaker.aws"
        if domain.auth_mode == "SSO":
            domain.single_sign_on_managed_application_arn = (
                f"arn:aws:sso::{backend.account_id}:application/ssoins-{_random_id(16)}/"
                f"apl-{_random_id(16)}")
        else:
            domain.single_sign_on_managed_application_arn = None
            domain.single_sign_on_managed_application_instance_id = None
        domain.tags = list(domain.tags or [])
        backend.domains[domain.id] = domain
        # DomainId too: the model marks it optional, AWS sends it and scripts read it.
        return {"DomainArn": domain.arn, "DomainId": domain.id, "Url": domain.url}
    return create


def _random_id(length: int) -> str:
    return "".join(secrets.choice(DOMAIN_ID_ALPHABET) for _ in range(length))


BACKEND = "moto.sagemaker.models:SageMakerModelBackend"
PATCHES = [
    wrap(BACKEND, "_get_resource_from_arn", _find_taggable),
    replace(BACKEND, "add_tags", _add_tags),
    wrap(BACKEND, "create_domain", _create_domain),
    wrap(BACKEND, "describe_domain", _domain_not_found),
    # A missing domain is named before its users are counted.
    wrap(BACKEND, "delete_domain", _domain_not_found, order=10),
    wrap(BACKEND, "delete_domain", _refuse_with_users, order=20),
]
