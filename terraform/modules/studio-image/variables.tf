variable "create" {
  description = "Whether to create the image, its version, its app image config and (unless role_arn is given) its role."
  type        = bool
  default     = true
}

variable "name" {
  description = "SageMaker ImageName and AppImageConfigName: 1-63 letters, digits and hyphens, starting and ending with a letter or digit."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$", var.name))
    error_message = "The name must match ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$."
  }
}

variable "app_image_config_name" {
  description = "Name of the AppImageConfig; null names it after the image (an adopted image keeps its own)."
  type        = string
  default     = null
}

variable "display_name" {
  description = "Name shown in Studio's image picker (1-128 characters); null shows the name."
  type        = string
  default     = null
}

variable "description" {
  description = "Description of the image (1-512 characters)."
  type        = string
  default     = null
}

variable "base_image" {
  description = "Container image of the ImageVersion, pinned by digest: <repository URI>@sha256:<digest>. A new value makes a new version. A tag (<repository URI>:<tag>) is taken only to keep a version made by hand, adopted as it is; the tasks always pin."
  type        = string

  validation {
    condition     = can(regex("(@sha256:[0-9a-f]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$", var.base_image))
    error_message = "The base_image must be pinned by digest (<repository URI>@sha256:<64 hex digits>), or name an adopted version's tag."
  }
}

variable "repository_arn" {
  description = "ARN of the ECR repository holding base_image; the created role may pull from it and nothing else."
  type        = string
}

variable "role_arn" {
  description = "IAM role SageMaker assumes to pull the image; null creates one with ECR pull rights on repository_arn only."
  type        = string
  default     = null
}

variable "role_name" {
  description = "Name of the created role (at most 64 characters); null uses \"<name>-studio-image\" cut to 64."
  type        = string
  default     = null
}

variable "app_type" {
  description = "The Studio app the image is for: KernelGateway (Studio Classic: the module makes its app image config), JupyterLab or CodeEditor (spaces: hashicorp/aws before 5.x cannot describe their app image config, so the module makes none; see README)."
  type        = string
  default     = "KernelGateway"

  validation {
    condition     = contains(["KernelGateway", "JupyterLab", "CodeEditor"], var.app_type)
    error_message = "The app_type must be KernelGateway, JupyterLab or CodeEditor."
  }
}

variable "kernels" {
  description = "KernelGateway images: kernels Studio shows (name = a kernelspec name inside the image, display_name free). Studio takes 1 to 5; hashicorp/aws 3.39 takes one kernel_spec block, so 1 entry. Empty for spaces."
  type = list(object({
    name         = string
    display_name = string
  }))

  validation {
    condition     = length(var.kernels) <= 1
    error_message = "The hashicorp/aws provider 3.39 takes one kernel_spec per app image config (Studio takes up to 5)."
  }
}

variable "mount_path" {
  description = "Where Studio mounts the user's EFS home; whatever the image has there is hidden at run time."
  type        = string
  default     = "/home/sagemaker-user"

  validation {
    condition     = can(regex("^/", var.mount_path))
    error_message = "The mount_path must be an absolute path."
  }
}

variable "uid" {
  description = "DefaultUid: 1000 (with gid 100) or 0 (with gid 0), and equal to the image's default user."
  type        = number
  default     = 1000

  validation {
    condition     = contains([1000, 0], var.uid)
    error_message = "Studio accepts uid/gid 1000/100 or 0/0 only."
  }
}

variable "gid" {
  description = "DefaultGid: 100 (with uid 1000) or 0 (with uid 0)."
  type        = number
  default     = 100

  validation {
    condition     = contains([100, 0], var.gid)
    error_message = "Studio accepts uid/gid 1000/100 or 0/0 only."
  }
}

variable "tags" {
  description = "Tags for the image and the role (provider 3.39 cannot tag app image configs)."
  type        = map(string)
  default     = {}
}
