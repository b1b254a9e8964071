"""Server-side constraint checks, read from botocore's SageMaker model."""
from studio_containers.localaws.server.constraints import (
    constraint_errors,
    shape_errors,
    validation_message,
)
from tests.aws_model import service_model

SM = service_model("sagemaker")


def test_constraints_come_from_the_model():
    errors = constraint_errors(SM.operation_model("CreateAppImageConfig"), {
        "AppImageConfigName": "bad name",
        "KernelGatewayImageConfig": {"KernelSpecs": [],
                                     "FileSystemConfig": {"DefaultUid": 70000}}})
    assert errors == [
        "Value 'bad name' at 'appImageConfigName' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        "Value '[...]' at 'kernelGatewayImageConfig.kernelSpecs' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1",
        "Value '70000' at 'kernelGatewayImageConfig.fileSystemConfig.defaultUid' failed to "
        "satisfy constraint: Member must have value less than or equal to 65535"]
    assert validation_message(errors).startswith("3 validation errors detected: Value 'bad")
    missing = constraint_errors(SM.operation_model("CreateImage"), {"ImageName": "ok"})
    assert missing == ["Value null at 'roleArn' failed to satisfy constraint: Member must not "
                       "be null"]
    assert constraint_errors(SM.operation_model("CreateImage"), {
        "ImageName": "ok-name.1", "RoleArn": "arn:aws:iam::123456789012:role/r"}) == []


def test_enums_and_one_error_read_as_aws_writes_them():
    errors = constraint_errors(SM.operation_model("ListImages"), {"SortBy": "SIZE"})
    assert len(errors) == 1 and "Member must satisfy enum value set: [" in errors[0]
    assert validation_message(errors).startswith("1 validation error detected: Value 'SIZE'")


def test_responses_are_checked_against_the_same_constraints():
    describe = SM.operation_model("DescribeImageVersion").output_shape
    arn = "arn:aws:sagemaker:us-east-1:123456789012:image-version/my-image/1"
    good = {"ImageVersionArn": arn, "ImageArn": arn.replace("image-version", "image")[:-2],
            "ImageVersionStatus": "CREATED", "Version": 1, "CreationTime": 1700000000.5}
    assert shape_errors(describe, good) == []
    errors = shape_errors(describe, {**good, "ImageVersionArn": arn.replace("my-image", "My-Image"),
                                     "ImageVersionStatus": "READY", "Version": -1})
    assert [e.split(" failed to satisfy constraint: ")[1] for e in errors] == [
        "Member must satisfy regular expression pattern: (arn:aws(-[\\w]+)*:sagemaker:.+:"
        "[0-9]{12}:image-version/[a-z0-9]([-.]?[a-z0-9])*/[0-9]+|None)",
        "Member must satisfy enum value set: [CREATING, CREATED, CREATE_FAILED, DELETING, "
        "DELETE_FAILED]",
        "Member must have value greater than or equal to 0"]
    aliases = SM.operation_model("ListAliases").output_shape
    assert shape_errors(aliases, {"SageMakerImageVersionAliases": ["x" * 129]}) == [
        f"Value '{'x' * 129}' at 'sageMakerImageVersionAliases.1.member' failed to satisfy "
        "constraint: Member must have length less than or equal to 128"]
