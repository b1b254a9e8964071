output "image_name" {
  description = "SageMaker ImageName."
  value       = try(aws_sagemaker_image.this[0].id, null)
}

output "image_arn" {
  description = "ARN of the SageMaker Image."
  value       = try(aws_sagemaker_image.this[0].arn, null)
}

output "image_version" {
  description = "Version number of the ImageVersion this deploy made or kept."
  value       = try(aws_sagemaker_image_version.this[0].version, null)
}

output "image_version_arn" {
  description = "ARN of that ImageVersion."
  value       = try(aws_sagemaker_image_version.this[0].arn, null)
}

output "app_image_config_name" {
  description = "Name of the AppImageConfig (the same as the image's)."
  value       = try(aws_sagemaker_app_image_config.this[0].app_image_config_name, null)
}

output "role_arn" {
  description = "ARN of the role SageMaker pulls the image with."
  value       = local.role_arn
}
