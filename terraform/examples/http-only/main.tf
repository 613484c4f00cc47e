# oci-reencrypt, HTTP only: an API Gateway with two routes, each requiring its
# own scope in the caller's token:
#   POST <prefix>/reencrypt               re-encrypt requests and resumes   (api_scope_reencrypt)
#   GET  <prefix>/reencrypt/jobs/{jobId}  job status                        (api_scope_status)
# No event rules. Jobs are durable (state bucket, sweep every 10 minutes).
#
#   cp terraform.tfvars.example terraform.tfvars   # then edit it
#   terraform init && terraform apply

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 8.22.0, < 9.0.0"
    }
  }
}

# Authentication comes from ~/.oci/config (profile DEFAULT) or the OCI_* environment.
provider "oci" {
  region = var.region
}

module "reencrypt" {
  source = "../.."

  tenancy_ocid   = var.tenancy_ocid
  region         = var.region
  compartment_id = var.compartment_id
  subnet_ids     = [var.subnet_id]
  image          = var.image
  image_digest   = var.image_digest

  # What callers may touch and which keys they may name as target.
  allowed_buckets        = var.allowed_buckets
  allowed_keys           = var.allowed_keys
  allow_inline_keys      = false
  target_compartment_ids = var.target_compartment_ids
  vault_compartment_ids  = var.vault_compartment_ids

  create_api_gateway         = true
  api_gateway_compartment_id = var.api_gateway_compartment_id
  api_gateway_subnet_id      = var.api_gateway_subnet_id
  api_gateway_endpoint_type  = var.api_gateway_endpoint_type
  jwt_issuers                = var.jwt_issuers
  jwt_audiences              = var.jwt_audiences
  jwt_jwks_uri               = var.jwt_jwks_uri
  api_scope_reencrypt        = var.api_scope_reencrypt
  api_scope_status           = var.api_scope_status

  create_state_bucket = true
  state_bucket_name   = var.state_bucket_name

  allow_bucket_method = var.allow_bucket_method
  max_parallel        = var.max_parallel

  # Operations: the module creates a topic and two alarms; this subscribes someone to them.
  notify_email = var.notify_email
}
