output "repositories" {
  description = "ECR repository URL of each image."
  value       = { for name, repo in module.repository : name => repo.repository_url }
}

output "images" {
  description = "Per image: ARN, deployed version and app image config name."
  value = { for name, image in module.image : name => {
    image_arn             = image.image_arn
    image_version         = image.image_version
    image_version_arn     = image.image_version_arn
    app_image_config_name = image.app_image_config_name
    role_arn              = image.role_arn
  } }
}
