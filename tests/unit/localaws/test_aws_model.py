"""The test helper that checks raw responses against botocore's model (tests/aws_model.py)."""
from tests.aws_model import response_errors, service_model

SM = service_model("sagemaker")


def test_the_shape_check_catches_unknown_missing_and_mistyped_members():
    describe = SM.operation_model("DescribeImage")
    assert response_errors(describe, b'{"ImageName": "x", "CreationTime": 1700000000.5}') == []
    errors = response_errors(describe, b'{"ImageName": 7, "Surprise": 1}')
    assert any("Unknown parameter" in e and "Surprise" in e for e in errors)
    assert any("Invalid type for parameter ImageName" in e for e in errors)
    tags = SM.operation_model("ListTags")
    assert any("Missing required parameter" in e for e in response_errors(
        tags, b'{"Tags": [{"Value": "no key"}]}'))
