# One Studio image: the SageMaker Image, the ImageVersion pointing at an ECR image by digest, the
# role SageMaker pulls with, and for a KernelGateway image the AppImageConfig telling Studio how
# to run it.
# Only blocks that hashicorp/aws 3.39.0 knows are used, so the module runs offline here.

locals {
  create_role = var.create && var.role_arn == null
  # Spaces' app image configs (jupyter_lab_image_config, code_editor_app_image_config) exist
  # only in hashicorp/aws 5.x and later; with 3.39 the deploy writes them (README).
  create_config = var.create && var.app_type == "KernelGateway"
  role_name     = coalesce(var.role_name, substr("${var.name}-studio-image", 0, 64))
  role_arn      = local.create_role ? try(aws_iam_role.this[0].arn, null) : var.role_arn
}

data "aws_iam_policy_document" "assume" {
  count = local.create_role ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }
  }
}

data "aws_iam_policy_document" "pull" {
  count = local.create_role ? 1 : 0

  statement {
    sid       = "PullThisRepository"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.repository_arn]
  }

  # GetAuthorizationToken cannot be limited to a repository; it grants nothing by itself.
  statement {
    sid       = "RegistryLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
}

resource "aws_iam_role" "this" {
  count = local.create_role ? 1 : 0

  name               = local.role_name
  assume_role_policy = data.aws_iam_policy_document.assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "pull" {
  count = local.create_role ? 1 : 0

  name   = "ecr-pull"
  role   = aws_iam_role.this[0].id
  policy = data.aws_iam_policy_document.pull[0].json
}

resource "aws_sagemaker_image" "this" {
  count = var.create ? 1 : 0

  image_name   = var.name
  role_arn     = local.role_arn
  display_name = var.display_name
  description  = var.description
  tags         = var.tags

  depends_on = [aws_iam_role_policy.pull]
}

resource "aws_sagemaker_image_version" "this" {
  count = var.create ? 1 : 0

  image_name = aws_sagemaker_image.this[0].id
  base_image = var.base_image
}

resource "aws_sagemaker_app_image_config" "this" {
  count = local.create_config ? 1 : 0

  # An adopted image's config may have its own name; every other is named after the image.
  app_image_config_name = coalesce(var.app_image_config_name, var.name)

  kernel_gateway_image_config {
    dynamic "kernel_spec" {
      for_each = var.kernels
      content {
        name         = kernel_spec.value.name
        display_name = kernel_spec.value.display_name
      }
    }

    file_system_config {
      mount_path  = var.mount_path
      default_uid = var.uid
      default_gid = var.gid
    }
  }

  # No tags: hashicorp/aws 3.39.0 has no tags argument on this resource.
}
