"""Terraform's failures become one line: the resource address and Terraform's own message."""
from studio_containers.deploy.runner import _first_error


def test_terraform_errors_name_the_resource_and_keep_terraforms_message():
    output = [
        "module.image[\"a\"].aws_sagemaker_image.this[0]: Creating...",
        "",
        "Error: error creating SageMaker Image a: ResourceInUse: Image a already exists.",
        "",
        "  with module.image[\"a\"].aws_sagemaker_image.this[0],",
        "  on ../modules/studio-image/main.tf line 56, in resource \"aws_sagemaker_image\" \"this\":",
    ]
    assert _first_error(output) == ('module.image["a"].aws_sagemaker_image.this[0]: error '
                                    'creating SageMaker Image a: ResourceInUse: Image a already '
                                    'exists.')
    boxed = ["│ Error: Invalid value for variable", "│ ", "│   on variables.tf line 3:"]
    assert _first_error(boxed) == "Invalid value for variable"
    assert _first_error(["", "something odd"]) == "something odd"


def test_a_held_state_lock_says_who_holds_it_and_how_to_release_a_dead_ones():
    output = ["╷", "│ Error: Error acquiring the state lock", "│ ",
              "│ Error message: ConditionalCheckFailedException: The conditional request failed",
              "│ Lock Info:", "│   ID:        4f1e-abc", "│   Path:      team-state/a.tfstate",
              "│   Operation: OperationTypeApply", "│   Who:       alice@laptop",
              "│   Version:   1.11.4", "│   Created:   2026-11-28 07:50:00 +0000 UTC", "│ "]
    assert _first_error(output) == (
        "the Terraform state is locked by alice@laptop (apply since 2026-11-28 07:50:00 +0000 "
        "UTC); waited deploy.lock_timeout. If that run died, `terraform force-unlock 4f1e-abc` "
        "in the stack folder releases it")
