variable "region" {
  description = "AWS region to deploy to."
  type        = string
}

variable "local_endpoint" {
  description = "URL of the local AWS (e.g. http://127.0.0.1:5566); null deploys to real AWS."
  type        = string
  default     = null
}

variable "stack" {
  description = "Name of this deployment; every resource is tagged studio-containers:stack = <stack>, which is how ownership is told apart from other teams' resources."
  type        = string
}

variable "repository_prefix" {
  description = "ECR repository of image NAME is <repository_prefix>/NAME."
  type        = string
}

variable "keep_last_images" {
  description = "Images each ECR repository keeps (lifecycle policy)."
  type        = number
  default     = 10
}

variable "repositories" {
  description = "Names of the images whose ECR repository exists or is to be made (all images, including those not pushed yet)."
  type        = set(string)
}

variable "images" {
  description = "Pushed images to deploy, keyed by name; written by the tasks from images/*/image.yaml and the pushed digests."
  type = map(object({
    app_type     = string
    display_name = string
    base_image   = string
    kernels      = list(object({ name = string, display_name = string }))
    mount_path   = string
    uid          = number
    gid          = number
    # Set for an image adopted with `invoke import` (null / {} otherwise): its own role,
    # description, other tags and ECR repository, so that Terraform keeps them as they are.
    role_arn              = string
    description           = string
    tags                  = map(string)
    repository_arn        = string
    app_image_config_name = string
  }))
}
