variable "create" {
  description = "Whether to create the repository and its lifecycle policy."
  type        = bool
  default     = true
}

variable "name" {
  description = "Repository name: lowercase path components of letters, digits, '.', '_' and '-', separated by '/'."
  type        = string

  validation {
    condition     = can(regex("^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$", var.name)) && length(var.name) >= 2 && length(var.name) <= 256
    error_message = "The name must be 2-256 characters: lowercase letters, digits, '.', '_', '-' and '/' between components."
  }
}

variable "scan_on_push" {
  description = "Scan each image for vulnerabilities when it is pushed."
  type        = bool
  default     = true
}

variable "encryption_type" {
  description = "Encryption at rest: AES256 (ECR-managed keys) or KMS."
  type        = string
  default     = "AES256"

  validation {
    condition     = contains(["AES256", "KMS"], var.encryption_type)
    error_message = "The encryption_type must be AES256 or KMS."
  }
}

variable "kms_key_arn" {
  description = "KMS key for encryption_type KMS; null uses the AWS-managed ECR key."
  type        = string
  default     = null
}

variable "keep_last_images" {
  description = "The lifecycle policy expires all but this many most recent images (at least 1). Older ImageVersions that point at expired images can no longer be rolled back to."
  type        = number
  default     = 10

  validation {
    condition     = var.keep_last_images >= 1 && floor(var.keep_last_images) == var.keep_last_images
    error_message = "The keep_last_images must be a whole number of at least 1."
  }
}

variable "tags" {
  description = "Tags for the repository."
  type        = map(string)
  default     = {}
}
