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
