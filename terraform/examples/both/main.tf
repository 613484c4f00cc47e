# oci-reencrypt, every entrance: new objects in the rules' buckets get the rule's
# key (createobject rule), rotating a key re-encrypts what it protects (key
# rotation rule), and an API Gateway lets callers with the right scope request
# re-encryption and read job status. Jobs are durable (state bucket, sweep every
# 10 minutes) and run as parallel shards.
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

  # Events: createobject in the rules' buckets, rotation of the rules' keys and kms_key_ids.
  rules                  = var.rules
  kms_key_ids            = var.kms_key_ids
  vault_ids              = var.vault_ids
  target_compartment_ids = var.target_compartment_ids
  vault_compartment_ids  = var.vault_compartment_ids

  # What any entrance may touch, and what a request may name as target key
  # (null = the rules' keys and kms_key_ids).
  allowed_buckets   = var.allowed_buckets
  allowed_keys      = var.allowed_keys
  allow_inline_keys = false

  # HTTP entrance: two routes, each with its own scope.
  create_api_gateway         = true
  api_gateway_compartment_id = var.api_gateway_compartment_id
  api_gateway_subnet_id      = var.api_gateway_subnet_id
  api_gateway_endpoint_type  = var.api_gateway_endpoint_type
  jwt_issuers                = var.jwt_issuers
  jwt_audiences              = var.jwt_audiences
  jwt_jwks_uri               = var.jwt_jwks_uri
  api_scope_reencrypt        = var.api_scope_reencrypt
  api_scope_status           = var.api_scope_status

  # Durable jobs and parallel shards.
  create_state_bucket = true
  state_bucket_name   = var.state_bucket_name
  enable_sweep        = true
  sweep_schedule      = var.sweep_schedule
  checkpoint_seconds  = var.checkpoint_seconds
  max_parallel        = var.max_parallel
  rotation_method     = var.rotation_method

  # Operations: the module creates a topic and two alarms; this subscribes someone to them.
  notify_email = var.notify_email

  log_level = var.log_level
}
