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
  description = "The function image in OCI Registry, with a tag (what `npm run image -- --push` prints)."
  type        = string
}

variable "image_digest" {
  description = "The image's digest (\"sha256:…\", what `npm run image -- --push` prints), so the function runs exactly that build. Null = whatever the tag points to."
  type        = string
  default     = null
}

variable "kms_key_ids" {
  description = "Vault keys assigned to buckets: rotating one re-encrypts the objects of its buckets."
  type        = list(string)

  validation {
    condition     = length(var.kms_key_ids) > 0
    error_message = "kms_key_ids must name at least one Vault key: this example re-encrypts on key rotation only."
  }
}

variable "vault_ids" {
  description = "OCIDs of the Vaults holding those keys (narrows GetVault). Empty = every vault of vault_compartment_ids."
  type        = list(string)
  default     = []
}

variable "bucket_names" {
  description = "Buckets protected by those keys: the only buckets the function may touch. Empty = every bucket of the target compartments."
  type        = list(string)
  default     = []
}

variable "target_compartment_ids" {
  description = "Compartments holding the buckets. Empty = compartment_id."
  type        = list(string)
  default     = []
}

variable "vault_compartment_ids" {
  description = "Compartments holding the Vault keys. Empty = compartment_id."
  type        = list(string)
  default     = []
}

variable "state_bucket_name" {
  description = "Name of the state bucket to create (job records, reports, rotation de-duplication)."
  type        = string
  default     = "reencrypt-state"
}

variable "rotation_method" {
  description = "objects (list and re-encrypt every version) or bucket (one ReencryptBucket per bucket)."
  type        = string
  default     = "objects"
}

variable "max_parallel" {
  description = "Shards of one job running at once, 1 to 64."
  type        = number
  default     = 8
}

variable "log_level" {
  description = "debug, info, warn or error. Null = info."
  type        = string
  default     = null
}

variable "notify_email" {
  description = "An e-mail address subscribed to the operations topic (job ends, stalled jobs, key hazards, alarms); it must confirm the e-mail Notifications sends. Null = no subscription."
  type        = string
  default     = null
}
