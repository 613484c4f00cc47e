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

variable "vault_ids" {
  description = "OCIDs of the Vaults holding the keys (narrows GetVault). Empty = every vault of vault_compartment_ids."
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
  description = "Bucket globs the function may touch from any entrance. Empty = IAM is the only limit."
  type        = list(string)
  default     = []
}

variable "allowed_keys" {
  description = "Vault key and secret OCIDs a request may name as target key. Null = the rules' keys and kms_key_ids."
  type        = list(string)
  default     = null
}

variable "api_gateway_compartment_id" {
  description = "OCID of a compartment of the API Gateway's own, where no one else may create API deployments: IAM lets every deployment there invoke the function."
  type        = string
}

variable "api_gateway_subnet_id" {
  description = "OCID of the subnet of the API Gateway."
  type        = string
}

variable "api_gateway_endpoint_type" {
  description = "PRIVATE (reachable only from hosts that can route to the gateway's subnet: an instance in the VCN, or a Bastion port-forwarding session) or PUBLIC (on the internet, in a public subnet; the JWT and its scopes are then the only gate)."
  type        = string
  default     = "PRIVATE"
}

variable "jwt_issuers" {
  description = "Accepted token issuers (iss), e.g. the identity domain URL."
  type        = list(string)
}

variable "jwt_audiences" {
  description = "Accepted token audiences (aud)."
  type        = list(string)
}

variable "jwt_jwks_uri" {
  description = "The issuer's JSON Web Key Set URI (https)."
  type        = string
}

variable "api_scope_reencrypt" {
  description = "Scope required on POST /reencrypt."
  type        = string
  default     = "reencrypt:write"
}

variable "api_scope_status" {
  description = "Scope required on GET /reencrypt/jobs/{jobId}."
  type        = string
  default     = "reencrypt:read"
}

variable "state_bucket_name" {
  description = "Name of the state bucket to create (job records, reports, rotation de-duplication)."
  type        = string
  default     = "reencrypt-state"
}

variable "sweep_schedule" {
  description = "When the sweep resumes stalled jobs: a cron expression or an RFC 5545 rule."
  type        = string
  default     = "*/10 * * * *"
}

variable "checkpoint_seconds" {
  description = "How often a running shard checkpoints, 1 to 600 seconds."
  type        = number
  default     = 30
}

variable "max_parallel" {
  description = "Shards of one job running at once, 1 to 64."
  type        = number
  default     = 8
}

variable "rotation_method" {
  description = "objects (list and re-encrypt every version) or bucket (one ReencryptBucket per bucket)."
  type        = string
  default     = "objects"
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
