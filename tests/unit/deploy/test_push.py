"""Pushing: waiting until ECR lists the pushed digest, and the private record of what was pushed."""
import stat

import pytest
from botocore.exceptions import ClientError

from studio_containers.deploy import push
from studio_containers.deploy.push import PushedImage, PushRecord
from studio_containers.errors import UserError
from studio_containers.wait import WaitTimeout

DIGEST = "sha256:" + "1" * 64


class SlowEcr:
    """Lists the tag only from the `after`-th DescribeImages on, as the local ECR may."""

    def __init__(self, digest: str, after: int):
        self.digest, self.after, self.calls = digest, after, 0

    def describe_images(self, repositoryName, imageIds):
        self.calls += 1
        if self.calls < self.after:
            raise ClientError({"Error": {"Code": "ImageNotFoundException", "Message": "no"}},
                              "DescribeImages")
        return {"imageDetails": [{"imageDigest": self.digest}]}


def test_the_push_is_waited_for_until_ecr_lists_it():
    ecr = SlowEcr(DIGEST, after=3)
    push._wait_until_listed(ecr, "p/a", "tag", DIGEST)
    assert ecr.calls == 3


def test_another_digest_under_the_tag_stops_the_wait_at_once():
    ecr = SlowEcr("sha256:" + "2" * 64, after=1)
    with pytest.raises(UserError, match="ECR lists p/a:tag as sha256:2+, but the push made "):
        push._wait_until_listed(ecr, "p/a", "tag", DIGEST)
    assert ecr.calls == 1


def test_a_push_never_listed_times_out_naming_it(monkeypatch):
    monkeypatch.setattr(push, "RECORD_WAIT_SECONDS", 0.3)
    with pytest.raises(WaitTimeout, match=r"timed out after 0.3s waiting for ECR DescribeImages to list the push of p/a:tag \(sha256:1+\)"):
        push._wait_until_listed(SlowEcr(DIGEST, after=10**6), "p/a", "tag", DIGEST)


def test_the_push_record_is_private_and_forgets_a_target(tmp_path):
    record = PushRecord(tmp_path)
    pushed = PushedImage("a", "registry/p/a", "tag", DIGEST, pushed=True)
    record.save("local", pushed)
    record.save("aws", pushed)
    assert record.read()["local"]["a"]["image_uri"] == f"registry/p/a@{DIGEST}"
    assert stat.S_IMODE(record.path.stat().st_mode) == 0o600
    record.forget("local")
    assert set(record.read()) == {"aws"}
    written = record.path.stat().st_ino
    record.forget("local")
    assert record.path.stat().st_ino == written      # nothing to forget: not written
