"""The one walk over a request along botocore's model, which both request checks use."""
from studio_containers.localaws.server.walker import query_member, walk
from tests.aws_model import service_model

SM = service_model("sagemaker")
IAM = service_model("iam")


def _paths(operation: str, value: dict, **options) -> list[str]:
    shape = SM.operation_model(operation).input_shape
    return [node.path for node in walk(shape, value, **options)]


def test_values_come_in_the_models_order_each_before_what_it_holds():
    request = {"Tags": [{"Key": "k", "Value": "v"}, None], "RoleArn": "r", "ImageName": "i",
               "Description": None}
    assert _paths("CreateImage", request) == [
        "", "imageName", "roleArn", "tags", "tags.1.member",
        "tags.1.member.key", "tags.1.member.value"]


def test_map_keys_only_when_asked_and_wrong_types_are_not_entered():
    config = {"AppImageConfigName": "c", "JupyterLabAppImageConfig": {"ContainerConfig": {
        "ContainerEnvironmentVariables": {"A": "1", "B": None}, "ContainerArguments": "x"}}}
    environment = "jupyterLabAppImageConfig.containerConfig.containerEnvironmentVariables"
    arguments = "jupyterLabAppImageConfig.containerConfig.containerArguments"
    assert _paths("CreateAppImageConfig", config)[-3:] == [
        arguments, environment, f"{environment}.A.value"]
    assert _paths("CreateAppImageConfig", config, keys=True)[-5:] == [
        arguments, environment, f"{environment}.A.key", f"{environment}.A.value",
        f"{environment}.B.key"]


def test_a_deep_request_does_not_exhaust_the_stack():
    expression = {}
    inner = expression
    for _ in range(3000):
        inner["SubExpressions"] = [{}]
        inner = inner["SubExpressions"][0]
    paths = _paths("Search", {"Resource": "Image", "SearchExpression": expression})
    assert len(paths) == 2 + 1 + 2 * 3000


def test_a_query_parameter_names_its_member():
    create = IAM.operation_model("CreateRole").input_shape
    shape, path = query_member(create, "Tags.member.2.Key")
    assert (shape.type_name, path) == ("string", "tags.2.member.key")
    assert query_member(create, "Tags.member.x")[0] is None
    assert query_member(create, "RoleName.Deeper")[0] is None
    assert query_member(create, "Nothing")[0] is None
