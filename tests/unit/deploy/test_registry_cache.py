"""Which pushed images a build names as its registry cache: the same content hash if ECR has
it, else the most recently pushed; nothing for a repository not made yet; ECR's errors make a
build without the cache, said in one warning."""
import base64
from datetime import datetime, timedelta, timezone

from botocore.exceptions import ClientError

from studio_containers.deploy.registry_cache import EcrCache
from tests.helpers import made_up_spec

URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/demo"
NOW = datetime(2026, 12, 5, tzinfo=timezone.utc)


class Ecr:
    def __init__(self, images=None, repository=True, fail=None):
        self.images, self.repository, self.fail = images or [], repository, fail

    def describe_repositories(self, repositoryNames):
        if self.fail:
            raise ClientError({"Error": {"Code": self.fail, "Message": "no"}}, "DescribeRepositories")
        if not self.repository:
            raise ClientError({"Error": {"Code": "RepositoryNotFoundException", "Message": "no"}},
                              "DescribeRepositories")
        return {"repositories": [{"repositoryUri": URI}]}

    def get_paginator(self, name):
        images = self.images

        class Pages:
            def paginate(self, **_):
                return [{"imageDetails": images[:2]}, {"imageDetails": images[2:]}]
        return Pages()

    def get_authorization_token(self):
        token = base64.b64encode(b"AWS:temporary-password").decode()
        return {"authorizationData": [{"authorizationToken": token,
                                       "proxyEndpoint": "https://" + URI.split("/")[0]}]}


def image(tag, hours_ago):
    return {"imageTags": [tag], "imagePushedAt": NOW - timedelta(hours=hours_ago)}


def test_the_same_content_hash_else_the_latest_pushed():
    pushed = [image("old", 30), image("newest", 1), {"imageTags": ["no-date"]}, image("middle", 5)]
    refs, logins = EcrCache(Ecr(pushed + [image("abc123", 9)]), "team").for_image(made_up_spec(), "abc123")
    assert refs == (f"{URI}:abc123",)
    assert [(l.registry, l.username, l.password) for l in logins] == [
        (URI.split("/")[0], "AWS", "temporary-password")]
    refs, _ = EcrCache(Ecr(pushed), "team").for_image(made_up_spec(), "abc123")
    assert refs == (f"{URI}:newest", f"{URI}:middle")


def test_no_repository_no_cache_and_an_error_is_a_warning(capsys):
    assert EcrCache(Ecr(repository=False), "team").for_image(made_up_spec(), "x") == ((), ())
    assert EcrCache(Ecr(fail="AccessDeniedException"), "team").for_image(made_up_spec(), "x") == ((), ())
    assert "registry cache of demo not used: ECR team/demo" in capsys.readouterr().err
