"""Operations the local AWS lacks: a client error naming them, never a 500 that clients retry."""
import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core.responses import BaseResponse

from tests.unit.localaws.conftest import install_patches

RETRYING = Config(retries={"max_attempts": 4, "mode": "standard"})


@pytest.fixture
def installed(monkeypatch, moto_backend):
    install_patches(monkeypatch, {"protocol"})


@pytest.mark.parametrize("service, call, params, code, operation", [
    ("sagemaker", "describe_hub", {"HubName": "h"}, "UnknownOperationException",
     "sagemaker:DescribeHub"),
    ("ecr", "describe_pull_through_cache_rules", {}, "UnknownOperationException",
     "ecr:DescribePullThroughCacheRules"),
    ("iam", "change_password", {"OldPassword": "a", "NewPassword": "b"}, "InvalidAction",
     "iam:ChangePassword"),
    ("sts", "decode_authorization_message", {"EncodedMessage": "m"}, "InvalidAction",
     "sts:DecodeAuthorizationMessage"),
    ("ec2", "describe_capacity_reservation_fleets", {}, "InvalidAction",
     "ec2:DescribeCapacityReservationFleets"),
])
def test_an_operation_moto_lacks_is_a_client_error_naming_it(installed, service, call, params,
                                                             code, operation):
    client = boto3.client(service, region_name="us-east-1", config=RETRYING)
    with pytest.raises(ClientError) as caught:
        getattr(client, call)(**params)
    response = caught.value.response
    assert (response["Error"]["Code"], response["Error"]["Message"]) == (
        code, f"The local AWS does not implement {operation}.")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0


def test_install_replaces_the_dispatch_and_keeps_implemented_operations(monkeypatch,
                                                                        moto_backend):
    moto_dispatch = BaseResponse._dispatch
    install_patches(monkeypatch, {"protocol"})
    assert BaseResponse._dispatch is not moto_dispatch
    assert boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
