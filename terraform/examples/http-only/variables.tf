variable "tenancy_ocid" {
  description = "OCID of the tenancy."
  type        = string
}

variable "region" {
  description = "Region identifier, e.g. us-ashburn-1."
  type        = string
}

variable "compartment_id" {
  description = "OCID of the compartment for the function, the gateway and their resources."
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

variable "allowed_buckets" {
  description = "Bucket globs callers may target; anything else is refused (403, and by IAM)."
  type        = list(string)

  validation {
    condition     = length(var.allowed_buckets) > 0
    error_message = "allowed_buckets must name at least one bucket or glob: an HTTP entrance should not reach every bucket."
  }
}

variable "allowed_keys" {
  description = "Vault key and secret OCIDs callers may name as target key. Empty = only the bucket's own key."
  type        = list(string)
  default     = []
}

variable "target_compartment_ids" {
  description = "Compartments holding the buckets. Empty = compartment_id."
  type        = list(string)
  default     = []
}

variable "vault_compartment_ids" {
  description = "Compartments holding the keys of allowed_keys. Empty = compartment_id."
  type        = list(string)
  default     = []
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
  description = "Name of the state bucket to create (job records and reports)."
  type        = string
  default     = "reencrypt-state"
}

variable "allow_bucket_method" {
  description = "Let requests use \"method\": \"bucket\" (ReencryptBucket); adds bucket-update IAM."
  type        = bool
  default     = false
}

variable "max_parallel" {
  description = "Shards of one job running at once, 1 to 64."
  type        = number
  default     = 8
}

variable "notify_email" {
  description = "An e-mail address subscribed to the operations topic (job ends, stalled jobs, key hazards, alarms); it must confirm the e-mail Notifications sends. Null = no subscription."
  type        = string
  default     = null
}
