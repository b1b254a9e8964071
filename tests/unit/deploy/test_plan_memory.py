"""When a plan can be skipped: the fingerprint of the configuration, inputs, state and what AWS
answers for each resource of the state; any change to one of them, a resource deleted or a kind
we do not know, means a plan."""
import json

from botocore.exceptions import ClientError

from studio_containers.deploy.plan_memory import PlanMemory, fingerprint, remote_view
from studio_containers.deploy.runner import TerraformRunner
from studio_containers.deploy.toolchain import Toolchain


def state(*resources, serial=3):
    return {"serial": serial, "lineage": "l-1", "resources": list(resources)}


def resource(module, type_, name, attributes):
    return {"mode": "managed", "module": module, "type": type_, "name": name,
            "instances": [{"index_key": 0, "attributes": attributes}]}


IMAGE = resource('module.image["demo"]', "aws_sagemaker_image", "this",
                 {"arn": "arn:aws:sagemaker:us-east-1:1:image/demo"})
CONFIG = resource('module.image["demo"]', "aws_sagemaker_app_image_config", "this", {})
LIFECYCLE = resource('module.repository["demo"]', "aws_ecr_lifecycle_policy", "this", {})


class Aws:
    """What the remote view asks of SageMaker, answered from a dict; calls are counted."""

    def __init__(self):
        self.images = {"demo": {"DisplayName": "demo", "LastModifiedTime": "t1"}}
        self.configs = {"demo": {"AppImageConfigName": "demo"}}
        self.calls = []

    def __call__(self, service):
        return self

    def describe_image(self, ImageName):
        self.calls.append("describe_image")
        return {**self.images[ImageName], "ResponseMetadata": {"RequestId": str(len(self.calls))}}

    def get_lifecycle_policy(self, repositoryName):
        self.calls.append("get_lifecycle_policy")      # lastEvaluatedAt moves on its own
        return {"lifecyclePolicyText": "{}", "lastEvaluatedAt": str(len(self.calls))}

    def list_tags(self, ResourceArn):
        return {"Tags": [{"Key": "studio-containers:stack", "Value": "s"}]}

    def describe_app_image_config(self, AppImageConfigName):
        if AppImageConfigName not in self.configs:
            raise ClientError({"Error": {"Code": "ResourceNotFound", "Message": "gone"}},
                              "DescribeAppImageConfig")
        return dict(self.configs[AppImageConfigName])


def print_of(aws, tfstate=None, config="c", tfvars="v"):
    return fingerprint(config, tfvars, tfstate or state(IMAGE, CONFIG, LIFECYCLE), aws, "p")


def test_the_same_everything_is_the_same_fingerprint_whatever_moves_on_its_own():
    aws = Aws()
    assert print_of(aws) == print_of(aws)
    assert aws.calls.count("describe_image") == 2


def test_each_input_of_a_plan_changes_the_fingerprint():
    aws = Aws()
    base = print_of(aws)
    assert print_of(aws, config="c2") != base
    assert print_of(aws, tfvars="v2") != base
    assert print_of(aws, tfstate=state(IMAGE, CONFIG, LIFECYCLE, serial=4)) != base
    aws.images["demo"]["DisplayName"] = "renamed by hand"
    assert print_of(aws) != base


def test_a_resource_deleted_behind_terraforms_back_is_seen():
    aws = Aws()
    base = print_of(aws)
    del aws.configs["demo"]
    view = remote_view(state(IMAGE, CONFIG), aws, "p")
    assert view['module.image["demo"].aws_sagemaker_app_image_config.this[0]'] == {
        "missing": "ResourceNotFound"}
    assert print_of(aws) != base


def test_a_resource_kind_we_do_not_know_is_always_planned():
    unknown = resource('module.image["demo"]', "aws_s3_bucket", "extra", {})
    aws = Aws()
    assert print_of(aws, state(IMAGE, unknown)) != print_of(aws, state(IMAGE, unknown))


def test_the_memory_matches_only_what_it_remembered(tmp_path):
    memory = PlanMemory(tmp_path)
    assert not memory.matches("a") and not memory.matches(None)
    memory.remember("a")
    assert memory.matches("a") and not memory.matches("b") and not memory.matches(None)
    memory.forget()
    assert not memory.matches("a")


def test_a_local_state_is_read_from_its_file_without_terraform(tmp_path):
    raw = {"serial": 1, "lineage": "x", "outputs": {"images": {"value": {"demo": {"v": 1}}}},
           "resources": [IMAGE]}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(raw))
    runner = TerraformRunner(tmp_path, Toolchain("/nonexistent/terraform", tmp_path / "rc"), {},
                             local_state=True)
    assert runner.raw_state() == raw
    assert list(runner.state()) == ['module.image["demo"].aws_sagemaker_image.this[0]']
    assert runner.outputs() == {"images": {"demo": {"v": 1}}}
    assert TerraformRunner(tmp_path / "none", Toolchain("/nonexistent", tmp_path), {},
                           local_state=True).state() == {}


def test_an_adopted_config_is_asked_for_by_its_own_name():
    aws = Aws()
    aws.configs = {"team-config": {"AppImageConfigName": "team-config"}}
    adopted = resource('module.image["demo"]', "aws_sagemaker_app_image_config", "this",
                       {"app_image_config_name": "team-config"})
    base = print_of(aws, tfstate=state(IMAGE, adopted))
    aws.configs["team-config"]["KernelGatewayImageConfig"] = {"KernelSpecs": []}
    assert print_of(aws, tfstate=state(IMAGE, adopted)) != base
