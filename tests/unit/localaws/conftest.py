"""Fixtures for the local AWS's unit tests: a Studio store, moto in this process with our API,
and signed requests as a WSGI server hands them over."""
import functools

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID

from studio_containers.localaws.apps import models
from studio_containers.localaws.sagemaker.models import StudioStore
from studio_containers.localaws.server import patches

ACCOUNT = DEFAULT_ACCOUNT_ID
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/r"


@pytest.fixture
def found():
    """An image resolver that finds every base image."""
    def resolve(reference):
        return f"resolved/{reference}", None
    return resolve


@pytest.fixture
def store() -> StudioStore:
    """A Studio store holding one image, "img"."""
    made = StudioStore(ACCOUNT, REGION)
    made.create_image("img", ROLE, None, "desc", None)
    return made


@pytest.fixture
def client_error():
    """Calls an AWS client method that must fail; returns the error's Code and Message."""
    def call(method, **params) -> dict:
        with pytest.raises(ClientError) as caught:
            method(**params)
        return caught.value.response["Error"]
    return call


@pytest.fixture
def moto_backend():
    """moto in this process, emptied when the test ends."""
    with mock_aws():
        yield


def install_patches(monkeypatch: pytest.MonkeyPatch, groups: set[str], front_door: bool = True,
                    **context) -> None:
    """The patches of `groups`, installed as the server installs them, with the front door that
    checks each request first (the protocol group) unless `front_door` is False; `monkeypatch`
    puts moto's own back afterwards."""
    groups = groups | {"protocol"} if front_door else groups
    patches.install(patches.Context(**context), groups,
                    setattr=functools.partial(monkeypatch.setattr, raising=False))


@pytest.fixture
def patched(monkeypatch, found):
    """The Studio API and the fixes to moto, installed as the server does and undone afterwards."""
    install_patches(monkeypatch, {"sagemaker"}, resolve_image=found)


@pytest.fixture
def sagemaker(patched, moto_backend):
    """A boto3 SageMaker client on moto in this process, with the Studio API and the fixes."""
    return boto3.client("sagemaker", region_name=REGION)


@pytest.fixture
def domain_id(sagemaker) -> str:
    """A domain created without tags, with an execution role in its user settings."""
    arn = sagemaker.create_domain(DomainName="team", AuthMode="IAM",
                                  DefaultUserSettings={"ExecutionRole": ROLE},
                                  SubnetIds=["subnet-1"], VpcId="vpc-1")["DomainArn"]
    return arn.rsplit("/", 1)[-1]


@pytest.fixture
def signed_environ():
    """A factory of WSGI environs of a request signed with SigV4 (now, or at `when`)."""
    def make(key="AKIAEXAMPLE", secret="s3cret", body=b"Action=GetCallerIdentity", when=None,
             token=None):
        request = AWSRequest(method="POST", url="http://127.0.0.1:5566/", data=body,
                             headers={"Content-Type": "application/x-www-form-urlencoded"})
        signer = SigV4Auth(Credentials(key, secret, token), "sts", "us-east-1")
        if when is None:
            signer.add_auth(request)
        else:
            request.context["timestamp"] = when.strftime("%Y%m%dT%H%M%SZ")
            request.headers["X-Amz-Date"] = request.context["timestamp"]
            canonical = signer.canonical_request(request)
            sig = signer.signature(signer.string_to_sign(request, canonical), request)
            scope = f"{key}/{request.context['timestamp'][:8]}/us-east-1/sts/aws4_request"
            signed = signer.signed_headers(signer.headers_to_sign(request))
            request.headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={scope}, "
                                                f"SignedHeaders={signed}, Signature={sig}")
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/", "QUERY_STRING": "",
                   "HTTP_HOST": "127.0.0.1:5566", "CONTENT_TYPE": request.headers["Content-Type"],
                   "CONTENT_LENGTH": str(len(body))}
        for name, value in request.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                environ["HTTP_" + name.upper().replace("-", "_")] = value
        return environ
    return make


def freeze_clock(monkeypatch: pytest.MonkeyPatch, after_deletions: bool = False) -> None:
    """The apps store's clock stopped (at now, or past the Deleting phase of what was deleted
    so far, which is then gone) for the rest of the test."""
    stopped = models.clock() + (models.DELETING_SECONDS if after_deletions else 0)
    monkeypatch.setattr(models, "clock", lambda: stopped)
