output "repository_name" {
  description = "Name of the repository."
  value       = try(aws_ecr_repository.this[0].name, null)
}

output "repository_arn" {
  description = "ARN of the repository."
  value       = try(aws_ecr_repository.this[0].arn, null)
}

output "repository_url" {
  description = "URI to push to and pull from: <registry>/<name>."
  value       = try(aws_ecr_repository.this[0].repository_url, null)
}
