# The root configuration the tasks apply: one ECR repository and one Studio image per image spec.
# Its inputs (terraform.tfvars.json) are generated from images/*/image.yaml; nothing is written
# twice. Domain attachment is done by the tasks (read, merge, write), not here: UpdateDomain
# replaces the whole CustomImages list and would remove other teams' images.

locals {
  local = var.local_endpoint != null
  tags = {
    "studio-containers:stack" = var.stack
  }
}

provider "aws" {
  region = var.region

  # The local AWS has no account lookup, metadata service or region list; real AWS needs none
  # of these skipped.
  skip_credentials_validation = local.local
  skip_requesting_account_id  = local.local
  skip_metadata_api_check     = local.local
  skip_get_ec2_platforms      = local.local
  skip_region_validation      = local.local

  endpoints {
    ecr       = var.local_endpoint
    sagemaker = var.local_endpoint
    iam       = var.local_endpoint
    sts       = var.local_endpoint
    ec2       = var.local_endpoint
  }
}

module "repository" {
  source   = "../modules/ecr-repository"
  for_each = var.repositories

  name             = "${var.repository_prefix}/${each.key}"
  keep_last_images = var.keep_last_images
  tags             = local.tags
}

module "image" {
  source   = "../modules/studio-image"
  for_each = var.images

  name         = each.key
  app_type     = each.value.app_type
  display_name = each.value.display_name
  base_image   = each.value.base_image
  # An adopted image keeps its team's repository, outside this stack (`repositories`).
  repository_arn = try(module.repository[each.key].repository_arn, each.value.repository_arn)
  role_arn       = each.value.role_arn
  description    = each.value.description
  # An adopted image's AppImageConfig keeps its own name (null: named after the image).
  app_image_config_name = each.value.app_image_config_name
  kernels               = each.value.kernels
  mount_path            = each.value.mount_path
  uid                   = each.value.uid
  gid                   = each.value.gid
  tags                  = merge(each.value.tags, local.tags)
}
