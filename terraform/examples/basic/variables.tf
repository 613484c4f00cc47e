variable "tenancy_ocid" {
  description = "OCID of the tenancy."
  type        = string
}

variable "region" {
  description = "Region identifier, e.g. us-ashburn-1."
  type        = string
}

variable "compartment_id" {
  description = "OCID of the compartment for the function and its resources."
  type        = string
}

variable "subnet_id" {
  description = "OCID of the subnet of the Functions application (it must reach OCI services)."
  type        = string
}

variable "image" {
  description = "The function image in OCI Registry, with a tag."
  type        = string
}

variable "rules" {
  description = "Re-encryption rules: bucket glob, object name prefix, Vault key OCID."
  type = list(object({
    bucket     = string
    prefix     = optional(string, "")
    kms_key_id = string
  }))
  default = []
}

variable "kms_key_ids" {
  description = "Other Vault keys in use (bucket keys) whose rotation should re-encrypt objects."
  type        = list(string)
  default     = []
}

variable "target_compartment_ids" {
  description = "Compartments holding the buckets to re-encrypt. Empty = compartment_id."
  type        = list(string)
  default     = []
}

variable "vault_compartment_ids" {
  description = "Compartments holding the Vault keys. Empty = compartment_id."
  type        = list(string)
  default     = []
}

variable "allowed_buckets" {
  description = "Bucket globs HTTP requests may target. Empty = IAM is the only limit."
  type        = list(string)
  default     = []
}

variable "state_bucket_name" {
  description = "Name of the state bucket to create. Null = no state bucket."
  type        = string
  default     = null
}

variable "log_level" {
  description = "debug, info, warn or error. Null = info."
  type        = string
  default     = null
}
